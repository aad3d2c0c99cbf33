"""The full format: header line, code frame with a caret under the trigger, the statement, help.

Colour (click styles, pygments for the SQL) only when the caller asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click

from pinlint.dialect import DIALECT_NAMES
from pinlint.model import Finding

MAX_SQL_CHARS = 160
MAX_FRAME_LINES = 4
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


def _frame(finding: Finding, lines: list[str], color: bool) -> list[str]:
    if not 1 <= finding.line <= len(lines):
        return []
    last = min(finding.end_line, finding.line + MAX_FRAME_LINES - 1, len(lines))
    width = len(str(last))
    gutter = " " * width + " |"
    out = [gutter]
    for number in range(finding.line, last + 1):
        out.append(f"{number:>{width}} | {lines[number - 1].rstrip().expandtabs(4)}")
        if number == finding.line:
            raw = lines[number - 1].rstrip("\r\n")
            start = len(raw[: finding.column - 1].expandtabs(4))
            if finding.end_line == finding.line:
                stop = len(raw[: finding.end_column - 1].expandtabs(4))
            else:
                stop = len(raw.rstrip().expandtabs(4))
            carets = "^" * max(stop - start, 1)
            marker = f"{carets} {finding.code}"
            if color:
                marker = click.style(marker, fg="red", bold=True)
            out.append(f"{gutter} {' ' * start}{marker}")
    out.append(gutter)
    return out


def render_one(finding: Finding, lines: list[str], color: bool) -> str:
    location = f"{finding.path}:{finding.line}:{finding.column}:"
    code = finding.code
    if color:
        location = click.style(location, bold=True)
        code = click.style(code, fg="red" if finding.severity == "error" else "yellow", bold=True)
    out = [f"{location} {code} {finding.message}"]
    out.extend(_frame(finding, lines, color))
    pad = " " * (len(str(finding.end_line)) + 1)
    if finding.sql:
        sql = _one_line_sql(finding.sql)
        if color:
            from pygments import highlight  # only for a terminal
            from pygments.formatters import TerminalFormatter
            from pygments.lexers import MySqlLexer, PostgresLexer

            lexer = MySqlLexer() if finding.dialect == "mysql" else PostgresLexer()
            sql = highlight(sql, lexer, TerminalFormatter()).rstrip("\n")
        out.append(f"{pad}= sql: {sql}")
    help_label = click.style("help", fg="cyan", bold=True) if color else "help"
    out.append(f"{pad}= {help_label}: {finding.fix}")
    targets = " · ".join(f"{target}: {CONSEQUENCES.get(value, value)}" for target, value in finding.targets.items())
    out.append(f"{pad}= targets: {targets}")
    if finding.dialect:
        out.append(f"{pad}= dialect: {DIALECT_NAMES.get(finding.dialect, finding.dialect)}, {finding.dialect_reason}")
    out.append(f"{pad}= docs: pinlint rule {finding.code}")
    return "\n".join(out) + "\n"


def render_full(findings: Sequence[Finding], *, color: bool, source_lines: Callable[[str], list[str]]) -> str:
    return "\n".join(render_one(finding, source_lines(finding.path), color) for finding in findings)
