"""Kind ``token``: a token of a given kind anywhere in a statement (MySQL variables, executable
comments, a keyword such as ``SQL_CALC_FOUND_ROWS``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pinlint.kinds.base import Hit, StatementKind
from pinlint.kinds.schema import BOOLEAN, STRINGS, Key
from pinlint.sql.lexer import EXEC, SYSVAR, USERVAR, WORD
from pinlint.sql.statements import Statement


def _short(text: str, limit: int = 48) -> str:
    """One line of at most ``limit`` characters, for quoting a long token in a message."""
    first_line = text.splitlines()[0] if text else text
    if len(first_line) <= limit and first_line == text:
        return text
    return first_line[: limit - 1].rstrip() + "…"


TOKEN_KINDS = {"uservar": USERVAR, "sysvar": SYSVAR, "exec-comment": EXEC, "word": WORD}
_SYSVAR_SCOPES = ("GLOBAL.", "SESSION.", "LOCAL.", "PERSIST.", "PERSIST_ONLY.")


def sysvar_name(value: str) -> str:
    """``@@SESSION.SQL_MODE`` -> ``SQL_MODE``."""
    return sysvar_parts(value)[1]


def sysvar_parts(value: str) -> tuple[str, str]:
    """``@@SESSION.SQL_MODE`` -> (``SESSION``, ``SQL_MODE``); no scope -> ``""``."""
    name = value[2:] if value.startswith("@@") else value
    for scope in _SYSVAR_SCOPES:
        if name.startswith(scope):
            return scope[:-1], name[len(scope) :]
    return "", name


@dataclass(frozen=True)
class TokenMatch(StatementKind):
    token_kinds: frozenset[str]
    flag_values: frozenset[str]
    safe_values: frozenset[str]
    unless_statements: frozenset[str]
    first_only: bool
    safe_in_statements: frozenset[str]
    safe_scopes: frozenset[str] | None

    name = "token"
    summary = (
        "A token of one of `token-kinds` anywhere in a statement whose leading keyword is none of"
        " `unless-statements`; with `flag-values`, only tokens with one of those values, and never"
        " one of `safe-values` (a system variable's name without `@@` and scope)."
    )
    keys = (
        Key("token-kinds", STRINGS, "Kinds of token.", required=True, choices=tuple(TOKEN_KINDS)),
        Key("flag-values", STRINGS, "Only these values are flagged (case-insensitive)."),
        Key("safe-values", STRINGS, "Values that are never flagged (case-insensitive)."),
        Key("unless-statements", STRINGS, "Leading keywords of statements that are not looked at."),
        Key("first-only", BOOLEAN, "Report the first such token of a statement only.", default="false"),
        Key(
            "safe-in-statements",
            STRINGS,
            "Leading keywords of the statements where `safe-values` are safe; in any other statement they are"
            " flagged too (default: every statement).",
        ),
        Key(
            "safe-scopes",
            STRINGS,
            "For system variables: the scopes a safe value may carry (`SESSION`, `LOCAL`); one with another"
            " scope (`@@GLOBAL.version`) is flagged (default: any scope).",
        ),
    )

    @classmethod
    def build(cls, table: dict[str, Any]) -> TokenMatch:
        return cls(
            token_kinds=frozenset(TOKEN_KINDS[kind] for kind in table["token-kinds"]),
            flag_values=frozenset(value.upper() for value in table.get("flag-values", [])),
            safe_values=frozenset(value.upper() for value in table.get("safe-values", [])),
            unless_statements=frozenset(word.upper() for word in table.get("unless-statements", [])),
            first_only=table.get("first-only", False),
            safe_in_statements=frozenset(word.upper() for word in table.get("safe-in-statements", [])),
            safe_scopes=(
                frozenset(scope.upper() for scope in table["safe-scopes"]) if "safe-scopes" in table else None
            ),
        )

    def check(self, statement: Statement, text: str) -> Iterator[Hit]:
        if self.unless_statements and statement.leading_word in self.unless_statements:
            return
        safe_here = not self.safe_in_statements or statement.leading_word in self.safe_in_statements
        for token in statement.tokens:
            if token.kind not in self.token_kinds:
                continue
            scope, value = sysvar_parts(token.value) if token.kind == SYSVAR else ("", token.value)
            if self.flag_values and value not in self.flag_values:
                continue
            if (
                value in self.safe_values
                and safe_here
                and (self.safe_scopes is None or not scope or scope in self.safe_scopes)
            ):
                continue
            yield Hit(token.start, token.end, {"token": _short(text[token.start : token.end]), "name": value.lower()})
            if self.first_only:
                return
