"""The concise format: exactly ``path:line:col: CODE message`` per finding (flake8-compatible)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from pinlint.report.groups import FileFindings


def write_concise(out: TextIO, files: Iterable[FileFindings], *, unsafe_fixes: bool = False) -> None:
    """One line per finding; ``[*]`` before the message marks what ``--fix`` would fix (ruff's mark)."""
    for file in files:
        for f in file.findings:
            mark = "[*] " if f.fixable(unsafe_fixes) else ""
            out.write(f"{f.path}:{f.line}:{f.column}: {f.code} {mark}{f.message}\n")
