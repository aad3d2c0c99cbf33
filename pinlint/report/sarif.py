"""SARIF 2.1.0 for GitHub code scanning: rules with their docs, results with 1-based regions,
repo-relative URIs under %SRCROOT%, and stable partial fingerprints."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pinlint import HOMEPAGE, __version__
from pinlint.catalog import Rule
from pinlint.model import Finding
from pinlint.rulesdoc import fix_text, render_rule, rule_url

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning"}
MAX_DESCRIPTION = 1000


def _relative_uri(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def fingerprint(finding: Finding, uri: str) -> str:
    """Stable across runs and unrelated edits: the rule, the file, and what was found (not the line)."""
    subject = " ".join(finding.sql.split()) if finding.sql else finding.message
    return hashlib.sha256(f"{finding.code}|{uri}|{subject}".encode()).hexdigest()


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.what.strip()[:MAX_DESCRIPTION]},
        "help": {"text": f"{fix_text(rule)}\n\n{rule.why.strip()}", "markdown": render_rule(rule)},
        "helpUri": rule_url(rule),
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "warning")},
        "properties": {"tags": ["database", "connection-pooling"], "precision": "high"},
    }


def render_sarif(findings: Sequence[Finding], rules: Sequence[Rule], root: Path) -> str:
    index = {rule.code: position for position, rule in enumerate(rules)}
    results = []
    seen: dict[str, int] = {}
    for finding in findings:
        uri = _relative_uri(finding.path, root)
        print_ = fingerprint(finding, uri)
        seen[print_] = seen.get(print_, 0) + 1  # the same text twice in a file gets its own print
        region: dict[str, int] = {"startLine": max(finding.line, 1), "startColumn": max(finding.column, 1)}
        region["endLine"] = max(finding.end_line, region["startLine"])
        if finding.end_column > 0 and (
            region["endLine"] > region["startLine"] or finding.end_column > region["startColumn"]
        ):
            region["endColumn"] = finding.end_column
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "level": LEVELS.get(finding.severity, "warning"),
            "message": {"text": f"{finding.message}. Fix: {finding.fix}"},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}, "region": region}}
            ],
            "partialFingerprints": {"pinlint/v1": f"{print_}:{seen[print_]}"},
            "properties": {"targets": dict(finding.targets)},
        }
        if finding.dialect:
            result["properties"]["dialect"] = {"name": finding.dialect, "reason": finding.dialect_reason}
        if finding.code in index:
            result["ruleIndex"] = index[finding.code]
        results.append(result)
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pinlint",
                        "semanticVersion": __version__,
                        "informationUri": HOMEPAGE,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
