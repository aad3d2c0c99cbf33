"""Rendering of findings: one module per output format, plus the summary and statistics lines."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pinlint.model import Finding

if TYPE_CHECKING:
    from pinlint.catalog import Rule

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
    ``rules`` the rules that ran (SARIF lists them), ``root`` the directory SARIF paths are relative to.
    Each format's module is imported when it is used: a run pays only for its own."""
    if output_format == "json":
        from pinlint.report.json import render_json

        return render_json(findings)
    if output_format == "sarif":
        from pinlint.report.sarif import render_sarif

        return render_sarif(findings, rules, root or Path.cwd())
    if output_format in ("json-lines", "github", "gitlab", "pylint", "junit"):
        from pinlint.report import ci

        if output_format == "junit":
            return ci.render_junit(findings, checked)
        renderers = {
            "json-lines": ci.render_json_lines,
            "github": ci.render_github,
            "gitlab": ci.render_gitlab,
            "pylint": ci.render_pylint,
        }
        return renderers[output_format](findings)
    if output_format == "concise":
        from pinlint.report.concise import render_concise

        return render_concise(findings)
    from pinlint.report.full import render_full

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
