"""The concise format: exactly ``path:line:col: CODE message`` per finding (flake8-compatible)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from pinlint.report.groups import FileFindings


def write_concise(out: TextIO, files: Iterable[FileFindings]) -> None:
    for file in files:
        for f in file.findings:
            out.write(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}\n")
