"""Shared helpers: lint a snippet in memory, run the `pinlint` command in this process (or, where
the process boundary is the point, as the installed console script), and check at the end of the
session that the run wrote nothing into the work tree."""

from __future__ import annotations

import sys

# Before pinlint is imported: no __pycache__ under pinlint/, fixtures/ or tests/ (pytest's own
# assertion rewriting honours this too, for every test module imported after this one).
sys.dont_write_bytecode = True

import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from pinlint.catalog import Rule, load_catalog  # noqa: E402
from pinlint.cli import main  # noqa: E402
from pinlint.config import Settings, resolve_selection  # noqa: E402
from pinlint.declarations import Declarations  # noqa: E402
from pinlint.engine import Linter  # noqa: E402
from pinlint.model import Finding  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

CATALOG: tuple[Rule, ...] = load_catalog()


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write a small project: relative path -> text (directories made on the way); ``root`` back."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def handler_connections(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """(path:line:column, the finding as JSON) of each PIN022 of a ``--no-cache`` run over ``root``."""
    result = run_cli("check", "--no-cache", "--select", "PIN022", "--output-format", "json-lines", "-q", ".", cwd=root)
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    found = []
    for line in result.stdout.splitlines():
        item = json.loads(line)
        found.append((f"{item['filename']}:{item['location']['row']}:{item['location']['column']}", item))
    return found


def lint(
    source: str,
    path: str = "snippet.py",
    *,
    all_rules: bool = False,
    declarations: Declarations | None = None,
    **settings: object,
) -> list[Finding]:
    """Findings for ``source`` linted as the file ``path``: the rules on by default (as the CLI
    runs them), or with ``all_rules`` every rule of the catalog; ``declarations`` are the handler
    declarations the run found (none by default)."""
    chosen = replace(Settings(root=ROOT), **settings)  # type: ignore[arg-type]
    rules = CATALOG if all_rules else resolve_selection(chosen, CATALOG)
    result = Linter(rules, chosen, declarations).lint_source(source, path)
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


@dataclass(frozen=True)
class CliRun:
    """What one `pinlint` run returned and printed (the fields of ``subprocess.CompletedProcess``)."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(
    *args: str, cwd: Path | None = None, stdin: str | bytes | None = None, env: dict[str, str] | None = None
) -> CliRun:
    """Run `pinlint ARGS` in this process through the console script's own ``main`` (its exit
    code, its one-line errors), with ``cwd`` as the current directory, ``env`` added to the
    environment, ``stdin`` as standard input, and stdout and stderr captured apart."""
    environment: dict[str, str | None] = {"NO_COLOR": "", "PINLINT_DEBUG": None, **(env or {})}
    previous = os.getcwd()
    code: int = 0
    with CliRunner().isolation(input=stdin, env=environment) as (stdout, stderr, _):
        try:
            if cwd is not None:
                os.chdir(cwd)
            main(list(args))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1
        finally:
            os.chdir(previous)
        return CliRun(code, _text(stdout.getvalue()), _text(stderr.getvalue()))


def _text(data: bytes) -> str:
    """Captured output as ``subprocess.run(text=True)`` gives it (universal newlines)."""
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n")


def run_entry_point(
    *args: str, cwd: Path | None = None, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed `pinlint` console script as its own process: for what only a real
    process shows (the exit status the shell sees, real stdin, nothing printed at start-up)."""
    merged = {**os.environ, "NO_COLOR": "", "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
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


# --- the run leaves the work tree as it found it -------------------------------------------------

# git's own directory and pytest's cache (.pytest_cache, pytest's documented place, git-ignored);
# a directory holding pyvenv.cfg is a virtualenv (.venv) and is skipped as well.
UNWATCHED = frozenset({".git", ".pytest_cache"})
_BEFORE = pytest.StashKey[frozenset[str]]()


def work_tree_entries(root: Path) -> frozenset[str]:
    """Every file and directory under ``root`` (relative, POSIX), virtualenvs and UNWATCHED left out."""
    entries: set[str] = set()
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [
            name
            for name in subdirectories
            if name not in UNWATCHED and not os.path.exists(os.path.join(directory, name, "pyvenv.cfg"))
        ]
        relative = Path(directory).relative_to(root)
        entries.update((relative / name).as_posix() for name in (*subdirectories, *files))
    return frozenset(entries)


def pytest_sessionstart(session: pytest.Session) -> None:
    session.stash[_BEFORE] = work_tree_entries(ROOT)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when it created anything in the work tree (a `.pinlint_cache` beside a fixture,
    a `__pycache__` under pinlint/, a stray output file)."""
    before = session.stash.get(_BEFORE, None)
    if before is None:
        return
    created = sorted(work_tree_entries(ROOT) - before)
    if not created:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"the test run wrote into the work tree ({len(created)} new paths):", *created[:20]]
    if reporter is not None:
        reporter.write_line("\n".join(lines), red=True)
    else:
        print("\n".join(lines), file=sys.stderr)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
