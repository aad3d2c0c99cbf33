"""A file whose own code names only a database none of the poolers fronts (Oracle, SQL Server, an
engine of SQLite or DuckDB) is not read as PostgreSQL: its SQL and its library calls are not
judged (survey3b fp1, sqlalchemy-dlock's Oracle tests). The same file that also names PostgreSQL
or MySQL, or whose sqlite URL is only a fallback, is still judged."""

from __future__ import annotations

import pytest

from conftest import where
from pinlint.dialect import EMBEDDED, choose_dialect, python_evidence
from pinlint.pymodel import parse_python

LOCK = (
    "from sqlalchemy import create_engine\nfrom sqlalchemy_dlock import create_sadlock\n\n"
    "engine = {engine}\n\n\ndef run():\n    with engine.connect() as conn:\n"
    "        create_sadlock(conn, 1).acquire()\n"
)
SEARCH_PATH = '{imports}\n\ndef run(cur):\n    cur.execute("SET search_path TO x")\n'


@pytest.mark.parametrize(
    "engine",
    [
        'create_engine("oracle+oracledb://u:p@host:1521/?service_name=XEPDB1")',
        'create_engine("mssql+pyodbc://u:p@dsn")',
        'create_engine("sqlite:///:memory:")',
    ],
)
def test_a_lock_on_an_engine_no_pooler_fronts_is_quiet(engine: str) -> None:
    assert where(LOCK.format(engine=engine)) == []


@pytest.mark.parametrize(
    "engine",
    [
        'create_engine(os.getenv("DATABASE_URL", "sqlite://"))',  # a fallback: the database may be a server
        'create_engine(URL)\nBACKUP = "oracle+oracledb://u:p@h/x"\nimport psycopg2',  # names PostgreSQL too
        "create_engine(URL)",  # names nothing: PostgreSQL, pinlint's default
    ],
)
def test_a_lock_on_a_server_or_an_unknown_engine_is_still_judged(engine: str) -> None:
    source = "import os\n" + LOCK.format(engine=engine)
    lock_line = source.splitlines().index("        create_sadlock(conn, 1).acquire()") + 1
    assert ("PIN067", lock_line, 9) in where(source)


@pytest.mark.parametrize("imports", ["import oracledb", "import cx_Oracle", "from pymssql import connect"])
def test_sql_of_a_file_that_imports_an_oracle_or_sql_server_driver_is_not_checked(imports: str) -> None:
    assert where(SEARCH_PATH.format(imports=imports)) == []
    assert where(SEARCH_PATH.format(imports=imports + "\nimport psycopg2")) != []


def test_the_reason_names_the_evidence() -> None:
    model = parse_python("import oracledb\n")
    choice = choose_dialect(python_evidence(model))
    assert (choice.name, choice.reason) == (EMBEDDED, "imports oracledb, Oracle (line 1): a database no pooler fronts")
