"""Rendering of findings: one module per output format, plus the summary and statistics lines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from pinlint.catalog import Rule
from pinlint.model import Finding
from pinlint.report.ci import render_github, render_gitlab, render_json_lines, render_junit, render_pylint
from pinlint.report.concise import render_concise
from pinlint.report.full import render_full
from pinlint.report.json import render_json
from pinlint.report.sarif import render_sarif

__all__ = ["render", "render_statistics", "summary_line"]


def render(
    findings: Sequence[Finding],
    output_format: str,
    *,
    color: bool,
    source_lines: Callable[[str], list[str]],
    rules: Sequence[Rule] = (),
    root: Path | None = None,
    checked: Sequence[str] = (),
) -> str:
    """The findings in ``output_format``; ``source_lines(path)`` gives a file's lines for code frames,
    ``rules`` the rules that ran (SARIF lists them), ``root`` the directory SARIF paths are relative to."""
    if output_format == "json":
        return render_json(findings)
    if output_format == "json-lines":
        return render_json_lines(findings)
    if output_format == "sarif":
        return render_sarif(findings, rules, root or Path.cwd())
    if output_format == "github":
        return render_github(findings)
    if output_format == "gitlab":
        return render_gitlab(findings)
    if output_format == "pylint":
        return render_pylint(findings)
    if output_format == "junit":
        return render_junit(findings, checked)
    if output_format == "concise":
        return render_concise(findings)
    return render_full(findings, color=color, source_lines=source_lines)


def render_statistics(findings: Sequence[Finding]) -> str:
    """ruff-style counts per rule, most frequent first."""
    counts = Counter((finding.code, finding.name) for finding in findings)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    width = max((len(str(count)) for count in counts.values()), default=1)
    return "".join(f"{count:>{width}}\t{code}\t{name}\n" for (code, name), count in ordered)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(findings: Sequence[Finding], checked: int, skipped: int = 0) -> str:
    """``Found N findings in M files (K files checked).``; files that could not be linted are counted apart."""
    files = f"{_plural(checked, 'file')} checked"
    if skipped:
        files += f", {skipped} skipped"
    if not findings:
        return f"All checks passed! ({files})"
    with_findings = len({finding.path for finding in findings})
    return f"Found {_plural(len(findings), 'finding')} in {_plural(with_findings, 'file')} ({files})."
