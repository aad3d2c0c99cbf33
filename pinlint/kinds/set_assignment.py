"""Kind ``set-assignment`` (MySQL): each assignment of a ``SET`` statement, by scope and variable."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pinlint.kinds.base import Hit, StatementKind
from pinlint.kinds.schema import STRINGS, TABLE, Key
from pinlint.kinds.token import sysvar_name
from pinlint.sql.lexer import IDENT, OP, SYSVAR, USERVAR, WORD, Token
from pinlint.sql.statements import Statement

SET_SCOPES = ("user", "session", "local", "next-transaction", "global", "persist")
_SCOPE_WORDS = {
    "GLOBAL": "global",
    "SESSION": "session",
    "LOCAL": "local",
    "PERSIST": "persist",
    "PERSIST_ONLY": "persist",
}
# Transaction characteristics set with a bare @@ apply to the next transaction only (MySQL 8.0 manual, 15.3.7).
_NEXT_TRANSACTION_VARIABLES = frozenset(
    ["TRANSACTION_ISOLATION", "TX_ISOLATION", "TRANSACTION_READ_ONLY", "TX_READ_ONLY"]
)
_NOT_VARIABLE_SETS = frozenset(["PASSWORD", "ROLE", "DEFAULT", "RESOURCE"])


@dataclass(frozen=True)
class Assignment:
    scope: str
    variable: str  # upper-cased name; NAMES, CHARACTER SET and TRANSACTION for those forms
    first: int  # token index of the assignment's first token
    last: int  # token index of its variable name


def _split_top_level(tokens: list[Token], start: int) -> list[tuple[int, int]]:
    """Index ranges of the comma-separated items from ``start``, ignoring commas in parentheses."""
    items = []
    depth = 0
    begin = start
    for index in range(start, len(tokens)):
        token = tokens[index]
        if token.kind == OP and token.value in ("(", "["):
            depth += 1
        elif token.kind == OP and token.value in (")", "]"):
            depth = max(depth - 1, 0)
        elif token.kind == OP and token.value == "," and depth == 0:
            items.append((begin, index))
            begin = index + 1
    items.append((begin, len(tokens)))
    return [(first, end) for first, end in items if first < end]


def set_assignments(tokens: list[Token]) -> list[Assignment]:
    """The assignments of a MySQL ``SET`` statement (empty for SET PASSWORD, SET ROLE...)."""
    if not tokens or tokens[0].kind != WORD or tokens[0].value != "SET" or len(tokens) < 2:
        return []
    if tokens[1].kind == WORD and tokens[1].value in _NOT_VARIABLE_SETS:
        return []
    found = []
    for first, end in _split_top_level(tokens, 1):
        token = tokens[first]
        if token.kind == USERVAR:
            found.append(Assignment("user", token.value[1:], first, first))
        elif token.kind == SYSVAR:
            name = sysvar_name(token.value)
            prefix = token.value[2 : len(token.value) - len(name)].rstrip(".")
            if prefix:
                scope = _SCOPE_WORDS.get(prefix, "session")
            else:
                scope = "next-transaction" if name in _NEXT_TRANSACTION_VARIABLES else "session"
            found.append(Assignment(scope, name, first, first))
        elif token.kind in (WORD, IDENT):
            scope = "session"
            index = first
            if token.kind == WORD and token.value in _SCOPE_WORDS and index + 1 < end:
                scope = _SCOPE_WORDS[token.value]
                index += 1
            name_token = tokens[index]
            name = name_token.value.upper() if name_token.kind in (WORD, IDENT) else ""
            if name == "TRANSACTION":
                scope = "next-transaction" if index == first else scope
            elif name in ("CHARACTER", "CHAR") and index + 1 < end and tokens[index + 1].value == "SET":
                name, index = "CHARACTER SET", index + 1
            elif name == "CHARSET":
                name = "CHARACTER SET"
            if name:
                found.append(Assignment(scope, name, first, index))
            if name == "TRANSACTION":
                break  # the items after a comma are more characteristics of the same transaction
    return found


@dataclass(frozen=True)
class SetAssignmentMatch(StatementKind):
    scopes: frozenset[str]
    variables_in: frozenset[str]
    variables_not_in: frozenset[str]

    name = "set-assignment"
    summary = (
        "Each assignment of a MySQL `SET` statement, classified by scope (`user`, `session`, `local`,"
        " `next-transaction`, `global`, `persist`) and variable name (`NAMES`, `CHARACTER SET` and"
        " `TRANSACTION` for those forms); fires for the `scopes` listed, filtered by `variables`."
    )
    keys = (
        Key("scopes", STRINGS, "The scopes that are flagged.", required=True, choices=SET_SCOPES),
        Key(
            "variables",
            TABLE,
            "Which variables count.",
            keys=(
                Key("in", STRINGS, "Only these variables (case-insensitive)."),
                Key("not-in", STRINGS, "Never these variables (case-insensitive)."),
            ),
        ),
    )

    @classmethod
    def build(cls, table: dict[str, Any]) -> SetAssignmentMatch:
        variables = table.get("variables", {})
        return cls(
            scopes=frozenset(table["scopes"]),
            variables_in=frozenset(name.upper() for name in variables.get("in", [])),
            variables_not_in=frozenset(name.upper() for name in variables.get("not-in", [])),
        )

    def check(self, statement: Statement, text: str) -> Iterator[Hit]:
        tokens = statement.tokens
        for assignment in set_assignments(tokens):
            if assignment.scope not in self.scopes:
                continue
            if self.variables_in and assignment.variable not in self.variables_in:
                continue
            if assignment.variable in self.variables_not_in:
                continue
            start, end = tokens[assignment.first].start, tokens[assignment.last].end
            yield Hit(start, end, {"variable": assignment.variable.lower(), "assignment": text[start:end]})
