"""``pinlint check --fix`` / ``--unsafe-fixes`` / ``--diff`` / ``--show-fixes``: apply the fixes
attached to findings (``Finding.autofix``) to the files, as ruff does.

Only safe fixes apply, and unsafe ones too with ``--unsafe-fixes``. A file's fixes are applied
in rounds (ruff's loop, at most ``MAX_ROUNDS``): a round takes every applicable fix whose edits
do not overlap one taken before it, applies them, and lints the new text again; fixes left out
(overlapping) or made possible by the round come in the next one. A round is kept only when the
new text still lints (it parses), every finding it fixed is gone, and no finding appears that
was not there before; otherwise the file keeps the rounds before it and a warning says why.

Writing: the file a symlink points to is edited; it keeps its encoding (PEP 263 cookie, a BOM,
Latin-1 for a legacy .sql file), its line endings (edits never touch them) and its owner and
mode, and it is replaced atomically (``pinlint.atomic``). A read-only file, or one that cannot be
read or written, is left unchanged with a warning and its findings stay. ``--diff`` writes
nothing: it prints a unified diff of every file that would change. On stdin (``fix_stdin``), as
in ruff, the fixed text (or its diff) goes to stdout and the findings left to stderr.
"""

from __future__ import annotations

import difflib
import io
import os
import stat
import tokenize
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click

from pinlint.atomic import OwnerError, replace_file
from pinlint.engine import Linter, decode_python
from pinlint.extract.sqlfile import decode_sql
from pinlint.fix.text import FileText, apply_edits
from pinlint.model import Finding

MAX_ROUNDS = 10


@dataclass(frozen=True)
class FixOptions:
    unsafe: bool = False  # --unsafe-fixes
    diff: bool = False  # --diff: print what would change, write nothing


@dataclass
class FixOutcome:
    """What the fix stage did: the findings left, what it fixed per file, the diffs (``--diff``)."""

    remaining: list[Finding] = field(default_factory=list)
    fixed: dict[str, Counter[str]] = field(default_factory=dict)  # path -> code -> findings fixed
    diffs: list[str] = field(default_factory=list)

    @property
    def fixed_count(self) -> int:
        return sum(sum(counts.values()) for counts in self.fixed.values())

    def fixes_text(self, names: dict[str, str]) -> str:
        """``--show-fixes``: what was fixed, per file and rule (ruff's listing)."""
        total = self.fixed_count
        if not total:
            return "No findings fixed.\n"
        lines = [f"Fixed {total} finding{'s' if total != 1 else ''}:"]
        for path, counts in sorted(self.fixed.items()):
            lines.append(f"- {path}:")
            for code, count in sorted(counts.items()):
                lines.append(f"    {count} × {code} ({names.get(code, '')})")  # noqa: RUF001 (ruff's listing)
        return "\n".join(lines) + "\n"


@dataclass
class _Source:
    """A file to fix: the file edited (a symlink's target), its stat, its text and encoding."""

    target: Path
    info: os.stat_result
    text: str
    encoding: str


def fix_files(
    findings: Sequence[Finding],
    options: FixOptions,
    linter_for: Callable[[str], Linter],
    settle: Callable[[list[Finding]], list[Finding]],
    warn: Callable[[str], None],
) -> FixOutcome:
    """Fix the files of ``findings`` (each re-linted by ``linter_for(path)``, its findings passed
    through ``settle`` as the run settles them); see the module's docstring."""
    outcome = FixOutcome()
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    for path, found in by_path.items():
        if not any(finding.fixable(options.unsafe) for finding in found):
            outcome.remaining.extend(found)
            continue
        left, fixed = _fix_file(path, found, options, linter_for(path), settle, warn, outcome.diffs)
        outcome.remaining.extend(left)
        if fixed:
            outcome.fixed[path] = fixed
    outcome.remaining.sort(key=lambda finding: finding.sort_key)
    return outcome


def write_diffs(outcome: FixOutcome, quiet: bool) -> int:
    """``--diff``: the diffs on stdout, ``Would fix N findings.`` on stderr (as ruff); return N."""
    from pinlint.report.stream import stdout_stream

    with stdout_stream() as stdout:
        stdout.writelines(outcome.diffs)
    count = outcome.fixed_count
    if not quiet:
        click.echo(
            f"Would fix {count} finding{'s' if count != 1 else ''}." if count else "No fixes available.", err=True
        )
    return count


def fix_stdin(
    text: str,
    path: str,
    options: FixOptions,
    linter: Linter,
    settle: Callable[[list[Finding]], list[Finding]],
    warn: Callable[[str], None],
    quiet: bool,
) -> int:
    """``--fix`` / ``--diff`` on stdin, as ruff does it: the fixed text (or its diff) on stdout,
    the findings left on stderr (unless ``quiet``), nothing written. Returns what decides the
    exit code: the findings left (``--fix``), or the findings the diff fixes (``--diff``)."""
    import sys

    from pinlint.report.text import printable

    done = fix_text(text, path, options.unsafe, linter, settle, warn)
    new, left, fixed = done if done is not None else (text, [], Counter[str]())
    changed = _diff(path, text, new) if new != text else ""
    sys.stdout.flush()
    sys.stdout.buffer.write((changed if options.diff else new).encode("utf-8", errors="surrogateescape"))
    sys.stdout.flush()
    if not quiet:
        for finding in left:
            where = f"{printable(finding.path)}:{finding.line}:{finding.column}"
            click.echo(f"{where}: {finding.code} {printable(finding.message)}", err=True)
    return sum(fixed.values()) if options.diff else len(left)


def sql_encoding(data: bytes) -> str:
    """How a UTF-8 .sql file is written back: with its BOM when it had one (decode_sql drops it)."""
    return "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"


def _read(path: str, warn: Callable[[str], None], writing: bool) -> _Source | None:
    target = Path(os.path.realpath(path))  # a symlink: edit the file it points to
    try:
        info = target.stat()
        if not stat.S_ISREG(info.st_mode):
            warn(f"{path}: not a regular file; file left unchanged")
            return None
        if writing and (not info.st_mode & 0o222 or not os.access(target, os.W_OK)):
            warn(f"{path}: read-only; file left unchanged")
            return None
        data = target.read_bytes()
    except OSError as error:
        warn(f"{path}: cannot read: {error.strerror or error}; file left unchanged")
        return None
    sql = path.endswith(".sql") or target.suffix == ".sql"
    if sql:
        text, note = decode_sql(data)
        return _Source(target, info, text, "latin-1" if note else sql_encoding(data))
    text, problem = decode_python(data)
    if problem:
        warn(f"{path}: {problem}")
        return None
    return _Source(target, info, text, tokenize.detect_encoding(io.BytesIO(data).readline)[0])


def _fix_file(
    path: str,
    found: list[Finding],
    options: FixOptions,
    linter: Linter,
    settle: Callable[[list[Finding]], list[Finding]],
    warn: Callable[[str], None],
    diffs: list[str],
) -> tuple[list[Finding], Counter[str]]:
    """Fix one file: (the findings left in it, what was fixed by code)."""
    source = _read(path, warn, writing=not options.diff)
    if source is None:
        return found, Counter()
    fixed_text = fix_text(source.text, path, options.unsafe, linter, settle, warn)
    if fixed_text is None:
        return found, Counter()
    text, current, fixed = fixed_text
    if text == source.text:
        return current, Counter()
    if options.diff:
        diffs.append(_diff(path, source.text, text))
        return current, fixed
    if not _write(path, source, text, warn):
        return found, Counter()
    return current, fixed


def fix_text(
    text: str,
    path: str,
    unsafe: bool,
    linter: Linter,
    settle: Callable[[list[Finding]], list[Finding]],
    warn: Callable[[str], None],
) -> tuple[str, list[Finding], Counter[str]] | None:
    """The rounds (see the module's docstring) on the text of ``path``: (the fixed text, the
    findings left in it, what was fixed by code); None when the text does not lint."""
    current = _lint(linter, text, path, settle)
    if current is None:
        return None
    fixed: Counter[str] = Counter()
    sql = path.endswith(".sql")
    for _ in range(MAX_ROUNDS):
        chosen = _non_overlapping(current, FileText(text, sql=sql), unsafe)
        if not chosen:
            break
        new_text = apply_edits(text, [span for _, spans in chosen for span in spans])
        after = _lint(linter, new_text, path, settle)
        problem = _round_problem(current, after, [finding for finding, _ in chosen])
        if problem:
            warn(f"{path}: {problem}; {'the fixes before it are kept' if fixed else 'file left unchanged'}")
            break
        assert after is not None
        fixed += Counter(finding.code for finding in current) - Counter(finding.code for finding in after)
        text, current = new_text, after
    return text, current, fixed


def _lint(
    linter: Linter, text: str, path: str, settle: Callable[[list[Finding]], list[Finding]]
) -> list[Finding] | None:
    result = linter.lint_source(text, path)
    return None if result.error else settle(result.findings)


def _non_overlapping(
    findings: list[Finding], file: FileText, unsafe: bool
) -> list[tuple[Finding, list[tuple[int, int, str]]]]:
    """The applicable fixes of a round: in file order, each whose edits touch no edit taken before."""
    taken: list[tuple[int, int]] = []
    chosen = []
    for finding in sorted(findings, key=lambda finding: finding.sort_key):
        if not finding.fixable(unsafe):
            continue
        assert finding.autofix is not None
        spans = [file.span(edit) for edit in finding.autofix.edits]
        if any(span is None for span in spans):
            continue
        edits = [
            (span[0], span[1], edit.content) for span, edit in zip(spans, finding.autofix.edits, strict=True) if span
        ]
        if any(
            start <= other_end and other_start <= end for start, end, _ in edits for other_start, other_end in taken
        ):
            continue  # overlaps or touches a fix of this round: the next round takes it
        taken.extend((start, end) for start, end, _ in edits)
        chosen.append((finding, edits))
    return chosen


def _round_problem(before: list[Finding], after: list[Finding] | None, fixed: list[Finding]) -> str:
    """Why a round's new text is not kept, or '' when it is."""
    if after is None:
        return "the fixed text would not lint (it does not parse)"
    remaining = Counter(finding.code for finding in before) - Counter(finding.code for finding in fixed)
    new = Counter(finding.code for finding in after) - remaining
    if new:
        code = sorted(new)[0]
        return f"a fix would leave or add a {code} finding"
    return ""


def _diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=path, tofile=path
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n" for line in lines)


def _write(path: str, source: _Source, text: str, warn: Callable[[str], None]) -> bool:
    try:
        encoded = text.encode(source.encoding)
    except (UnicodeEncodeError, LookupError):
        warn(f"{path}: cannot write back in {source.encoding}; file left unchanged")
        return False
    try:
        replace_file(source.target, encoded, like=source.info)
    except OwnerError as error:
        warn(f"{path}: {error}; file left unchanged")
        return False
    except OSError as error:
        warn(f"{path}: cannot write: {error.strerror or error}; file left unchanged")
        return False
    return True
