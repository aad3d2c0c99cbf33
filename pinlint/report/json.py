"""The json format: an array of findings with ruff's field names plus pinlint's targets and SQL
(README's "JSON fields" lists them); ``url`` is the rule's documentation page.

Also the helper that streams a JSON document's one long array (json, SARIF, GitLab): the output
is what ``json.dumps(document, indent=2)`` would give, written one element at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

from pinlint.model import Finding
from pinlint.rulesdoc import page_url

if TYPE_CHECKING:
    from pinlint.report.groups import FileFindings

ARRAY = "@@pinlint-streamed-array@@"  # the place of the streamed array in a document


def finding_to_json(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        "consequence": finding.consequence,
        "severity": finding.severity,
        "filename": finding.path,
        "location": {"row": finding.line, "column": finding.column},
        "end_location": {"row": finding.end_line, "column": finding.end_column},
        "fix": fix_to_json(finding),
        "targets": dict(finding.targets),
        "pooler": finding.pooler or None,
        "sql": finding.sql,
        "dialect": {"name": finding.dialect, "reason": finding.dialect_reason} if finding.dialect else None,
        "url": page_url(finding.code, finding.name),
        "doc": f"pinlint rule {finding.code}",
    }


def fix_to_json(finding: Finding) -> dict[str, Any]:
    """ruff's ``fix`` object: the help text, and when pinlint can apply a fix (``--fix``) its
    applicability, title and edits (1-based rows and columns, the end exclusive)."""
    autofix = finding.autofix
    return {
        "message": finding.fix,
        "applicability": autofix.applicability if autofix else None,
        "title": autofix.title if autofix else None,
        "edits": [
            {
                "content": edit.content,
                "location": {"row": edit.line, "column": edit.column},
                "end_location": {"row": edit.end_line, "column": edit.end_column},
            }
            for edit in (autofix.edits if autofix else ())
        ],
    }


def write_document(out: TextIO, document: Any, items: Iterable[Any]) -> None:
    """Write ``document`` (indented by 2) whose one value ``ARRAY`` (the string) stands for the
    array of ``items``; the items are encoded and written one by one."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    head, tail = text.split(json.dumps(ARRAY), 1)
    last_line = head[head.rfind("\n") + 1 :]
    indent = last_line[: len(last_line) - len(last_line.lstrip(" "))]
    out.write(head)
    first = True
    for item in items:
        out.write("[\n" if first else ",\n")
        first = False
        encoded = json.dumps(item, indent=2, ensure_ascii=False)
        out.write(indent + "  " + encoded.replace("\n", "\n" + indent + "  "))
    out.write("[]" if first else "\n" + indent + "]")
    out.write(tail + "\n")


def write_json(out: TextIO, files: Iterable[FileFindings]) -> None:
    write_document(out, ARRAY, (finding_to_json(finding) for file in files for finding in file.findings))
