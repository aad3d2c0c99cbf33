"""A .sql file's database from the project's code that loads it: aiosql keeps one directory of
query files per driver (its own tests: pg/, my/, li/, du/), and ``aiosql.from_path("sql/du",
"duckdb")`` says the files there are DuckDB's, which no pooler fronts (FP2 of the real-code survey:
aiosql's DuckDB queries were read as PostgreSQL, PIN016 x4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli
from pinlint.projectfacts import ProjectReader

# The same statement in each directory: an explicit nextval() pins RDS Proxy on PostgreSQL.
QUERIES = "-- name: publish-blog<!\ninsert into blogs (blogid, title) values (nextval('blogs_seq'), :title);\n"


def _project(root: Path, loader: str, requirements: str = "aiosql\npsycopg2-binary\nduckdb\n") -> None:
    (root / ".git").mkdir()
    (root / "requirements.txt").write_text(requirements, encoding="utf-8")
    for name in ("du", "pg"):
        (root / "sql" / name).mkdir(parents=True)
        (root / "sql" / name / "blogs.sql").write_text(QUERIES, encoding="utf-8")
    (root / "app").mkdir()
    (root / "app" / "db.py").write_text(loader, encoding="utf-8")


def _findings(root: Path, *options: str) -> list[str]:
    done = run_cli("check", "--no-cache", "--output-format", "concise", *options, ".", cwd=root)
    return [line.split(" ", 2)[0] + " " + line.split(" ", 2)[1] for line in done.stdout.splitlines()[:-1]]


LOADERS = """from pathlib import Path

import aiosql

SQL = Path(__file__).parent.parent / "sql"
duck = aiosql.from_path(SQL / "du", "duckdb")
pg = aiosql.from_path(SQL / "pg", driver_adapter="psycopg2")
"""


def test_query_files_loaded_for_duckdb_are_not_read_as_postgresql(tmp_path: Path) -> None:
    _project(tmp_path, LOADERS)
    assert _findings(tmp_path) == ["sql/pg/blogs.sql:2:43: PIN016"]
    full = run_cli("check", "--no-cache", "sql/pg/blogs.sql", cwd=tmp_path).stdout
    assert "= dialect: PostgreSQL, app/db.py loads it with aiosql's `psycopg2` adapter (line 7)" in full


def test_the_adapter_may_be_the_driver_module_and_the_path_a_literal(tmp_path: Path) -> None:
    """A literal path is read from the module's directory, as pinlint reads other project files."""
    _project(tmp_path, "import duckdb\nimport aiosql\n\nqueries = aiosql.from_path('../sql/du', duckdb)\n")
    assert _findings(tmp_path) == ["sql/pg/blogs.sql:2:43: PIN016"]


def test_from_str_of_a_file_read_at_run_time(tmp_path: Path) -> None:
    loader = (
        "from pathlib import Path\nfrom aiosql import from_str\n\n"
        'q = from_str((Path(__file__).parent.parent / "sql" / "du" / "blogs.sql").read_text(), "sqlite3")\n'
    )
    _project(tmp_path, loader)
    assert _findings(tmp_path) == ["sql/pg/blogs.sql:2:43: PIN016"]


@pytest.mark.parametrize(
    ("loader", "requirements"),
    [
        # the path and the adapter come from run time (aiosql's own tests: a fixture's driver)
        ("import aiosql\n\ndef load(base, driver):\n    return aiosql.from_path(base / 'du', driver)\n", None),
        ("import aiosql\n\ndef load(name):\n    return aiosql.from_path(f'../sql/{name}', 'duckdb')\n", None),
        # two loaders of one directory that disagree
        (
            "import aiosql\nA = aiosql.from_path('../sql/du', 'duckdb')\n"
            "B = aiosql.from_path('../sql/du', 'asyncpg')\n",
            None,
        ),
        # SQL Server: no dialect pinlint reads, so nothing changes
        ("import aiosql\nq = aiosql.from_path('../sql/du', 'pymssql')\n", None),
        # a look-alike that is not aiosql's
        ("import mylib\nq = mylib.from_path('../sql/du', 'duckdb')  # aiosql-style\n", None),
        # the project does not depend on aiosql: its code is not searched
        ("import aiosql\nq = aiosql.from_path('../sql/du', 'duckdb')\n", "psycopg2-binary\n"),
    ],
)
def test_loaders_the_code_does_not_show_leave_the_dialect_as_it_was(
    tmp_path: Path, loader: str, requirements: str | None
) -> None:
    if requirements is None:
        _project(tmp_path, loader)
    else:
        _project(tmp_path, loader, requirements)
    assert _findings(tmp_path) == ["sql/du/blogs.sql:2:43: PIN016", "sql/pg/blogs.sql:2:43: PIN016"]


def test_the_loader_is_in_the_sql_files_cache_key_and_in_show_settings(tmp_path: Path) -> None:
    _project(tmp_path, LOADERS)
    sql_file = tmp_path / "sql" / "du" / "blogs.sql"
    before = ProjectReader().for_file(sql_file).key
    (tmp_path / "app" / "db.py").write_text(LOADERS.replace('"duckdb"', '"asyncpg"'), encoding="utf-8")
    assert ProjectReader().for_file(sql_file).key != before
    shown = run_cli("check", "--show-settings", ".", cwd=tmp_path).stdout
    assert "# query files: sql/du: PostgreSQL, app/db.py loads it with aiosql's `asyncpg` adapter (line 6)\n" in shown
    # and a warm run sees the edit: the .sql file's cached result is not reused
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert run_cli("check", *cache, "--output-format", "concise", ".", cwd=tmp_path).stdout.count("PIN016") == 2
    (tmp_path / "app" / "db.py").write_text(LOADERS, encoding="utf-8")
    assert run_cli("check", *cache, "--output-format", "concise", ".", cwd=tmp_path).stdout.count("PIN016") == 1


def test_a_relative_literal_that_is_not_beside_the_module_is_the_project_roots(tmp_path: Path) -> None:
    """``aiosql.from_path("sql/du", "duckdb")`` in app/db.py: aiosql reads it from the working
    directory, which for a Lambda is its code directory, the project root here."""
    _project(tmp_path, "import aiosql\n\nqueries = aiosql.from_path('sql/du', 'duckdb')\n")
    assert _findings(tmp_path) == ["sql/pg/blogs.sql:2:43: PIN016"]


def test_python_files_that_cannot_be_read_tell_nothing_and_the_run_goes_on(tmp_path: Path) -> None:
    _project(tmp_path, "import aiosql\nq = aiosql.from_path('../sql/du', 'duckdb'\n")  # a syntax error
    (tmp_path / "app" / "deep.py").write_text(
        "import aiosql\nq = aiosql.from_path(" + "(" * 5000 + "'x'" + ")" * 5000 + ", 'duckdb')\n", encoding="utf-8"
    )
    (tmp_path / "app" / "binary.py").write_bytes(b"aiosql\x00\xff\xfe")
    done = run_cli("check", "--no-cache", "--output-format", "concise", "sql", cwd=tmp_path)
    assert done.stdout.count("PIN016") == 2
    assert "Traceback" not in done.stderr
