"""README facts that go stale: the generated rules table and the quickstart commands."""

from __future__ import annotations

from conftest import CATALOG, ROOT
from pinlint.rulesdoc import readme_with_table


def test_rules_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == readme_with_table(readme, CATALOG), "run `python -m pinlint.rulesdoc` to regenerate the table"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv/bin/python -m pytest -q" in readme
    assert ".venv/bin/python -m pytest -q" in ci
    assert ".venv/bin/pinlint check fixtures/serverless-app" in readme
