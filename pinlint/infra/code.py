"""What a function's code does at run time that the infrastructure must allow: here, whether it
reads Secrets Manager (``get_secret_value``, the AWS secrets cache). Read as text, never imported.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

# A call of the boto3 method, or the AWS caching client's (aws_secretsmanager_caching).
SECRET_CALL_RE = re.compile(r"\.(get_secret_value|get_secret_string|get_secret_binary)\s*\(")
MAX_FILES = 2000
MAX_BYTES = 2 * 1024 * 1024
_SKIPPED = {".venv", "venv", "node_modules", ".aws-sam", "cdk.out", ".git", "__pycache__", "tests", "test"}


@dataclass(frozen=True)
class CodeUse:
    path: str
    line: int
    what: str  # "get_secret_value()"


def secret_reads(files: tuple[str, ...]) -> CodeUse | None:
    """The first Secrets Manager read in ``files`` (Python sources), if any."""
    for path in files:
        try:
            status = os.stat(path)
        except OSError:
            continue
        found = _secret_read(path, status.st_size, status.st_mtime_ns)
        if found is not None:
            return found
    return None


@lru_cache(maxsize=4096)
def _secret_read(path: str, size: int, mtime_ns: int) -> CodeUse | None:
    """(size and mtime_ns key the cache: an editor's long-lived process sees the file change.)"""
    if size > MAX_BYTES:
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    match = SECRET_CALL_RE.search(text)
    if match is None:
        return None
    return CodeUse(path, text.count("\n", 0, match.start()) + 1, f"{match.group(1)}()")


def read_small(path: str) -> str | None:
    """A Python file's text (None when it cannot be read or is too large), cached by size and mtime."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return _read_small(path, status.st_size, status.st_mtime_ns)


@lru_cache(maxsize=4096)
def _read_small(path: str, size: int, mtime_ns: int) -> str | None:
    if size > MAX_BYTES:
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def python_files(directory: str, recursive: bool = True) -> tuple[str, ...]:
    """The ``.py`` files of a function's code directory (tests and tool output left out), sorted."""
    found: list[str] = []
    for here, subdirectories, names in os.walk(directory):
        subdirectories[:] = sorted(name for name in subdirectories if name not in _SKIPPED and not name.startswith("."))
        found.extend(os.path.join(here, name) for name in sorted(names) if name.endswith(".py"))
        if not recursive or len(found) >= MAX_FILES:
            break
    return tuple(found[:MAX_FILES])
