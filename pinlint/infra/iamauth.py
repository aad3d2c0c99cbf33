"""The check that joins an RDS Proxy's client authentication to the code of the functions that use
it: a proxy that requires IAM authentication (``Auth[].IAMAuth: REQUIRED``, Terraform's
``auth { iam_auth = "REQUIRED" }``) while a function whose environment names the proxy connects
with a password and never makes an IAM token. The code is read as text (inline code, or the
Python files of the function's code directory), never imported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pinlint.infra.code import MAX_BYTES, python_files
from pinlint.infra.facts import Function, Pool, Stack
from pinlint.infra.model import Unknown, Value

TOKEN_CALL = "generate_db_auth_token"
# A password given to a connection: a keyword argument, a Django DATABASES entry, a URL's userinfo.
PASSWORD_RE = re.compile(r"""\b(?:password|passwd)\s*=\s*(?!None\b)|["']PASSWORD["']\s*:|://[^/\s:@'"]+:[^/\s@'"]+@""")
CONNECT_RE = re.compile(r"\b(?:connect|create_engine|create_async_engine|create_pool|ConnectionPool)\s*\(")


@dataclass(frozen=True)
class PasswordUse:
    where: str  # "handler.py line 12" or "its inline code, template.yaml line 30"


def _iam_required(pool: Pool) -> Value | None:
    """The property that makes the pool's proxy require IAM authentication from clients, if one does."""
    if pool.proxy is None:
        return None
    terraform = pool.proxy.kind == "aws_db_proxy"
    auth = pool.proxy.properties.get("auth" if terraform else "Auth")
    if auth is None:
        return None
    for entry in auth.items():
        setting = entry.get("iam_auth" if terraform else "IAMAuth")
        if setting is not None and isinstance(setting.data, str) and setting.data.strip('"').upper() == "REQUIRED":
            return setting
    return None


@lru_cache(maxsize=4096)
def _file_use(path: str, size: int, mtime_ns: int) -> tuple[bool, int]:
    """(the file makes an IAM token, the line of its first password connection or 0)."""
    if size > MAX_BYTES:
        return False, 0
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return False, 0
    return _text_use(text)


def _text_use(text: str) -> tuple[bool, int]:
    if TOKEN_CALL in text:
        return True, 0
    if not CONNECT_RE.search(text):
        return False, 0
    found = PASSWORD_RE.search(text)
    return False, (text.count("\n", 0, found.start()) + 1 if found else 0)


def password_use(function: Function) -> PasswordUse | None:
    """Where the function's code connects with a password, when nothing in it makes an IAM token."""
    uses: list[PasswordUse] = []
    if function.inline is not None:
        text = function.inline.data.text if isinstance(function.inline.data, Unknown) else function.inline.text()
        token, line = _text_use(text or "")
        if token:
            return None
        if line:
            span = function.inline.span
            uses.append(PasswordUse(f"its inline code, {os.path.basename(span.path)} line {span.line + line}"))
    for path, recursive in function.code:
        files = python_files(path, recursive) if os.path.isdir(path) else [path] if path.endswith(".py") else []
        for file in files:
            try:
                status = os.stat(file)
            except OSError:
                continue
            token, line = _file_use(file, status.st_size, status.st_mtime_ns)
            if token:
                return None
            if line:
                shown = os.path.relpath(file) if not os.path.isabs(path) else file
                uses.append(PasswordUse(f"{shown.replace(os.sep, '/')} line {line}"))
    return uses[0] if uses else None


def iam_required_but_password_code(stack: Stack, settings: dict[str, Any]) -> Iterator[tuple[Value, dict[str, str]]]:
    """A proxy requiring IAM authentication, used (by its environment) by a function whose code
    connects with a password and makes no IAM token."""
    reported: set[int] = set()
    for pool in stack.pools:
        required = _iam_required(pool)
        if required is None or pool.proxy is None or id(required) in reported:
            continue
        for function in stack.functions:
            if function.environment is None:
                continue
            if pool.proxy.name not in {ref.target for ref in function.environment.refs()}:
                continue
            use = password_use(function)
            if use is not None:
                reported.add(id(required))
                yield required, {"proxy": pool.proxy_label, "function": function.resource.name, "where": use.where}
                break
