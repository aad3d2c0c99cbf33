"""SARIF 2.1.0 for GitHub code scanning: rules with their docs, results with 1-based regions,
repo-relative URIs under %SRCROOT%, stable partial fingerprints, and a tool execution
notification for each file that could not be linted (a syntax error, an unreadable file)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from pinlint import HOMEPAGE, __version__
from pinlint.catalog import Rule
from pinlint.model import Finding
from pinlint.paths import relative_to_root
from pinlint.report.json import ARRAY, write_document
from pinlint.report.text import explained
from pinlint.rulesdoc import fix_text, render_rule, rule_url

if TYPE_CHECKING:
    from pinlint.report.groups import FileFindings

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning"}
MAX_DESCRIPTION = 1000


def _relative_uri(path: str, root: Path) -> str:
    """``path`` relative to ``root`` as a URI reference: each byte of the file's name that a URI
    cannot hold (a space, ``#``, ``%``, non-ASCII, an undecodable byte) is percent-encoded."""
    return quote(os.fsencode(relative_to_root(path, root)), safe="/")


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


def _results(files: Iterable[FileFindings], rules: Sequence[Rule], root: Path) -> Iterator[dict[str, Any]]:
    index = {rule.code: position for position, rule in enumerate(rules)}
    seen: dict[str, int] = {}
    for file in files:
        uri = _relative_uri(file.path, root)
        for finding in file.findings:
            yield _result(finding, uri, index, seen)


def _result(finding: Finding, uri: str, index: dict[str, int], seen: dict[str, int]) -> dict[str, Any]:
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
        "message": {"text": f"{explained(finding)}. Fix: {finding.fix}"},
        "locations": [
            {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}, "region": region}}
        ],
        "partialFingerprints": {"pinlint/v1": f"{print_}:{seen[print_]}"},
        "properties": {"targets": dict(finding.targets), **({"pooler": finding.pooler} if finding.pooler else {})},
    }
    if finding.dialect:
        result["properties"]["dialect"] = {"name": finding.dialect, "reason": finding.dialect_reason}
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    return result


SKIPPED_FILE = "pinlint/file-skipped"  # the descriptor id of a file that could not be linted


def _notification(path: str, why: str, root: Path) -> dict[str, Any]:
    """A file pinlint could not lint, as the run's ``warning`` pinlint printed for it."""
    location = {"artifactLocation": {"uri": _relative_uri(path, root), "uriBaseId": "%SRCROOT%"}}
    return {
        "level": "warning",
        "message": {"text": f"{path}: {why}"},
        "locations": [{"physicalLocation": location}],
        "descriptor": {"id": SKIPPED_FILE},
    }


def write_sarif(
    out: TextIO,
    files: Iterable[FileFindings],
    rules: Sequence[Rule],
    root: Path,
    skipped: Sequence[tuple[str, str]] = (),
) -> None:
    """The SARIF document, its results streamed (``files`` are the original paths, for the URIs);
    ``skipped`` (path, why) are the files that could not be linted."""
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
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [_notification(path, why, root) for path, why in skipped],
                    }
                ],
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": ARRAY,
            }
        ],
    }
    write_document(out, document, _results(files, rules, root))
