"""Kind ``function-call``: a call of a named SQL function in a statement that runs it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pinlint.kinds.base import Hit, StatementKind
from pinlint.kinds.schema import INTEGER, STRING_MAP, STRINGS, TABLE, Key
from pinlint.sql.lexer import IDENT, OP, STRING, WORD, Token
from pinlint.sql.statements import Statement

QUERY_STATEMENTS = (
    "SELECT",
    "WITH",
    "INSERT",
    "UPDATE",
    "DELETE",
    "VALUES",
    "MERGE",
    "CALL",
    "EXPLAIN",
    "TABLE",
    "COPY",
)


def call_arguments(tokens: list[Token], open_index: int) -> tuple[list[list[Token]], int]:
    """Split the arguments of a call whose ``(`` is at ``open_index``; return them and the ``)`` index."""
    arguments: list[list[Token]] = [[]]
    depth = 0
    index = open_index
    while index < len(tokens):
        token = tokens[index]
        if token.kind == OP and token.value in ("(", "["):
            depth += 1
            if depth > 1:
                arguments[-1].append(token)
        elif token.kind == OP and token.value in (")", "]"):
            depth -= 1
            if depth == 0:
                return arguments, index
            arguments[-1].append(token)
        elif token.kind == OP and token.value == "," and depth == 1:
            arguments.append([])
        else:
            arguments[-1].append(token)
        index += 1
    return arguments, len(tokens) - 1


def _upper_set(values: list[str]) -> frozenset[str]:
    return frozenset(value.upper() for value in values)


def _literal(argument: list[Token], kinds: tuple[str, ...] = (WORD, STRING)) -> str | None:
    """An argument's literal value, upper-cased (``'TimeZone'::text`` -> ``TIMEZONE``), or None."""
    if len(argument) >= 3 and argument[-2].kind == OP and argument[-2].value == "::":
        argument = argument[:-2]
    if len(argument) != 1 or argument[0].kind not in kinds:
        return None
    return argument[0].value.upper()


@dataclass(frozen=True)
class FunctionCallMatch(StatementKind):
    sql_functions: frozenset[str]
    schemas: frozenset[str]
    statements: frozenset[str]
    safe_position: int | None
    safe_values: frozenset[str]
    replacements: dict[str, str]
    literal_position: int | None = None
    literal_in: frozenset[str] | None = None
    literal_not_in: frozenset[str] | None = None

    name = "function-call"
    summary = (
        "A call of one of `sql-functions` (unqualified, or qualified with one of `schemas`) in a"
        " statement whose leading keyword is one of `statements`, unless the argument named by"
        " `safe-argument` is one of its `safe-values`; with `argument-literal`, only calls whose argument"
        " at that position is a literal in its `in` list, or is anything but a literal in its `not-in` list."
    )
    keys = (
        Key("sql-functions", STRINGS, "SQL function names (case-insensitive).", required=True),
        Key("schemas", STRINGS, "Schemas a qualified call may name.", default='["pg_catalog"]'),
        Key(
            "statements",
            STRINGS,
            "Leading keywords of the statements that run the function.",
            default=", ".join(QUERY_STATEMENTS),
        ),
        Key(
            "safe-argument",
            TABLE,
            "An argument that makes the call harmless when it is one of the literals.",
            keys=(
                Key("position", INTEGER, "The argument's position, 0 for the first.", required=True),
                Key("safe-values", STRINGS, "Literals (case-insensitive) that make it safe.", required=True),
            ),
        ),
        Key(
            "argument-literal",
            TABLE,
            "Split calls by one argument's literal value (e.g. set_config's parameter name). A placeholder"
            " or an expression there is outside `in` and inside `not-in`: pinlint cannot tell its value.",
            keys=(
                Key("position", INTEGER, "The argument's position, 0 for the first.", required=True),
                Key("in", STRINGS, "Flag only calls whose argument is one of these literals (case-insensitive)."),
                Key("not-in", STRINGS, "Never flag calls whose argument is one of these literals (case-insensitive)."),
            ),
        ),
        Key("replacements", STRING_MAP, "Per function, what to call instead (the `{replacement}` capture)."),
    )

    @classmethod
    def build(cls, table: dict[str, Any]) -> FunctionCallMatch:
        safe = table.get("safe-argument", {})
        split = table.get("argument-literal", {})
        return cls(
            sql_functions=frozenset(name.upper() for name in table["sql-functions"]),
            schemas=frozenset(name.upper() for name in table.get("schemas", ["pg_catalog"])),
            statements=frozenset(name.upper() for name in table.get("statements", QUERY_STATEMENTS)),
            safe_position=safe.get("position"),
            safe_values=frozenset(literal.upper() for literal in safe.get("safe-values", [])),
            replacements={name.upper(): value for name, value in table.get("replacements", {}).items()},
            literal_position=split.get("position"),
            literal_in=_upper_set(split["in"]) if "in" in split else None,
            literal_not_in=_upper_set(split["not-in"]) if "not-in" in split else None,
        )

    def _literal_selected(self, arguments: list[list[Token]]) -> bool:
        """Whether ``argument-literal`` lets the call through (always, without that key)."""
        if self.literal_position is None:
            return True
        position = self.literal_position
        literal = _literal(arguments[position], (STRING,)) if len(arguments) > position else None
        if self.literal_in is not None and (literal is None or literal not in self.literal_in):
            return False
        return self.literal_not_in is None or literal is None or literal not in self.literal_not_in

    def _is_safe(self, arguments: list[list[Token]]) -> bool:
        if self.safe_position is None or len(arguments) <= self.safe_position:
            return False
        literal = _literal(arguments[self.safe_position])
        return literal is not None and literal in self.safe_values

    def check(self, statement: Statement, text: str) -> Iterator[Hit]:
        if statement.leading_word not in self.statements:
            return
        tokens = statement.tokens
        for index, token in enumerate(tokens[:-1]):
            name = token.value.upper() if token.kind in (WORD, IDENT) else ""
            if name not in self.sql_functions:
                continue
            following = tokens[index + 1]
            if not (following.kind == OP and following.value == "("):
                continue
            start = token.start
            if index and tokens[index - 1].kind == OP and tokens[index - 1].value == ".":
                schema = tokens[index - 2] if index >= 2 else None
                if schema is None or schema.value.upper() not in self.schemas:
                    continue
                start = schema.start
            arguments, close = call_arguments(tokens, index + 1)
            if self._is_safe(arguments) or not self._literal_selected(arguments):
                continue
            captures = {"function": text[token.start : token.end]}
            if name in self.replacements:
                captures["replacement"] = self.replacements[name]
            yield Hit(start, tokens[close].end, captures)
