"""Extractors: one module per source kind, each turning a file into SQL fragments."""
