"""Each example project in fixtures/ finds exactly what its expected-findings.txt says."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

APP = FIXTURES / "serverless-app"
PROJECTS = sorted(path.parent for path in FIXTURES.glob("*/expected-findings.txt"))


@pytest.mark.parametrize("project", PROJECTS, ids=[project.name for project in PROJECTS])
def test_project_matches_expected_findings(project: Path) -> None:
    expected = (project / "expected-findings.txt").read_text(encoding="utf-8").splitlines()
    result = run_cli("check", "--output-format", "concise", "--quiet", cwd=project)
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
    result = run_cli("check", "app/models.py", "app/async_db.py", "migrations/001_init.sql", cwd=APP)
    assert result.returncode == 0, result.stdout


def test_handlers_that_follow_the_advice_stay_clean() -> None:
    for project, files in (
        ("sam-app", ["orders/app.py"]),
        ("cdk-app", ["lambda/ingest/cleanup.py"]),
    ):
        result = run_cli("check", *files, cwd=FIXTURES / project)
        assert result.returncode == 0, result.stdout


def test_mysql_app_crud_module_stays_clean_and_says_its_dialect() -> None:
    project = FIXTURES / "aurora-mysql-app"
    assert run_cli("check", "service/customers.py", "service/db.py", cwd=project).returncode == 0
    result = run_cli("check", "--no-cache", "service/orders.py", "service/archive.py", "db/shop-dump.sql", cwd=project)
    assert "= dialect: MySQL, imports pymysql (line 5)" in result.stdout
    assert "= dialect: MySQL, the configured `dialect`: nothing in the file names a database" in result.stdout
    assert "= dialect: MySQL, a mysqldump header (line 1)" in result.stdout
