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
# Systems Manager Parameter Store through boto3's ssm client.
SSM_CALL_RE = re.compile(r"\.(get_parameter|get_parameters|get_parameters_by_path)\s*\(")
SERVICE_CALLS = {"secretsmanager": SECRET_CALL_RE, "ssm": SSM_CALL_RE}
MAX_FILES = 2000
MAX_BYTES = 2 * 1024 * 1024
_SKIPPED = {".venv", "venv", "node_modules", ".aws-sam", "cdk.out", ".git", "__pycache__", "tests", "test"}


@dataclass(frozen=True)
class CodeUse:
    path: str
    line: int
    what: str  # "get_secret_value()"


def secret_reads(files: tuple[str, ...], service: str = "secretsmanager") -> CodeUse | None:
    """The first read of ``service`` (``secretsmanager``, ``ssm``: SERVICE_CALLS) in ``files``
    (Python sources), if any."""
    pattern = SERVICE_CALLS[service]
    for path in files:
        text = read_small(path)
        match = pattern.search(text) if text is not None else None
        if text is None or match is None:
            continue
        if service == "ssm" and "ssm" not in text:
            continue  # a `get_parameter()` of something that is not boto3's ssm client
        return CodeUse(path, text.count("\n", 0, match.start()) + 1, f"{match.group(1)}()")
    return None


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


# ------------------------------------------------------------------ client pools in a function's code
@dataclass(frozen=True)
class PoolUse:
    """A client pool or engine the code creates, with the settings the infrastructure checks
    compare with the database and the proxy: how many connections each execution environment
    opens at once, and how long an idle connection is kept (None: not bounded by the pool)."""

    path: str
    line: int
    call: str  # "psycopg_pool.ConnectionPool(min_size=8)"
    connections: int
    connections_said: str  # "min_size=8", "min_size not set: 4"
    idle_seconds: float | None
    idle_said: str  # "max_idle=3600", "max_inactive_connection_lifetime not set: 300 s"


_POOL_CALL_RE = re.compile(
    r"\b(?:psycopg_pool\.)?(?P<psycopg>(?:Async)?ConnectionPool)\s*\(|\basyncpg\.(?P<asyncpg>create_pool)\s*\("
    r"|\b(?:sqlalchemy\.)?(?P<sqlalchemy>create_(?:async_)?engine)\s*\("
)


def _keyword(arguments: str, name: str) -> float | None:
    found = re.search(rf"\b{name}\s*=\s*(-?\d+(?:\.\d+)?)\b", arguments)
    return float(found.group(1)) if found else None


def _arguments(text: str, start: int) -> str:
    """The text between the parenthesis at ``start`` and its match (the call's arguments)."""
    depth = 0
    for index in range(start, min(len(text), start + 4000)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1 : index]
    return text[start + 1 : start + 4000]


def pool_uses(files: tuple[str, ...]) -> list[PoolUse]:
    """The pools and engines created in ``files``: psycopg_pool's pools (``min_size`` connections
    opened at once, default 4; idle connections closed after ``max_idle``, default 600 s),
    asyncpg's ``create_pool`` (``min_size``, default 10; ``max_inactive_connection_lifetime``,
    default 300 s) and SQLAlchemy engines (connections opened as needed: one per environment in
    a Lambda; ``pool_recycle`` when set to a positive number of seconds)."""
    found: list[PoolUse] = []
    for path in files:
        text = read_small(path)
        if text is not None:
            found.extend(pools_in_text(text, path))
    return found


def pools_in_text(text: str, path: str, first_line: int = 1) -> list[PoolUse]:
    """The pools and engines created in one Python text (a file, or a function's inline code
    that starts on ``first_line`` of ``path``)."""
    found: list[PoolUse] = []
    if "ConnectionPool" in text or "create_pool" in text or "create_engine" in text:
        for match in _POOL_CALL_RE.finditer(text):
            arguments = _arguments(text, match.end() - 1)
            line = text.count("\n", 0, match.start()) + first_line
            name = match.group("psycopg") or match.group("asyncpg") or match.group("sqlalchemy")
            if match.group("psycopg"):
                if "psycopg_pool" not in text:
                    continue
                minimum, idle = _keyword(arguments, "min_size"), _keyword(arguments, "max_idle")
                found.append(
                    PoolUse(
                        path,
                        line,
                        f"psycopg_pool.{name}()",
                        int(minimum) if minimum is not None else 4,
                        f"min_size={minimum:g}" if minimum is not None else "min_size not set: 4",
                        idle if idle is not None else 600.0,
                        f"max_idle={idle:g}" if idle is not None else "max_idle not set: 600 s",
                    )
                )
            elif match.group("asyncpg"):
                minimum = _keyword(arguments, "min_size")
                idle = _keyword(arguments, "max_inactive_connection_lifetime")
                found.append(
                    PoolUse(
                        path,
                        line,
                        "asyncpg.create_pool()",
                        int(minimum) if minimum is not None else 10,
                        f"min_size={minimum:g}" if minimum is not None else "min_size not set: 10",
                        idle if idle is not None else 300.0,
                        f"max_inactive_connection_lifetime={idle:g}"
                        if idle is not None
                        else "max_inactive_connection_lifetime not set: 300 s",
                    )
                )
            else:
                if "sqlalchemy" not in text:
                    continue
                recycle = _keyword(arguments, "pool_recycle")
                found.append(
                    PoolUse(
                        path,
                        line,
                        f"sqlalchemy.{name}()",
                        1,
                        "connections opened as the code asks: one per environment",
                        recycle if recycle is not None and recycle > 0 else None,
                        f"pool_recycle={recycle:g}" if recycle is not None else "",
                    )
                )
    return found
