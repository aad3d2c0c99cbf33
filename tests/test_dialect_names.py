"""A module named for its database (a multi-dialect library's ``statement/mysql.py``, a
``dialects/mysql/`` package) is read in that dialect when neither the file nor its project says
which (survey3 miss3, sqlalchemy-dlock); the file's own evidence, ``--dialect`` and a project of
one database still win."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli
from pinlint.dialect import choose_dialect, may_be_named, name_evidence, python_evidence
from pinlint.pymodel import parse_python
from pinlint.sql.lexer import MYSQL, POSTGRES

LOCKS = 'from sqlalchemy import text\n\nLOCK = text("SELECT GET_LOCK(:str, :timeout)")\n'


def _concise(root: Path, *options: str) -> list[str]:
    result = run_cli("check", "--no-cache", "--output-format", "concise", "-q", *options, ".", cwd=root)
    assert result.stderr == "", result.stderr
    return result.stdout.splitlines()


def test_the_module_name_or_its_package_names_the_database() -> None:
    assert name_evidence("src/locks/statement/mysql.py") == name_evidence("mysql.py")
    found = name_evidence("sqlalchemy/dialects/mysql/base.py")
    assert found is not None and (found.dialect, found.what) == (MYSQL, "its package `mysql`")
    found = name_evidence("lib/postgresql.py")
    assert found is not None and found.dialect == POSTGRES
    assert name_evidence("sql/mariadb.sql") is not None


def test_look_alike_names_say_nothing() -> None:
    for path in ("mysql_to_postgres.py", "mysqlish.py", "lib/pg.py", "db.py", "postgresql/mysql.py"):
        assert name_evidence(path) is None, path
    # a directory above the project root does not count
    assert name_evidence("/home/mysql/app/db.py") is None


def test_the_files_own_evidence_and_the_configured_dialect_win() -> None:
    imports = python_evidence(parse_python("import psycopg2\n"))
    assert choose_dialect(imports, named=name_evidence("mysql.py")).name == POSTGRES
    configured = choose_dialect([], default=POSTGRES, default_origin="--dialect", named=name_evidence("mysql.py"))
    assert configured.name == POSTGRES


def test_a_multi_dialect_librarys_mysql_module(tmp_path: Path) -> None:
    (tmp_path / "locks" / "statement").mkdir(parents=True)
    (tmp_path / "locks" / "statement" / "mysql.py").write_text(LOCKS, encoding="utf-8")
    (tmp_path / "locks" / "statement" / "other.py").write_text(LOCKS, encoding="utf-8")
    assert _concise(tmp_path) == [
        "locks/statement/mysql.py:3:21: PIN206 `GET_LOCK()` works on named locks held by the session"
    ]
    result = run_cli("check", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    assert '"reason": "from the file\'s name `mysql.py`: nothing in the file names a database"' in result.stdout
    # a project that names both databases leaves the choice to the name
    (tmp_path / "requirements.txt").write_text("PyMySQL\npsycopg2\n", encoding="utf-8")
    assert [line.split(" ")[1] for line in _concise(tmp_path)] == ["PIN206"]


def test_a_project_of_one_database_decides_before_the_name(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("psycopg2-binary\n", encoding="utf-8")
    (tmp_path / "mysql.py").write_text(LOCKS, encoding="utf-8")
    assert _concise(tmp_path) == []


def test_the_cheap_check_sees_what_the_evidence_would() -> None:
    for path in ("a/mysql.py", "mysql/base.py", "C:\\lib\\postgres\\x.py", "x/MariaDB.sql"):
        assert may_be_named(path), path
    assert not may_be_named("a/b/db.py")
