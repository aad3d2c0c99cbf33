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


@dataclass(frozen=True)
class FunctionCallMatch(StatementKind):
    sql_functions: frozenset[str]
    schemas: frozenset[str]
    statements: frozenset[str]
    safe_position: int | None
    safe_values: frozenset[str]
    replacements: dict[str, str]

    name = "function-call"
    summary = (
        "A call of one of `sql-functions` (unqualified, or qualified with one of `schemas`) in a"
        " statement whose leading keyword is one of `statements`, unless the argument named by"
        " `safe-argument` is one of its `safe-values`."
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
        Key("replacements", STRING_MAP, "Per function, what to call instead (the `{replacement}` capture)."),
    )

    @classmethod
    def build(cls, table: dict[str, Any]) -> FunctionCallMatch:
        safe = table.get("safe-argument", {})
        return cls(
            sql_functions=frozenset(name.upper() for name in table["sql-functions"]),
            schemas=frozenset(name.upper() for name in table.get("schemas", ["pg_catalog"])),
            statements=frozenset(name.upper() for name in table.get("statements", QUERY_STATEMENTS)),
            safe_position=safe.get("position"),
            safe_values=frozenset(literal.upper() for literal in safe.get("safe-values", [])),
            replacements={name.upper(): value for name, value in table.get("replacements", {}).items()},
        )

    def _is_safe(self, arguments: list[list[Token]]) -> bool:
        if self.safe_position is None or len(arguments) <= self.safe_position:
            return False
        argument = arguments[self.safe_position]
        if len(argument) >= 3 and argument[-2].kind == OP and argument[-2].value == "::":
            argument = argument[:-2]
        if len(argument) != 1 or argument[0].kind not in (WORD, STRING):
            return False
        return argument[0].value.upper() in self.safe_values

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
            if self._is_safe(arguments):
                continue
            captures = {"function": text[token.start : token.end]}
            if name in self.replacements:
                captures["replacement"] = self.replacements[name]
            yield Hit(start, tokens[close].end, captures)
