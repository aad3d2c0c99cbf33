"""Paths as pinlint's configuration sees them: a path relative to the project root, with POSIX
separators, the one form that config globs, excludes and SARIF URIs are matched or written in."""

from __future__ import annotations

import os
from pathlib import Path


def relative_to_root(path: str | os.PathLike[str], root: str | os.PathLike[str], *, directory: bool = False) -> str:
    """``path`` relative to ``root`` (both resolved), with ``/`` separators; the path as given
    (``/`` separators) when it is outside ``root``. With ``directory``, the form an exclude pattern
    sees a directory in: ``""`` for ``root`` itself, otherwise with a trailing slash."""
    try:
        relative = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        relative = Path(path).as_posix()
    if not directory:
        return relative
    return "" if relative == "." else relative + "/"
