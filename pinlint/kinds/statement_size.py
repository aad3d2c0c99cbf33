"""Kind ``statement-size``: a statement whose text is larger than a byte limit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pinlint.kinds.base import Hit, StatementKind
from pinlint.kinds.schema import INTEGER, Key
from pinlint.model import HOLE
from pinlint.sql.statements import Statement


@dataclass(frozen=True)
class StatementSizeMatch(StatementKind):
    max_bytes: int

    name = "statement-size"
    whole_text = True  # a schema file read at run time and sent in one call counts whole
    summary = (
        "The statement's text, in UTF-8, is larger than `max-bytes`"
        " (the dynamic parts of a Python string count as zero)."
    )
    keys = (Key("max-bytes", INTEGER, "The largest size that is fine.", default="16384"),)

    @classmethod
    def build(cls, table: dict[str, Any]) -> StatementSizeMatch:
        return cls(max_bytes=table.get("max-bytes", 16384))

    def check(self, statement: Statement, text: str) -> Iterator[Hit]:
        body = text[statement.start : statement.end]
        if len(body) <= self.max_bytes // 4:
            return  # fewer characters than a quarter of the limit cannot reach it in UTF-8
        size = len(body.replace(HOLE, "").encode("utf-8"))
        if size > self.max_bytes:
            first = statement.tokens[0]
            yield Hit(first.start, first.end, {"bytes": f"{size:,}", "kib": f"{size / 1024:.1f}"})
