"""The json format: an array of findings with ruff's field names plus pinlint's targets and SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pinlint.model import Finding


def finding_to_json(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        "severity": finding.severity,
        "filename": finding.path,
        "location": {"row": finding.line, "column": finding.column},
        "end_location": {"row": finding.end_line, "column": finding.end_column},
        "fix": {"message": finding.fix},
        "targets": dict(finding.targets),
        "sql": finding.sql,
        "dialect": {"name": finding.dialect, "reason": finding.dialect_reason} if finding.dialect else None,
        "url": None,
        "doc": f"pinlint rule {finding.code}",
    }


def render_json(findings: Sequence[Finding]) -> str:
    return json.dumps([finding_to_json(finding) for finding in findings], indent=2, ensure_ascii=False) + "\n"
