"""The keys a kind's ``[match]`` table may hold, and the check of a rule file against them.

Each kind declares its keys once (``Key``): name, type, meaning, default. The same
declarations validate the rule files at load time (an unknown key or a wrong type is an error
naming the table, the key and the kind) and generate docs/rule-kinds.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Types of values, as the docs name them.
STRING = "string"
BOOLEAN = "boolean"
INTEGER = "integer"
NUMBER = "number"
STRINGS = "list of strings"
REGEX = "regex"
KEY_PATHS = "list of key paths"  # [["DATABASES", "*", "OPTIONS"], ...]
TABLE = "table"
FREE_TABLE = "table of values"  # any keys
TABLES = "array of tables"
MAP = "table of tables"  # name -> a table with ``keys``
STRING_MAP = "table of strings"
PATTERNS = "list of patterns"  # a token pattern, or a table with ``keys``
ANY = "any"


class SchemaError(ValueError):
    """A ``[match]`` table does not fit its kind."""


@dataclass(frozen=True)
class Key:
    name: str
    type: str
    doc: str
    default: str = ""  # as the docs show it
    required: bool = False
    choices: tuple[str, ...] = ()  # the allowed values of a string or of each string in a list
    keys: tuple[Key, ...] = ()  # the keys of a table, of each table in an array, of each entry of a map


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_FITS: dict[str, Callable[[Any], bool]] = {
    STRING: lambda value: isinstance(value, str),
    REGEX: lambda value: isinstance(value, str),
    BOOLEAN: lambda value: isinstance(value, bool),
    INTEGER: lambda value: isinstance(value, int) and not isinstance(value, bool),
    NUMBER: _is_number,
    STRINGS: _is_strings,
    KEY_PATHS: lambda value: isinstance(value, list) and bool(value) and all(_is_strings(path) for path in value),
    TABLE: lambda value: isinstance(value, dict),
    FREE_TABLE: lambda value: isinstance(value, dict),
    TABLES: lambda value: isinstance(value, list) and all(isinstance(item, dict) for item in value),
    MAP: lambda value: isinstance(value, dict) and all(isinstance(item, dict) for item in value.values()),
    STRING_MAP: lambda value: isinstance(value, dict) and all(isinstance(item, str) for item in value.values()),
    PATTERNS: lambda value: isinstance(value, list) and all(isinstance(item, str | dict) for item in value),
    ANY: lambda value: True,
}


def _inner(where: str, name: str) -> str:
    """The name of table ``name`` inside table ``where``: ``[match]`` -> ``[match.arguments]``."""
    return f"[{name}]" if not where else f"{where[:-1]}.{name}]"


def validate(table: dict[str, Any], keys: tuple[Key, ...], where: str, kind: str = "") -> None:
    """Raise SchemaError for the first key of ``table`` that ``keys`` do not allow. ``where`` names
    the table (``[match]``; '' for the top level of the file), ``kind`` the rule kind if any."""
    known = {key.name: key for key in keys}
    place = f"in {where}" if where else "at the top level"
    suffix = f" (kind {kind})" if kind else ""
    for name in table:
        if name not in known:
            raise SchemaError(f"unknown key {name!r} {place}{suffix}")
    for key in keys:
        if key.name not in table:
            if key.required:
                raise SchemaError(f"missing key {key.name!r} {place}{suffix}")
            continue
        value = table[key.name]
        if not _FITS[key.type](value):
            article = "an" if key.type[0] in "aeiou" else "a"
            raise SchemaError(f"key {key.name!r} {place} must be {article} {key.type}, not {_type_name(value)}{suffix}")
        if key.choices:
            values = value if isinstance(value, list) else [value]
            wrong = [item for item in values if item not in key.choices]
            if wrong:
                raise SchemaError(
                    f"key {key.name!r} {place} has unknown value {wrong[0]!r} (known: {', '.join(key.choices)}){suffix}"
                )
        if key.type == REGEX:
            try:
                re.compile(value)
            except re.error as error:
                raise SchemaError(f"key {key.name!r} {place} is not a valid regex: {error}{suffix}") from error
        inner = _inner(where, key.name)
        if key.type == TABLE:
            validate(value, key.keys, inner, kind)
        elif key.type == TABLES:
            for item in value:
                validate(item, key.keys, inner, kind)
        elif key.type == MAP:
            for entry, item in value.items():
                validate(item, key.keys, _inner(inner, entry), kind)
        elif key.type == PATTERNS:
            for item in value:
                if isinstance(item, dict):
                    validate(item, key.keys, inner, kind)
