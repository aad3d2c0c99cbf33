"""The pre-commit hooks, run for real by pre-commit against this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git"),
]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


PRE_COMMIT_SETUP_ERROR = 3  # pre-commit's exit code when it could not build the hook's environment


def _try_repo(repo: Path, hook: str) -> subprocess.CompletedProcess[str]:
    """Run the hook; an environment that failed to build (a download hiccup) is retried twice."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"), "NO_COLOR": "1"}
    for _attempt in range(3):
        result = subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--all-files"],
            cwd=repo,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        if result.returncode != PRE_COMMIT_SETUP_ERROR:
            break
    return result


@pytest.mark.parametrize(
    ("hook", "name", "bad", "good"),
    [
        ("pinlint", "db.py", 'cur.execute("LISTEN jobs")\n', "cur.execute(\"SELECT pg_notify('jobs', 'x')\")\n"),
        ("pinlint-sql", "001.sql", "SET search_path TO billing;\n", "SET LOCAL search_path TO billing;\n"),
    ],
)
def test_hook_blocks_a_bad_file_and_passes_a_fixed_one(
    tmp_path: Path, hook: str, name: str, bad: str, good: str
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / name).write_text(bad, encoding="utf-8")
    _git(repo, "add", name)
    failed = _try_repo(repo, hook)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert f"{name}:1:" in failed.stdout and "PIN0" in failed.stdout
    (repo / name).write_text(good, encoding="utf-8")
    _git(repo, "add", name)
    passed = _try_repo(repo, hook)
    assert passed.returncode == 0, passed.stdout + passed.stderr
