"""Library APIs the real-code survey of issue 15 found (/work/notes/survey3.md): factories that
open nothing when given the caller's connection, lock helpers whose default is a session lock,
and pool helpers that set session state. Each with the form that is flagged and its look-alike."""

from __future__ import annotations

from pathlib import Path

from conftest import codes, run_cli, where


def pin022(source: str) -> list[tuple[str, int, int]]:
    return [place for place in where(source) if place[0] == "PIN022"]


PGSTAC_HANDLER = (
    "import psycopg\nfrom pypgstac.db import PgstacDB\n\n\n"
    "def handler(event, context):\n"
    "    with psycopg.connect(event['dsn'], autocommit=True) as conn:\n"
    "        with PgstacDB({arguments}) as pgdb:\n"
    "            pgdb.query_one('SELECT 1')\n"
)


def test_pgstacdb_given_the_callers_connection_opens_nothing() -> None:
    """eoapi-cdk's bootstrapper: only the caller's `psycopg.connect()` churns."""
    for arguments in ("connection=conn, debug=True", "pool=POOL", "'', POOL", "'', None, conn"):
        source = PGSTAC_HANDLER.format(arguments=arguments)
        assert pin022(source) == [("PIN022", 6, 10)], arguments


def test_pgstacdb_with_a_dsn_of_its_own_is_still_a_pool_per_invocation() -> None:
    for arguments in ("dsn=event['dsn']", "event['dsn']", "**options"):
        source = PGSTAC_HANDLER.format(arguments=arguments)
        assert pin022(source) == [("PIN022", 6, 10), ("PIN022", 7, 14)], arguments


def test_a_helper_in_another_module_given_the_connection_is_quiet(tmp_path: Path) -> None:
    (tmp_path / "stacdb.py").write_text(
        "from pypgstac.db import PgstacDB\n\n\n"
        "def wrap(conn):\n    return PgstacDB(connection=conn)\n\n\n"
        "def own(dsn):\n    return PgstacDB(dsn=dsn)\n",
        encoding="utf-8",
    )
    (tmp_path / "handler.py").write_text(
        "from stacdb import own, wrap\n\n\ndef handler(event, context):\n    wrap(CONN)\n    own(event['dsn'])\n",
        encoding="utf-8",
    )
    result = run_cli("check", "--no-cache", "--select", "PIN022", "--output-format", "concise", "-q", ".", cwd=tmp_path)
    assert result.stdout.splitlines() == [
        "handler.py:6:5: PIN022 `pypgstac.db.PgstacDB()` in stacdb.py:9 runs on every invocation of handler"
        " `handler`, through `own()`"
    ]


def test_the_exemption_is_pgstacdbs_alone() -> None:
    """`connection=` means nothing to other factories: `pg8000.native.Connection(connection=...)` is not one."""
    source = "import psycopg2\n\n\ndef lambda_handler(event, context):\n    return psycopg2.connect(connection=X)\n"
    assert "PIN022" in codes(source)


def test_lock_libraries_default_to_a_session_lock() -> None:
    """The survey's jobs.py: postgresql-lock and sqlalchemy-dlock, each with its default and its
    transaction-level form."""
    source = (
        "from postgresql_lock import Lock\nfrom sqlalchemy_dlock import create_sadlock\n\n\n"
        "def nightly(conn):\n"
        "    with Lock(conn, 'nightly'):\n        run()\n"
        "    with Lock(conn, 'nightly', scope='transaction'):\n        run()\n"
        "    with Lock(conn, 'nightly', 'auto', True, 'transaction'):\n        run()\n"
        "    with Lock(conn, 'nightly', scope=SCOPE):\n        run()\n"
        "    with create_sadlock(conn, 'sync'):\n        run()\n"
        "    with create_sadlock(conn, 'sync', xact=True):\n        run()\n"
    )
    assert where(source) == [("PIN066", 6, 10), ("PIN067", 14, 10)]


def test_sqlalchemy_dlock_calls_written_for_oracle_or_mssql_stay_quiet() -> None:
    """sqlalchemy-dlock's tests/test_oracle.py: `lock_mode`/`release_on_commit` are the Oracle lock's
    arguments, `update` the MSSQL one's."""
    made = "from sqlalchemy_dlock import create_sadlock\n\nlock = create_sadlock(conn, 7{extra})\n"
    for extra in (", lock_mode='S'", ", release_on_commit=True", ", update=True"):
        assert codes(made.format(extra=extra)) == [], extra
    assert codes(made.format(extra=", shared=True")) == ["PIN067"]


def test_lock_look_alikes_of_other_libraries_stay_quiet() -> None:
    source = (
        "from threading import Lock\nfrom filelock import FileLock\nfrom locks import create_sadlock\n\n"
        "with Lock():\n    pass\nwith FileLock('x.lock'):\n    pass\nwith create_sadlock(conn, 'k'):\n    pass\n"
    )
    assert codes(source) == []


def test_eoapi_pool_helpers_that_set_session_state() -> None:
    """eoapi-cdk's three APIs make their pools through a library helper that sets search_path."""
    for module, code in (
        ("titiler.pgstac.db", "PIN068"),
        ("stac_fastapi.pgstac.db", "PIN069"),
        ("tipg.database", "PIN070"),
    ):
        source = f"import asyncio\nfrom {module} import connect_to_db\n\nasyncio.run(connect_to_db(app))\n"
        assert where(source) == [(code, 4, 13)], module


def test_other_connect_to_db_helpers_stay_quiet() -> None:
    # titiler-pgstac 1.x: the caller's pool_kwargs replace the options (veda-backend passes {} behind RDS Proxy)
    titiler = "from titiler.pgstac.db import connect_to_db\n\nconnect_to_db(app, settings, {})\n"
    assert codes(titiler) == []
    assert codes(titiler.replace("settings, {}", "pool_kwargs={}")) == []
    for module in ("titiler.pgstac.db", "tipg.database"):
        assert codes(f"from {module} import close_db_connection\n\nclose_db_connection(app)\n") == []
    assert codes("from app.db import connect_to_db\n\nconnect_to_db(app)\n") == []


def test_a_pgmq_queue_made_in_a_handler_is_a_pool_per_invocation() -> None:
    made = "from pgmq import {name}\n\n\ndef handler(event, context):\n    queue = {name}({arguments})\n"
    for name in ("PGMQueue", "SyncPGMQueue", "AsyncPGMQueue"):
        assert pin022(made.format(name=name, arguments="host='db'")) == [("PIN022", 5, 13)], name
        assert pin022(made.format(name=name, arguments="pool=POOL")) == [], name
    tembo = made.replace("from pgmq", "from tembo_pgmq_python").format(name="PGMQueue", arguments="host='db'")
    assert pin022(tembo) == [("PIN022", 5, 13)]  # pgmq's predecessor: a pool and a connection in __post_init__
    module_level = "from pgmq import PGMQueue\n\nqueue = PGMQueue()\n\n\n"
    module_level += "def handler(event, context):\n    queue.send('q', event)\n"
    assert pin022(module_level) == []
