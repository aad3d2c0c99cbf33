"""The full format: header line, code frame with a caret under the trigger, the statement, help.

Colour (click styles, pygments for the SQL) only when the caller asks for it. A source line
longer than ``MAX_LINE_CHARS`` is clipped to a window around the finding (``…`` marks the cut),
so a generated file with thousands of findings on one long line prints a few lines per finding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TextIO

import click

from pinlint.dialect import DIALECT_NAMES
from pinlint.model import Finding
from pinlint.report.text import printable
from pinlint.rulesdoc import page_url

if TYPE_CHECKING:
    from pinlint.report.groups import FileFindings

MAX_SQL_CHARS = 160
MAX_FRAME_LINES = 4
MAX_LINE_CHARS = 200  # of a source line shown in a frame
LEFT_CONTEXT = 40  # characters shown before the finding on a clipped line
ELLIPSIS = "…"
TAB = 4
CONSEQUENCES = {
    "pins": "pins the connection",
    "may-pin": "sometimes pins the connection",
    "breaks": "breaks silently",
    "errors": "rejects the connection",
    "churns": "a new connection per invocation",
    "wastes": "idle connections held per environment",
    "costs": "pays for capacity it never uses",
    "misconfigured": "a setting it does not accept or support",
    "exposes": "exposes a credential",
    "undocumented": "not documented (treat as a risk)",
    "ok": "ok",
}


def _one_line_sql(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= MAX_SQL_CHARS else text[: MAX_SQL_CHARS - 1] + "…"


def _window(raw: str, start: int, stop: int) -> tuple[str, int, int]:
    """The part of the line ``raw`` to show, and the caret's display columns in it, for the
    characters ``start:stop`` (0-based); a long line is cut around them, with ``…`` at a cut."""
    if len(raw) <= MAX_LINE_CHARS:
        left, right = 0, len(raw)
    else:
        left = max(0, min(start - LEFT_CONTEXT, len(raw) - MAX_LINE_CHARS))
        right = min(len(raw), left + MAX_LINE_CHARS)
    prefix = ELLIPSIS if left > 0 else ""
    suffix = ELLIPSIS if right < len(raw) else ""
    shown = prefix + raw[left:right].rstrip().expandtabs(TAB) + suffix
    begin = len(prefix) + len(raw[left : max(left, min(start, right))].expandtabs(TAB))
    end = len(prefix) + len(raw[left : max(left, min(stop, right))].expandtabs(TAB))
    return printable(shown), begin, max(end, begin + 1)


SEVERITY_COLORS = {"error": "red", "warning": "yellow"}  # anything else: blue


def _severity_color(severity: str) -> str:
    return SEVERITY_COLORS.get(severity, "blue")


def _frame(finding: Finding, lines: list[str], color: bool) -> list[str]:
    if not 1 <= finding.line <= len(lines):
        return []
    last = min(finding.end_line, finding.line + MAX_FRAME_LINES - 1, len(lines))
    width = len(str(last))
    gutter = " " * width + " |"
    out = [gutter]
    for number in range(finding.line, last + 1):
        raw = lines[number - 1]
        if number == finding.line:
            start = finding.column - 1
            stop = finding.end_column - 1 if finding.end_line == finding.line else len(raw.rstrip())
            shown, begin, end = _window(raw, start, stop)
            out.append(f"{number:>{width}} | {shown}")
            marker = f"{'^' * (end - begin)} {finding.code}"
            if color:
                marker = click.style(marker, fg=_severity_color(finding.severity), bold=True)
            out.append(f"{gutter} {' ' * begin}{marker}")
        else:
            out.append(f"{number:>{width}} | {_window(raw, 0, 0)[0]}")
    out.append(gutter)
    return out


class Shown:
    """The note lines already written for one file, so a line that would say the same again for
    the next finding of the same rule (its why, help, targets, docs) or of the file (its dialect)
    is left out. A new ``Shown`` per file keeps each file's block readable on its own."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str, str]] = set()

    def first(self, scope: str, label: str, text: str) -> bool:
        key = (scope, label, text)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def render_one(
    finding: Finding, lines: list[str], color: bool, shown: Shown | None = None, unsafe_fixes: bool = False
) -> str:
    """One finding: the first line says what and where; the code frame; then the statement, why,
    help, targets, dialect and docs, each left out when ``shown`` says it was just written."""
    shown = shown if shown is not None else Shown()
    location = f"{finding.path}:{finding.line}:{finding.column}:"
    code = finding.code
    if color:
        location = click.style(location, bold=True)
        code = click.style(code, fg=_severity_color(finding.severity), bold=True)
    mark = "[*] " if finding.fixable(unsafe_fixes) else ""  # what --fix would fix, as ruff marks it
    out = [f"{location} {code} {mark}{finding.message}"]
    out.extend(_frame(finding, lines, color))
    pad = " " * (len(str(finding.end_line)) + 1)

    def note(label: str, text: str, style: str | None = None) -> None:
        shown_label = click.style(label, fg=style, bold=True) if color and style else label
        out.append(f"{pad}= {shown_label}: {text}")

    if finding.sql:
        sql = _one_line_sql(finding.sql)
        if color:
            from pygments import highlight  # only for a terminal
            from pygments.formatters import TerminalFormatter
            from pygments.lexers import MySqlLexer, PostgresLexer

            lexer = MySqlLexer() if finding.dialect == "mysql" else PostgresLexer()
            sql = highlight(sql, lexer, TerminalFormatter()).rstrip("\n")
        note("sql", sql)
    if finding.consequence and shown.first(finding.code, "why", finding.consequence):
        note("why", finding.consequence)
    if finding.fix and shown.first(finding.code, "help", finding.fix):
        note("help", finding.fix, "cyan")
    if finding.autofix is not None:
        how = "--fix" if finding.autofix.applicability == "safe" else "--fix --unsafe-fixes"
        note("fix", f"{finding.autofix.title} ({finding.autofix.applicability}: `{how}`)")
    targets = _targets_text(finding.targets)
    if targets and shown.first(finding.code, "targets", targets):
        note("targets", targets)
    if finding.pooler and shown.first("", "pooler", finding.pooler):
        note("pooler", finding.pooler)
    if finding.dialect:
        dialect = f"{DIALECT_NAMES.get(finding.dialect, finding.dialect)}, {finding.dialect_reason}"
        if shown.first("", "dialect", dialect):
            note("dialect", dialect)
    docs = page_url(finding.code, finding.name)
    if shown.first(finding.code, "docs", docs):
        note("docs", docs)
    return "\n".join(out) + "\n"


def _targets_text(targets: dict[str, str]) -> str:
    """The ``targets:`` note: ``rds-proxy: pins the connection · pgbouncer: breaks silently``;
    poolers with the same consequence share one entry (``rds-proxy, pgbouncer, proxysql: a new
    connection per invocation``), so the line does not say the same thing three times."""
    poolers: dict[str, list[str]] = {}
    for target, value in targets.items():
        poolers.setdefault(CONSEQUENCES.get(value, value), []).append(target)
    return " · ".join(f"{', '.join(names)}: {text}" for text, names in poolers.items())


def write_full(
    out: TextIO,
    files: Iterable[FileFindings],
    *,
    color: bool,
    source_lines: Callable[[str], list[str]],
    unsafe_fixes: bool = False,
) -> None:
    """Each finding with its frame, a blank line between findings; a file's lines are read when
    its first finding is written."""
    first = True
    for file in files:
        if not file.findings:
            continue
        lines = source_lines(file.path)
        shown = Shown()
        for finding in file.findings:
            if not first:
                out.write("\n")
            first = False
            out.write(render_one(finding, lines, color, shown, unsafe_fixes))
