"""Kind ``unused-suppression``: a line-level ``# noqa: CODE`` that silences nothing (the engine
tracks which suppressions were used), and a noqa entry that names no rule code (``PIN0``,
``session-set``: ``pinlint.suppress.misnamed_codes``), which never silences anything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pinlint.kinds.base import Interest, SuppressionKind


@dataclass(frozen=True)
class UnusedSuppressionMatch(SuppressionKind):
    name = "unused-suppression"
    summary = "A `# noqa: CODE` comment naming a rule that ran on the file and found nothing on that line."
    keys = ()

    @classmethod
    def build(cls, table: dict[str, Any]) -> UnusedSuppressionMatch:
        return cls()

    @property
    def interest(self) -> Interest:
        return Interest(words=frozenset({("noqa", "PIN")}))  # a file whose only news is a stale noqa comment

    def check(self, code: str) -> dict[str, str]:
        return {"code": code}
