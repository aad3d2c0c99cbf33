"""Kind ``statement-count``: more statements than allowed in the string of one execute call."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pinlint.kinds.base import Hit, StatementsKind
from pinlint.kinds.schema import INTEGER, Key
from pinlint.sql.statements import Statement


@dataclass(frozen=True)
class StatementCountMatch(StatementsKind):
    max_statements: int

    name = "statement-count"
    summary = (
        "A SQL string in Python (one execute call) holds more than `max-statements` statements;"
        " the first one too many is the finding."
    )
    keys = (Key("max-statements", INTEGER, "The most statements one string may hold.", default="1"),)

    @classmethod
    def build(cls, table: dict[str, Any]) -> StatementCountMatch:
        return cls(max_statements=table.get("max-statements", 1))

    def check(self, statements: list[Statement], text: str) -> Iterator[Hit]:
        if len(statements) > self.max_statements:
            first = statements[self.max_statements].tokens[0]
            yield Hit(first.start, first.end, {"count": str(len(statements))})
