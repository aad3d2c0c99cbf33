"""The example serverless app finds exactly what its expected-findings.txt says."""

from __future__ import annotations

from conftest import FIXTURES, run_cli

APP = FIXTURES / "serverless-app"


def test_serverless_app_matches_expected_findings() -> None:
    expected = (APP / "expected-findings.txt").read_text(encoding="utf-8").splitlines()
    result = run_cli("check", "--output-format", "concise", "--quiet", cwd=APP)
    assert result.stderr == ""
    assert result.stdout.splitlines() == expected


def test_clean_files_of_the_app_stay_clean() -> None:
    result = run_cli("check", "app/models.py", "app/async_db.py", "migrations/001_init.sql", cwd=APP)
    assert result.returncode == 0, result.stdout
