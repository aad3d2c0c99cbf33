"""Findings grouped by file, in output order: what every format's writer takes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pinlint.model import Finding


@dataclass(frozen=True)
class FileFindings:
    """One file's findings in output order; ``path`` is the file's own name (to read its lines)."""

    path: str
    findings: Sequence[Finding]


def group_by_file(findings: Iterable[Finding]) -> list[FileFindings]:
    """Findings in output order (sorted by path, line, column), one group per file."""
    groups: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=lambda finding: finding.sort_key):
        groups.setdefault(finding.path, []).append(finding)
    return [FileFindings(path, found) for path, found in groups.items()]
