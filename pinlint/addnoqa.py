"""``pinlint check --add-noqa``: suppress today's findings so a legacy code base starts green.

For each finding, a ``# noqa: CODE`` (Python) or ``-- noqa: CODE`` (.sql) comment goes on a
line where pinlint reads it and where a comment can be appended: the finding's own line, else
the closing-quote line of its string, else the first line of its call. An existing
``# noqa: E501`` becomes ``# noqa: E501, PIN001``. The caller re-lints the new text before
writing it, and writes atomically.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass

from pinlint.model import Finding

_PY_NOQA_RE = re.compile(r"#\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)", re.IGNORECASE)
_SQL_NOQA_RE = re.compile(r"--\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)", re.IGNORECASE)


@dataclass
class NoqaEdit:
    text: str  # the new file text
    added: int  # directives added (codes, counted per line)
    unplaced: list[Finding]  # findings for which no line could take a comment


def _comment_lines(source: str) -> set[int]:
    """Python lines whose end is outside any string, where ``  # ...`` can be appended."""
    lines: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
                lines.add(token.start[0])
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return set()
    return lines


def _merge(line: str, codes: list[str], pattern: re.Pattern[str], opener: str) -> str:
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    found = pattern.search(body)
    if found:
        present = [code.strip().upper() for code in found.group("codes").split(",")]
        merged = present + [code for code in codes if code not in present]
        replacement = f"{opener} noqa: {', '.join(merged)}"
        return body[: found.start()] + replacement + body[found.end() :] + ending
    return f"{body.rstrip()}  {opener} noqa: {', '.join(codes)}{ending}"


def add_noqa(source: str, findings: Sequence[Finding], *, sql: bool) -> NoqaEdit:
    lines = source.splitlines(keepends=True)
    allowed = set(range(1, len(lines) + 1)) if sql else _comment_lines(source)
    wanted: dict[int, list[str]] = {}
    unplaced = []
    for finding in findings:
        if sql:
            candidates = [finding.line]
        else:
            # its own line, then the closing-quote line (the larger), then the call's first line
            candidates = [finding.line, *sorted(set(finding.noqa_lines) - {finding.line}, reverse=True)]
        target = next((line for line in candidates if line in allowed and 1 <= line <= len(lines)), None)
        if target is None:
            unplaced.append(finding)
            continue
        codes = wanted.setdefault(target, [])
        if finding.code not in codes:
            codes.append(finding.code)
    added = 0
    for number, codes in wanted.items():
        if sql:
            lines[number - 1] = _merge(lines[number - 1], codes, _SQL_NOQA_RE, "--")
        else:
            lines[number - 1] = _merge(lines[number - 1], codes, _PY_NOQA_RE, "#")
        added += len(codes)
    return NoqaEdit("".join(lines), added, unplaced)
