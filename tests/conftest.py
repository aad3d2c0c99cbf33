"""Shared helpers: lint a snippet in memory, and run the installed console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from pinlint.catalog import Rule, load_catalog
from pinlint.config import Settings, resolve_selection
from pinlint.engine import Linter
from pinlint.model import Finding

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

CATALOG: tuple[Rule, ...] = load_catalog()


def lint(source: str, path: str = "snippet.py", *, all_rules: bool = False, **settings: object) -> list[Finding]:
    """Findings for ``source`` linted as the file ``path``: the rules on by default (as the CLI
    runs them), or with ``all_rules`` every rule of the catalog."""
    chosen = replace(Settings(root=ROOT), **settings)  # type: ignore[arg-type]
    rules = CATALOG if all_rules else resolve_selection(chosen, CATALOG)
    result = Linter(rules, chosen).lint_source(source, path)
    assert not result.error, result.error
    return result.findings


def codes(source: str, path: str = "snippet.py", **settings: object) -> list[str]:
    return [finding.code for finding in lint(source, path, **settings)]


def where(source: str, path: str = "snippet.py") -> list[tuple[str, int, int]]:
    return [(finding.code, finding.line, finding.column) for finding in lint(source, path)]


def console_script() -> str:
    """The installed `pinlint` script beside the running interpreter."""
    candidate = Path(sys.executable).parent / ("pinlint.exe" if os.name == "nt" else "pinlint")
    found = str(candidate) if candidate.exists() else shutil.which("pinlint")
    if not found:
        pytest.fail("the pinlint console script is not installed (pip install -e .)")
    return found


def run_cli(*args: str, cwd: Path | None = None, stdin: str | None = None, env: dict[str, str] | None = None):
    merged = {**os.environ, "NO_COLOR": "", **(env or {})}
    merged.pop("PINLINT_DEBUG", None)
    return subprocess.run(
        [console_script(), *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=merged,
        timeout=120,
    )
