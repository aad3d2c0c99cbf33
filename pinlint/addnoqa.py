"""``pinlint check --add-noqa``: suppress today's findings so a legacy code base starts green.

For each finding, a ``# noqa: CODE`` (Python) or ``-- noqa: CODE`` (.sql) comment goes on a
line where pinlint reads it and where a comment can be appended: the finding's own line, else
the closing-quote line of its string, else the first line of its call. An existing
``# noqa: E501`` becomes ``# noqa: E501, PIN001``. Each edited file is linted again
before it is written: it is written only if it still parses and its findings are gone.

Writing (``add_noqa_to_files``): the file a symlink points to is edited, not the link; the file
keeps its mode and owner and is replaced atomically (``pinlint.atomic``); a read-only file is
skipped with a warning, and a file that cannot be read or written is reported and the run goes on.
The exit code is what ``pinlint check`` would return afterwards: 1 while some finding is left
unsilenced (a file skipped, a finding no line can take), else 0. Files pinlint could not lint get
their warning as in ``check`` and, as there, do not change it (ruff's ``--add-noqa`` also exits 0
after such a file).
"""

from __future__ import annotations

import io
import os
import re
import stat
import tokenize
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from pinlint.atomic import OwnerError, replace_file
from pinlint.engine import Linter, decode_python
from pinlint.extract.sqlfile import decode_sql
from pinlint.fix.apply import sql_encoding
from pinlint.model import Finding
from pinlint.suppress import physical_lines, string_end_lines

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
    lines = physical_lines(source)
    allowed = set(range(1, len(lines) + 1)) if sql else _comment_lines(source)
    string_ends = {} if sql else string_end_lines(source)
    wanted: dict[int, list[str]] = {}
    unplaced = []
    for finding in findings:
        if sql:
            candidates = [finding.line]
        else:
            # its own line, then the closing-quote lines of its string (the larger first), then
            # the call's first line; a line inside a multi-line string stands for the string's last
            own = [finding.line, *sorted(set(finding.noqa_lines) - {finding.line}, reverse=True)]
            candidates = [place for line in own for place in (line, string_ends.get(line, line))]
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


def add_noqa_to_files(
    linter: Linter,
    findings: Sequence[Finding],
    warn: Callable[[str], None],
    linter_for: Callable[[str], Linter] | None = None,
) -> int:
    """Add noqa comments file by file (see the module's docstring), each file re-linted with
    ``linter_for(path)`` (its own configuration's linter) else ``linter``; print what was done and
    return the exit code: 1 if some finding is still unsilenced, else 0."""
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    added = changed = 0
    left = False
    for path, found in by_path.items():
        count, complete = _edit_file(linter_for(path) if linter_for else linter, path, found, warn)
        left = left or not complete
        if count:
            added += count
            changed += 1
    click.echo(
        f"Added {added} noqa directive{'s' if added != 1 else ''} to {changed} file{'s' if changed != 1 else ''}."
    )
    return 1 if left else 0


def _edit_file(linter: Linter, path: str, found: list[Finding], warn: Callable[[str], None]) -> tuple[int, bool]:
    """Add the noqa comments for ``found`` to the file ``path``: (comments added, whether every
    finding is now silenced); each reason a finding stays is warned about."""
    target = Path(os.path.realpath(path))  # a symlink: edit the file it points to
    try:
        info = target.stat()
        if not stat.S_ISREG(info.st_mode):
            warn(f"{path}: not a regular file; file left unchanged")
            return 0, False
        if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
            warn(f"{path}: read-only; file left unchanged")
            return 0, False
        data = target.read_bytes()
    except OSError as error:
        warn(f"{path}: cannot read: {error.strerror or error}; file left unchanged")
        return 0, False
    is_sql = target.suffix == ".sql" or path.endswith(".sql")
    if is_sql:
        text, note = decode_sql(data)
        encoding = "latin-1" if note else sql_encoding(data)
    else:
        text, problem = decode_python(data)
        if problem:
            warn(f"{path}: {problem}")
            return 0, False
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    edit = add_noqa(text, found, sql=is_sql)
    for finding in edit.unplaced:
        warn(f"{path}:{finding.line}:{finding.column}: no line can take a noqa comment for {finding.code}")
    if not edit.added:
        return 0, not edit.unplaced
    check = linter.lint_source(edit.text, path)
    if check.error or len(check.findings) != len(edit.unplaced):
        warn(f"{path}: adding noqa comments would not silence the findings cleanly; file left unchanged")
        return 0, False
    try:
        encoded = edit.text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        warn(f"{path}: cannot write back in {encoding}; file left unchanged")
        return 0, False
    try:
        replace_file(target, encoded, like=info)
    except OwnerError as error:
        warn(f"{path}: {error}; file left unchanged")
        return 0, False
    except OSError as error:
        warn(f"{path}: cannot write: {error.strerror or error}; file left unchanged")
        return 0, False
    return edit.added, not edit.unplaced
