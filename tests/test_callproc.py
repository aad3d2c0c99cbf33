"""DB-API ``callproc(name, parameters)`` on PostgreSQL: psycopg2 and aiopg send ``SELECT * FROM
name(...)``, so a session-state function called this way is the SQL-function rules' trigger, found
at the name's literal."""

from __future__ import annotations

import pytest

from conftest import lint, where


def test_a_session_advisory_lock_through_callproc_is_found_at_the_name() -> None:
    source = 'import psycopg2\n\ndef lock(cur):\n    cur.callproc("pg_advisory_lock", (1,))\n'
    findings = lint(source)
    assert [(finding.code, finding.line, finding.column) for finding in findings] == [("PIN019", 4, 19)]
    assert findings[0].sql == "SELECT * FROM pg_advisory_lock(1)"  # what psycopg2 sends, shown with it


def test_the_name_may_come_through_a_constant_and_the_sink_is_named() -> None:
    source = 'LOCK = "pg_try_advisory_lock"\n\ndef lock(cur, key):\n    cur.callproc(LOCK, [key])\n'
    findings = lint(source)
    assert [(finding.code, finding.line, finding.column) for finding in findings] == [("PIN019", 1, 9)]
    assert "`LOCK` reaches `cur.callproc()` on line 4" in findings[0].message
    assert findings[0].sql == "SELECT * FROM pg_try_advisory_lock(%s)"


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ('("app.tenant", tenant, False)', ["PIN006"]),
        ('("app.tenant", tenant, flag)', ["PIN006"]),  # not a literal: pinlint cannot tell it is true
        ("params", ["PIN006"]),  # a run-time sequence: the same
        ('("app.tenant", tenant, True)', []),
        ('("TimeZone", "UTC", False)', ["PIN044"]),  # the parameters PgBouncer tracks are their own rule
    ],
)
def test_set_config_through_callproc_reads_its_arguments(parameters: str, expected: list[str]) -> None:
    source = f'def scope(cur, tenant, flag, params):\n    cur.callproc("set_config", {parameters})\n'
    assert [finding.code for finding in lint(source)] == expected


@pytest.mark.parametrize(
    "source",
    [
        'cur.callproc("pg_advisory_xact_lock", (1,))',  # released at the end of the transaction
        'cur.callproc("archive_orders", (cutoff,))',  # an ordinary function
        'cur.callproc(procname="refresh_rollups")',
        '# cur.callproc("pg_advisory_lock", (1,))',  # a comment
        "log.info(\"cur.callproc('pg_advisory_lock', (1,))\")",  # log text
        "cur.callproc(*call)",  # nothing the code shows
        # pg8000 sends ``CALL name(...)``, which PostgreSQL refuses for a function: an error, no lock
        'import pg8000.dbapi\ncur.callproc("pg_advisory_lock", (1,))',
    ],
)
def test_callproc_look_alikes_stay_quiet(source: str) -> None:
    assert lint(source) == []


def test_a_mysql_module_keeps_its_own_callproc_rule() -> None:
    """PyMySQL sends ``SET @_name_0 = ...`` then ``CALL``: PIN218, and no PostgreSQL reading."""
    source = 'import pymysql\n\nwith conn.cursor() as cur:\n    cur.callproc("pg_advisory_lock", (1,))\n'
    assert where(source) == [("PIN218", 4, 38)]


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ('cur.callproc("nextval", ("orders_id_seq",))', "PIN016"),
        ('cur.callproc("currval", ["orders_id_seq"])', "PIN017"),
        ('cur.callproc("lastval")', "PIN018"),
        ('cur.callproc("pg_advisory_unlock_all")', "PIN019"),
        ('cur.callproc("pg_catalog.pg_try_advisory_lock_shared", (7,))', "PIN019"),
    ],
)
def test_every_session_state_function_rule_reads_callproc(call: str, code: str) -> None:
    assert where(f"def f(cur):\n    {call}\n") == [(code, 2, 19)]
