"""Formats for CI systems: GitHub Actions workflow commands, GitLab Code Quality, JSON lines,
pylint's parseable format and JUnit XML."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from pinlint.model import Finding
from pinlint.report.json import ARRAY, finding_to_json, write_document
from pinlint.report.sarif import fingerprint
from pinlint.report.text import explained

if TYPE_CHECKING:
    from pinlint.report.groups import FileFindings

GITLAB_SEVERITY = {"error": "major", "warning": "minor"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _findings(files: Iterable[FileFindings]) -> Iterator[Finding]:
    for file in files:
        yield from file.findings


def write_github(out: TextIO, files: Iterable[FileFindings]) -> None:
    """``::error file=...,line=...::message``, escaped as @actions/core escapes them; col and
    endColumn only when the finding is on one line (GitHub drops them otherwise)."""
    for finding in _findings(files):
        command = "error" if finding.severity == "error" else "warning"
        properties = [f"file={_escape_property(finding.path)}", f"line={finding.line}"]
        if finding.end_line == finding.line:
            properties += [f"col={finding.column}", f"endColumn={finding.end_column}"]
        else:
            properties.append(f"endLine={finding.end_line}")
        properties.append(f"title={_escape_property(f'{finding.code} {finding.name}')}")
        message = _escape_data(f"{explained(finding)}\n{finding.fix}")
        out.write(f"::{command} {','.join(properties)}::{message}\n")


def _gitlab_issues(files: Iterable[FileFindings]) -> Iterator[dict[str, Any]]:
    """GitLab Code Quality issues; fingerprints stay the same when lines move (as in SARIF)."""
    seen: dict[str, int] = {}
    for finding in _findings(files):
        base = fingerprint(finding, finding.path)
        seen[base] = seen.get(base, 0) + 1
        digest = hashlib.sha256(f"{base}:{seen[base]}".encode()).hexdigest()
        yield {
            "description": f"{finding.code} {explained(finding)}",
            "check_name": f"{finding.code} {finding.name}",
            "fingerprint": digest,
            "severity": GITLAB_SEVERITY.get(finding.severity, "minor"),
            "location": {"path": finding.path, "lines": {"begin": finding.line}},
        }


def write_gitlab(out: TextIO, files: Iterable[FileFindings]) -> None:
    write_document(out, ARRAY, _gitlab_issues(files))


def write_json_lines(out: TextIO, files: Iterable[FileFindings]) -> None:
    for finding in _findings(files):
        out.write(json.dumps(finding_to_json(finding), ensure_ascii=False) + "\n")


def write_pylint(out: TextIO, files: Iterable[FileFindings]) -> None:
    """``path:line: [CODE(name), ] message``, as pylint's parseable format."""
    for f in _findings(files):
        out.write(f"{f.path}:{f.line}: [{f.code}({f.name}), ] {f.message}\n")


# Characters XML 1.0 cannot hold at all (not even as a reference): written as \xNN, \uNNNN.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML_RE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def write_junit(out: TextIO, files: Iterable[FileFindings], checked: Sequence[str] = ()) -> None:
    """JUnit XML as ruff writes it: a test suite per file (every file linted, sorted by path),
    with a failing test case per finding (``pinlint.CODE``, its line and column), or one passing
    test case for a file without findings. The counts in the header need every file's findings,
    so those are gathered first; each test suite is written as it is built."""
    from xml.etree import ElementTree as ET

    by_path = {file.findings[0].path: file.findings for file in files if file.findings}
    paths = sorted(set(checked) | set(by_path))
    failures = sum(len(findings) for findings in by_path.values())
    tests = failures + len(paths) - len(by_path)
    out.write("<?xml version='1.0' encoding='utf-8'?>\n")
    out.write(f'<testsuites name="pinlint" tests="{tests}" failures="{failures}" errors="0">')
    for path in paths:
        findings = by_path.get(path, [])
        name = _xml_text(path)
        suite = ET.Element(
            "testsuite",
            name=name,
            tests=str(max(len(findings), 1)),
            failures=str(len(findings)),
            errors="0",
            skipped="0",
            package="pinlint",
        )
        if not findings:
            ET.SubElement(suite, "testcase", name="pinlint", classname=name, file=name)
        for finding in findings:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"pinlint.{finding.code}",
                classname=name,
                file=name,
                line=str(finding.line),
                column=str(finding.column),
            )
            failure = ET.SubElement(
                case, "failure", message=_xml_text(f"{finding.code} {finding.message}"), type=finding.code
            )
            failure.text = _xml_text(
                f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {explained(finding)}\n{finding.fix}"
            )
        out.write(ET.tostring(suite, encoding="unicode"))
    out.write("</testsuites>\n")
