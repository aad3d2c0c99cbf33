"""Driver rules: options given (or not) to psycopg, asyncpg and their pools and cursors."""

from __future__ import annotations

import pytest

from conftest import where


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # psycopg 3: missing, wrong, right, and inside a pool's kwargs
        ("import psycopg\nc = psycopg.connect(DSN)\n", [("PIN023", 2, 5)]),
        ("import psycopg\nc = psycopg.connect(DSN, prepare_threshold=0)\n", [("PIN023", 2, 26)]),
        ("import psycopg\nc = psycopg.connect(DSN, prepare_threshold=None)\n", []),
        ("from psycopg import AsyncConnection\nc = await AsyncConnection.connect(DSN)\n", [("PIN023", 2, 11)]),
        ("import psycopg_pool as pp\np = pp.ConnectionPool(DSN, kwargs={'prepare_threshold': None})\n", []),
        # computed at run time: pinlint cannot tell, so it says nothing
        ("import psycopg\nc = psycopg.connect(DSN, prepare_threshold=threshold)\n", []),
        ("import psycopg\nc = psycopg.connect(DSN, **options)\n", []),
        ("import psycopg_pool\np = psycopg_pool.ConnectionPool(DSN, kwargs=connect_kwargs)\n", []),
        # asyncpg
        ("import asyncpg\nc = await asyncpg.connect(DSN)\n", [("PIN024", 2, 11)]),
        ("import asyncpg\nc = await asyncpg.connect(DSN, statement_cache_size=0)\n", []),
        ("import asyncpg\nawait conn.add_listener('jobs', cb)\n", [("PIN025", 2, 7)]),
        ("import redis\nawait conn.add_listener('jobs', cb)\n", []),  # not asyncpg
        # psycopg cursors: named, with hold, plain; other libraries' cursor()
        ("import psycopg2\ncur = conn.cursor('export')\n", [("PIN026", 2, 19)]),
        ("import psycopg2\ncur = conn.cursor(name='export')\n", [("PIN026", 2, 19)]),
        ("import psycopg2\ncur = conn.cursor(name=None)\n", []),
        ("import psycopg2\ncur = conn.cursor()\n", []),
        ("import psycopg\ncur = conn.cursor('export', withhold=True)\n", [("PIN027", 2, 29)]),
        ("import sqlite3\ncur = conn.cursor('export')\n", []),
    ],
)
def test_driver_rules(source: str, expected: list[tuple[str, int, int]]) -> None:
    assert [finding for finding in where(source) if finding[0] != "PIN041"] == expected  # PIN041: below


HANDLER = "\n\ndef lambda_handler(event, context):\n    return 1\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import asyncpg\npool = asyncpg.create_pool(DSN, statement_cache_size=0)" + HANDLER, [("PIN028", 2, 8)]),
        (
            "import asyncpg\npool = asyncpg.create_pool(DSN, statement_cache_size=0, min_size=1, max_size=1)" + HANDLER,
            [],
        ),
        ("import asyncpg\npool = asyncpg.create_pool(DSN, statement_cache_size=0, min_size=1)" + HANDLER, []),
        ("from psycopg2 import pool\np = pool.SimpleConnectionPool(1, 5, DSN)" + HANDLER, [("PIN028", 2, 34)]),
        ("from psycopg2 import pool\np = pool.SimpleConnectionPool(1, 1, DSN)" + HANDLER, []),
        (
            "import psycopg_pool\np = psycopg_pool.ConnectionPool(DSN, kwargs={'prepare_threshold': None})" + HANDLER,
            [("PIN028", 2, 5)],
        ),
        ("import sqlalchemy\ne = sqlalchemy.create_engine(URL, max_overflow=2)" + HANDLER, [("PIN028", 2, 35)]),
        ("import sqlalchemy\ne = sqlalchemy.create_engine(URL)" + HANDLER, []),  # lazy pool: not flagged
        ("import asyncpg\npool = asyncpg.create_pool(DSN, statement_cache_size=0)\n", []),  # no handler here
    ],
)
def test_pool_size_in_handler_modules(source: str, expected: list[tuple[str, int, int]]) -> None:
    assert [finding for finding in where(source) if finding[0] == "PIN028"] == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # pre-ping: module-level engines of handler modules only; poolclass of any kind opts out
        ("import sqlalchemy\ne = sqlalchemy.create_engine(URL)" + HANDLER, [("PIN032", 2, 5)]),
        ("import sqlalchemy\ne = sqlalchemy.create_engine(URL, pool_pre_ping=True)" + HANDLER, []),
        ("import sqlalchemy\ne = sqlalchemy.create_engine(URL, poolclass=NullPool)" + HANDLER, []),
        ("import sqlalchemy\ne = sqlalchemy.create_engine(URL)\n", []),
        ("import sqlalchemy\n\ndef make():\n    return sqlalchemy.create_engine(URL)" + HANDLER, []),
        # streaming and prepared cursors, only with the library imported
        ("import sqlalchemy\nr = conn.execution_options(stream_results=True)\n", [("PIN029", 2, 28)]),
        ("import sqlalchemy\nr = conn.execution_options(isolation_level='AUTOCOMMIT')\n", []),
        ("import sqlalchemy\nq = session.query(Order).yield_per(100)\n", [("PIN029", 2, 36)]),
        ("import pandas\nr = conn.execution_options(stream_results=True)\n", []),
        ("import mysql.connector\nc = conn.cursor(prepared=True)\n", [("PIN030", 2, 17)]),
        ("import psycopg2\nc = conn.cursor(prepared=True)\n", []),
        # psycopg2 set_session
        ("import psycopg2\nconn.set_session('SERIALIZABLE')\n", [("PIN031", 2, 18)]),
        ("import psycopg2\nconn.set_session(readonly=True, autocommit=True)\n", [("PIN031", 2, 18)]),
        ("import psycopg2\nconn.set_session(autocommit=True)\n", []),
    ],
)
def test_more_driver_rules(source: str, expected: list[tuple[str, int, int]]) -> None:
    codes = {code for code, _, _ in expected} or {"PIN029", "PIN030", "PIN031", "PIN032"}
    assert [finding for finding in where(source) if finding[0] in codes] == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # psycopg 3 applies it per transaction (BEGIN ISOLATION LEVEL ...): no session SET (rule file)
        ('DATABASES = {"default": {"OPTIONS": {"isolation_level": 3, "assume_role": "app"}}}\n', [("PIN033", 1, 60)]),
        (
            'import os\nDATABASES = {"default": {}, "replica": {"OPTIONS": {"assume_role": os.environ["ROLE"]}}}\n',
            [("PIN033", 2, 53)],
        ),
        ('DATABASES = {"default": {"OPTIONS": {"assume_role": None}}}\n', []),
        ('SETTINGS = {"default": {"OPTIONS": {"assume_role": "x"}}}\n', []),
        ('DATABASES = {"default": {"OPTIONS": {"options": "-c statement_timeout=5s"}}}\n', [("PIN034", 1, 38)]),
        ('DATABASES = {"default": {"OPTIONS": {"options": "--search_path=x"}}}\n', [("PIN034", 1, 38)]),
        ('DATABASES = {"default": {"OPTIONS": {"options": ""}}}\n', []),
        ('import os\nos.environ["PGOPTIONS"] = "-c search_path=x"\n', [("PIN034", 2, 1)]),
        ('from os import environ as env\n\ndef f():\n    env["PGOPTIONS"] = "-cwork_mem=64MB"\n', [("PIN034", 4, 5)]),
        ('import os\nos.environ["PGAPPNAME"] = "-c x"\n', []),
        ('import os\nos.environ["PGOPTIONS"] = build_options()\n', []),
    ],
)
def test_settings_rules(source: str, expected: list[tuple[str, int, int]]) -> None:
    assert [finding for finding in where(source) if finding[0] in ("PIN033", "PIN034")] == expected


# --- SQLAlchemy on psycopg 3 (PIN037) -----------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('engine = create_engine("postgresql+psycopg://u@h/db")', [("PIN037", 2, 10)]),
        ('engine = create_engine(url="postgresql+psycopg://u@h/db", pool_size=1)', [("PIN037", 2, 10)]),
        ('engine = create_engine(f"postgresql+psycopg://{USER}@{HOST}/db")', [("PIN037", 2, 10)]),
        ('engine = create_engine("postgresql+psycopg://u@h/db", connect_args={"prepare_threshold": None})', []),
        (
            'engine = create_engine("postgresql+psycopg://u@h/db", connect_args={"prepare_threshold": 5})',
            [("PIN037", 2, 90)],
        ),
        ('engine = create_engine("postgresql+psycopg://u@h/db", connect_args=ARGS)', []),
        ('engine = create_engine("postgresql+psycopg2://u@h/db")', []),
        ('engine = create_engine("postgresql://u@h/db")', []),
        ("engine = create_engine(DATABASE_URL)", []),
    ],
)
def test_sqlalchemy_engine_on_psycopg3(source: str, expected: list[tuple[str, int, int]]) -> None:
    found = [item for item in where("from sqlalchemy import create_engine\n" + source + "\n") if item[0] == "PIN037"]
    assert found == expected


def test_sqlalchemy_psycopg3_is_ok_on_a_pgbouncer_that_tracks_prepared_statements() -> None:
    from conftest import CATALOG
    from pinlint.catalog import PoolerSetup

    rule = next(rule for rule in CATALOG if rule.code == "PIN037")
    assert rule.for_setup(PoolerSetup((1, 24))).targets == {"rds-proxy": "pins", "pgbouncer": "ok"}
    assert rule.for_setup(PoolerSetup((1, 20))).targets["pgbouncer"] == "breaks"


# --- asyncpg's JIT switch during type introspection (PIN041) -------------------------------

WORKAROUND = "\n\nasync def init(conn):\n    conn._server_caps = conn._server_caps._replace(\n        jit=False)\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import asyncpg\nc = await asyncpg.connect(DSN)\n", [("PIN041", 2, 11)]),
        ("from asyncpg import create_pool\np = await create_pool(DSN, init=setup)\n", [("PIN041", 2, 11)]),
        ("import asyncpg\np = await asyncpg.create_pool(DSN, init=init)" + WORKAROUND, []),
        ("import asyncpg\nc = await asyncpg.connect(DSN)\n# jit=False would be nice\n", [("PIN041", 2, 11)]),
        ("import psycopg\nc = psycopg.connect(DSN, prepare_threshold=None)\n", []),
    ],
)
def test_asyncpg_jit_switch(source: str, expected: list[tuple[str, int, int]]) -> None:
    assert [finding for finding in where(source) if finding[0] == "PIN041"] == expected


MIGRATION = """from django.db import migrations


def backfill(apps, schema_editor):
    for item in apps.get_model("app", "Item").objects.filter(flag=False).iterator():
        item.save()


class Migration(migrations.Migration):
{atomic}    operations = [migrations.RunPython({call})]
"""


@pytest.mark.parametrize(
    ("atomic", "call", "expected"),
    [
        # atomic by default on PostgreSQL: the cursor is declared without hold (PIN040's)
        ("", "backfill", "PIN040"),
        ("", "migrations.RunPython.noop, reverse_code=backfill", "PIN040"),
        ("    atomic = True\n", "backfill", "PIN040"),
        ("", "backfill, atomic=False", "PIN040"),  # the migration's transaction still holds it
        # a non-atomic migration runs the function in autocommit: WITH HOLD (PIN039's)
        ("    atomic = False\n", "backfill", "PIN039"),
        ("    atomic = False\n", "backfill, atomic=True", "PIN040"),  # RunPython's own transaction
    ],
)
def test_iterator_in_a_run_python_function(atomic: str, call: str, expected: str) -> None:
    source = MIGRATION.format(atomic=atomic, call=call)
    assert where(source, "app/migrations/0002_backfill.py") == [(expected, 5, 17)]


def test_a_function_handed_to_another_call_is_not_in_a_transaction() -> None:
    source = MIGRATION.replace("migrations.RunPython({call})", "register({call})").format(atomic="", call="backfill")
    assert where(source, "app/migrations/0002_backfill.py") == [("PIN039", 5, 17)]


STARTUP = "import asyncpg\nc = await asyncpg.connect(DSN, statement_cache_size=0, server_settings={settings})\n"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # PgBouncer compares startup parameter names in any letter case (observed: `timezone` accepted)
        ('{"TIMEZONE": "UTC", "Application_Name": "app"}', []),
        ('{"Search_Path": "billing"}', [("PIN048", 2, 88)]),
        ('{"INTERVALSTYLE": "iso_8601"}', [("PIN055", 2, 90)]),
        # each rule reports the first name of its class; both classes in one dict: both rules
        ('{"search_path": "billing", "jit": "off"}', [("PIN047", 2, 106), ("PIN048", 2, 88)]),
        # the names are read even when a value is computed; a dict built at run time says nothing
        ('{"lock_timeout": LOCK_TIMEOUT}', [("PIN047", 2, 89)]),
        ("SETTINGS", []),
        ("dict(jit='off')", []),
    ],
)
def test_startup_parameter_names(settings: str, expected: list[tuple[str, int, int]]) -> None:
    found = [finding for finding in where(STARTUP.format(settings=settings)) if finding[0] in STARTUP_RULES]
    assert sorted(found) == sorted(expected)


STARTUP_RULES = {"PIN047", "PIN048", "PIN055"}


def test_startup_parameters_inside_sqlalchemy_connect_args() -> None:
    source = (
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        'e = create_async_engine(URL, connect_args={"server_settings": {"search_path": "billing"}})\n'
    )
    assert [finding for finding in where(source) if finding[0] in STARTUP_RULES] == [("PIN048", 2, 63)]
