"""SQL text handling: a PostgreSQL-aware lexer and a statement splitter."""
