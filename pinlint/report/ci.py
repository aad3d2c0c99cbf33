"""Formats for CI systems: GitHub Actions workflow commands, GitLab Code Quality, JSON lines."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from pinlint.model import Finding
from pinlint.report.json import finding_to_json
from pinlint.report.sarif import fingerprint

GITLAB_SEVERITY = {"error": "major", "warning": "minor"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: Sequence[Finding]) -> str:
    """``::error file=...,line=...::message``, escaped as @actions/core escapes them; col and
    endColumn only when the finding is on one line (GitHub drops them otherwise)."""
    lines = []
    for finding in findings:
        command = "error" if finding.severity == "error" else "warning"
        properties = [f"file={_escape_property(finding.path)}", f"line={finding.line}"]
        if finding.end_line == finding.line:
            properties += [f"col={finding.column}", f"endColumn={finding.end_column}"]
        else:
            properties.append(f"endLine={finding.end_line}")
        properties.append(f"title={_escape_property(f'{finding.code} {finding.name}')}")
        message = _escape_data(f"{finding.message}\n{finding.fix}")
        lines.append(f"::{command} {','.join(properties)}::{message}\n")
    return "".join(lines)


def render_gitlab(findings: Sequence[Finding]) -> str:
    """GitLab Code Quality; fingerprints stay the same when lines move (as in SARIF)."""
    issues = []
    seen: dict[str, int] = {}
    for finding in findings:
        base = fingerprint(finding, finding.path)
        seen[base] = seen.get(base, 0) + 1
        digest = hashlib.sha256(f"{base}:{seen[base]}".encode()).hexdigest()
        issues.append(
            {
                "description": f"{finding.code} {finding.message}",
                "check_name": f"{finding.code} {finding.name}",
                "fingerprint": digest,
                "severity": GITLAB_SEVERITY.get(finding.severity, "minor"),
                "location": {"path": finding.path, "lines": {"begin": finding.line}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def render_json_lines(findings: Sequence[Finding]) -> str:
    return "".join(json.dumps(finding_to_json(finding), ensure_ascii=False) + "\n" for finding in findings)


def render_pylint(findings: Sequence[Finding]) -> str:
    """``path:line: [CODE(name), ] message``, as pylint's parseable format."""
    return "".join(f"{f.path}:{f.line}: [{f.code}({f.name}), ] {f.message}\n" for f in findings)


def render_junit(findings: Sequence[Finding], checked: Sequence[str] = ()) -> str:
    """JUnit XML: one test case per file, failing with one failure per finding."""
    from xml.etree import ElementTree as ET

    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    paths = sorted(set(checked) | set(by_path))
    suites = ET.Element("testsuites", name="pinlint", tests=str(len(paths)), failures=str(len(by_path)))
    suite = ET.SubElement(suites, "testsuite", name="pinlint", tests=str(len(paths)), failures=str(len(by_path)))
    for path in paths:
        case = ET.SubElement(suite, "testcase", name=path, classname="pinlint")
        for finding in by_path.get(path, []):
            failure = ET.SubElement(case, "failure", message=f"{finding.code} {finding.message}", type=finding.code)
            failure.text = (
                f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.message}\n{finding.fix}"
            )
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
