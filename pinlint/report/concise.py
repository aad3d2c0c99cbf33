"""The concise format: exactly ``path:line:col: CODE message`` per finding (flake8-compatible)."""

from __future__ import annotations

from collections.abc import Sequence

from pinlint.model import Finding


def render_concise(findings: Sequence[Finding]) -> str:
    return "".join(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}\n" for f in findings)
