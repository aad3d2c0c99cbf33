"""Each example project in fixtures/ finds exactly what its expected-findings.txt says.

Every run here passes --no-cache: a test never leaves a `.pinlint_cache` in fixtures/."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli, work_tree_entries

APP = FIXTURES / "serverless-app"
PROJECTS = sorted(path.parent for path in FIXTURES.glob("*/expected-findings.txt"))


@pytest.mark.parametrize("project", PROJECTS, ids=[project.name for project in PROJECTS])
def test_project_matches_expected_findings(project: Path) -> None:
    expected = (project / "expected-findings.txt").read_text(encoding="utf-8").splitlines()
    result = run_cli("check", "--no-cache", "--output-format", "concise", "--quiet", cwd=project)
    assert result.stderr == ""
    assert result.stdout.splitlines() == expected


def test_every_kind_of_handler_declaration_has_a_project() -> None:
    assert {project.name for project in PROJECTS} >= {
        "serverless-app",
        "sam-app",
        "cdk-app",
        "chalice-app",
        "terraform-app",
    }


def test_clean_files_of_the_app_stay_clean() -> None:
    result = run_cli("check", "--no-cache", "app/models.py", "app/async_db.py", "migrations/001_init.sql", cwd=APP)
    assert result.returncode == 0, result.stdout


def test_handlers_that_follow_the_advice_stay_clean() -> None:
    for project, files in (
        ("sam-app", ["orders/app.py"]),
        ("cdk-app", ["lambda/ingest/cleanup.py"]),
    ):
        result = run_cli("check", "--no-cache", *files, cwd=FIXTURES / project)
        assert result.returncode == 0, result.stdout


def test_mysql_app_crud_module_stays_clean_and_says_its_dialect() -> None:
    project = FIXTURES / "aurora-mysql-app"
    assert run_cli("check", "--no-cache", "service/customers.py", "service/db.py", cwd=project).returncode == 0
    result = run_cli("check", "--no-cache", "service/orders.py", "service/archive.py", "db/shop-dump.sql", cwd=project)
    assert "= dialect: MySQL, imports pymysql (line 5)" in result.stdout
    assert "= dialect: MySQL, the configured `dialect`: nothing in the file names a database" in result.stdout
    assert "= dialect: MySQL, a mysqldump header (line 1)" in result.stdout


def test_the_session_check_sees_a_cache_left_beside_a_project(tmp_path: Path) -> None:
    """conftest compares the work tree before and after the run with this listing: a cache that
    a run without --no-cache leaves behind is seen, a virtualenv's churn is not."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "db.py").write_text('cur.execute("LISTEN x")\n', encoding="utf-8")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    before = work_tree_entries(tmp_path)
    (tmp_path / ".venv" / "new.pyc").write_bytes(b"")
    run_cli("check", "app", cwd=tmp_path)
    created = work_tree_entries(tmp_path) - before
    # no configuration and no repository above: the cache goes to the current directory (the project root)
    assert {".pinlint_cache", ".pinlint_cache/CACHEDIR.TAG"} <= created
    assert all(path.startswith(".pinlint_cache") for path in created), created
