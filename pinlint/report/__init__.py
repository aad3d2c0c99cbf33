"""Writing the findings: one module per output format, plus the summary and statistics lines.

Reports are streamed: ``write_report`` takes the findings file by file, in output order, and
each format writes each finding to the stream as it goes, so a report is never one string in
memory. Every text a finding carries goes through ``report.text.printable`` first, so a lone
surrogate or an undecodable byte of a file name is escaped the same way in every format.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pinlint.model import Finding
from pinlint.report.groups import FileFindings, group_by_file
from pinlint.report.text import printable, printable_finding

if TYPE_CHECKING:
    from pinlint.catalog import Rule

__all__ = [
    "STATISTICS_FORMATS",
    "FileFindings",
    "ReportOptions",
    "group_by_file",
    "printable",
    "render",
    "render_statistics",
    "summary_line",
    "write_report",
]


@dataclass(frozen=True)
class ReportOptions:
    """What a format may need besides the findings."""

    color: bool = False
    source_lines: Callable[[str], list[str]] = lambda path: []
    rules: Sequence[Rule] = ()  # the rules that ran (SARIF lists them)
    root: Path | None = None  # the directory SARIF paths are relative to
    checked: Sequence[str] = ()  # the files linted (JUnit has a test case for each)
    skipped: Sequence[tuple[str, str]] = ()  # (path, why) of the files that could not be linted (SARIF notes them)
    unsafe_fixes: bool = False  # --unsafe-fixes: unsafe fixes are marked fixable ([*]) too


def write_report(out: TextIO, files: Iterable[FileFindings], output_format: str, options: ReportOptions) -> None:
    """Write the findings of ``files`` to ``out`` in ``output_format``. Each format's module is
    imported when it is used: a run pays only for its own."""
    safe = (FileFindings(file.path, [printable_finding(f) for f in file.findings]) for file in files)
    if output_format == "json":
        from pinlint.report.json import write_json

        write_json(out, safe)
    elif output_format == "sarif":
        from pinlint.report.sarif import write_sarif

        skipped = [(printable(path), printable(why)) for path, why in options.skipped]
        write_sarif(out, safe, options.rules, options.root or Path.cwd(), skipped)
    elif output_format in ("json-lines", "github", "gitlab", "pylint", "junit"):
        from pinlint.report import ci

        if output_format == "junit":
            ci.write_junit(out, safe, [printable(path) for path in options.checked])
        else:
            writers = {
                "json-lines": ci.write_json_lines,
                "github": ci.write_github,
                "gitlab": ci.write_gitlab,
                "pylint": ci.write_pylint,
            }
            writers[output_format](out, safe)
    elif output_format == "concise":
        from pinlint.report.concise import write_concise

        write_concise(out, safe, unsafe_fixes=options.unsafe_fixes)
    else:
        from pinlint.report.full import write_full

        write_full(out, safe, color=options.color, source_lines=options.source_lines, unsafe_fixes=options.unsafe_fixes)


def render(findings: Sequence[Finding], output_format: str, options: ReportOptions | None = None) -> str:
    """The whole report as one string (for tests and small reports; the CLI streams)."""
    import io

    out = io.StringIO()
    write_report(out, group_by_file(findings), output_format, options or ReportOptions())
    return out.getvalue()


STATISTICS_FORMATS = ("full", "concise", "json", "json-lines")


def render_statistics(findings: Sequence[Finding], output_format: str = "full") -> str:
    """Counts per rule, most frequent first: ruff's table (``count\tcode\tname``) for full and
    concise; for json an array of ``{code, name, count}``, for json-lines one such object a line.
    The other formats have no place for counts (``--statistics`` refuses them before the run)."""
    import json

    counts = Counter((finding.code, finding.name) for finding in findings)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    rows = [{"code": code, "name": name, "count": count} for (code, name), count in ordered]
    if output_format == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if output_format == "json-lines":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    width = max((len(str(count)) for count in counts.values()), default=1)
    return "".join(f"{count:>{width}}\t{code}\t{name}\n" for (code, name), count in ordered)


def fixable_line(findings: Sequence[Finding], unsafe_fixes: bool) -> str:
    """ruff's hint: ``[*] N fixable with the `--fix` option (M hidden fixes can be enabled with the
    `--unsafe-fixes` option).``; '' when nothing is fixable."""
    fixable = sum(1 for finding in findings if finding.fixable(unsafe_fixes))
    hidden = 0 if unsafe_fixes else sum(1 for finding in findings if finding.autofix and not finding.fixable())
    if not fixable and not hidden:
        return ""
    option = "`--fix --unsafe-fixes`" if unsafe_fixes else "`--fix`"
    parts = [f"[*] {fixable} fixable with the {option} option"] if fixable else ["No fixes available"]
    if hidden:
        fixes = "fix" if hidden == 1 else "fixes"
        parts.append(f"({hidden} hidden {fixes} can be enabled with the `--unsafe-fixes` option)")
    return " ".join(parts) + "."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(findings: Sequence[Finding], checked: int, skipped: int = 0, *, fixed: int = 0) -> str:
    """``Found N findings in M files (K files checked).``; files that could not be linted are counted
    apart; after ``--fix``, ``Found N findings (F fixed, R remaining; K files checked).``"""
    files = f"{_plural(checked, 'file')} checked"
    if skipped:
        files += f", {skipped} skipped"
    if fixed:
        total = _plural(len(findings) + fixed, "finding")
        return f"Found {total} ({fixed} fixed, {len(findings)} remaining; {files})."
    if not findings:
        return f"All checks passed! ({files})"
    with_findings = len({finding.path for finding in findings})
    return f"Found {_plural(len(findings), 'finding')} in {_plural(with_findings, 'file')} ({files})."
