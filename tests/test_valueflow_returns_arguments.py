"""A call's literal arguments choose among what a function returns (pinlint.extract.values
``call_literals``/``taken_by``): a branch the call never takes is not reported; an argument the
code does not show keeps every branch."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import lint, run_cli
from pinlint.extract.values import Parameters
from pinlint.index.summary import from_json, summarise
from pinlint.pymodel import parse_python

LOCKS = """\
def lock_sql(xact):
    if xact:
        return "SELECT pg_advisory_xact_lock(1)"
    return "SELECT pg_advisory_lock(1)"


def lock_sql2(xact=True):
    return "SELECT pg_advisory_xact_lock(1)" if xact else "SELECT pg_advisory_lock(1)"


def scoped(scope="xact", *, shared=False):
    if scope == "session" and not shared:
        return "SELECT pg_advisory_lock(1)"
    return "SELECT pg_advisory_xact_lock(1)"


class Lock:
    def __init__(self, conn):
        self.conn = conn

    def lock_query(self, block=True):
        return "SELECT pg_advisory_lock(1)" if block else "SELECT pg_try_advisory_xact_lock(1)"

    @staticmethod
    def static_query(block):
        return "SELECT pg_advisory_lock(1)" if block else "SELECT pg_advisory_xact_lock(1)"

    def run(self, cur):
        cur.execute(self.lock_query(False))
        cur.execute(self.static_query(None))
"""


def places(source: str) -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.column) for f in lint(textwrap.dedent(source), "app.py")]


def test_a_branch_the_literal_arguments_never_take_is_not_reported() -> None:
    """survey3b fp4: `lock_sql(True)`, `lock_sql2()` (default `xact=True`), `scoped()`."""
    calls = """
def run(cur):
    cur.execute(lock_sql(True))
    cur.execute(lock_sql(xact=1))
    cur.execute(lock_sql2())
    cur.execute(scoped())
    cur.execute(scoped("session", shared=True))
"""
    assert places(LOCKS + calls) == []


def test_a_branch_the_arguments_take_or_may_take_is_reported() -> None:
    calls = """
def run(cur, xact, lock: Lock):
    cur.execute(lock_sql(False))
    cur.execute(lock_sql2(xact))
    cur.execute(scoped(scope="session"))
    cur.execute(lock_sql(*[True]))
"""
    assert places(LOCKS + calls) == [
        ("PIN019", 4, 20),  # lock_sql(False)
        ("PIN019", 4, 20),  # lock_sql(*[True]): not matched, so every branch
        ("PIN019", 8, 67),  # lock_sql2(xact): unknown
        ("PIN019", 13, 24),  # scoped(scope="session"): `shared` keeps its default False
    ]


def test_an_instance_call_skips_self_and_a_decided_condition_is_not_repeated() -> None:
    """`self.lock_query(False)` sets `block`, not `self`: the try-lock is a transaction lock; a static
    method's first parameter is the first argument (`None`: the transaction lock)."""
    assert places(LOCKS) == []
    messages = [f.message for f in lint(LOCKS.replace("lock_query(False)", "lock_query(True)"), "app.py")]
    assert messages == [
        "`pg_advisory_lock()` takes or releases a session-level advisory lock"
        " (`self.lock_query()` reaches `cur.execute()` on line 29)"
    ]


def test_literal_arguments_choose_across_modules(tmp_path: Path) -> None:
    """py-postgresql-lock: `lock.lock_query(block)` with `lock: Lock` of another module."""
    main = """\
    import psycopg2
    from lib.locks import Lock, lock_sql, lock_sql2


    def acquire(cur, lock: Lock, xact):
        cur.execute(lock.lock_query(False))
        cur.execute(lock_sql2())
        cur.execute(lock_sql(xact))
        cur.execute(lock.lock_query())
    """
    for name, text in {"pyproject.toml": "", "lib/__init__.py": "", "lib/locks.py": LOCKS, "app.py": main}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text) if name == "app.py" else text, encoding="utf-8")
    result = run_cli("check", "--no-cache", "--output-format", "concise", "-q", ".", cwd=tmp_path)
    assert result.stderr == ""
    assert [line.split(": PIN019 ")[0] for line in result.stdout.splitlines()] == ["app.py:8:17", "app.py:9:17"]
    assert "(when `xact` is false)" in result.stdout.splitlines()[0]
    assert "when" not in result.stdout.splitlines()[1]  # `block` left at its default True: decided


def test_a_comparison_is_decided_as_python_decides_it() -> None:
    """`mode == 1` holds for `True` (as at run time); `is` is read against None and bools only."""
    source = """\
    def pick(mode=0):
        return "SELECT pg_advisory_lock(1)" if mode == 1 else "SELECT 1"

    def given(key=None):
        return "SELECT 1" if key is None else "SELECT pg_advisory_lock(2)"

    def run(cur):
        cur.execute(pick(True))
        cur.execute(pick())
        cur.execute(given())
        cur.execute(given(key=7))
    """
    assert places(source) == [("PIN019", 2, 20), ("PIN019", 5, 51)]


def test_what_a_call_needs_of_a_returning_function_reads_back_from_the_cache() -> None:
    """The summary another module's caller reads (a warm run reads it from the cache)."""
    summary = summarise(parse_python(LOCKS))
    assert summary.sql_return_lines["Lock.lock_query"] == 21
    assert summary.sql_return_parameters["scoped"] == Parameters(
        ("scope",), ("shared",), {"scope": "xact", "shared": False}, ("scope", "shared"), ""
    )
    assert summary.sql_return_parameters["Lock.static_query"].bound == ""
    assert summary.sql_return_parameters["Lock.lock_query"].bound == "self"
    assert from_json(summary.to_json()) == summary


NESTED = """\
def _lock(xact):
    if xact:
        return "SELECT pg_advisory_xact_lock(1)"
    return "SELECT pg_advisory_lock(1)"


def lock_sql(xact, in_transaction):
    return _lock(in_transaction)


def opaque(xact, mode):
    return _lock(mode == "tx")
"""


def test_a_condition_of_a_function_called_on_the_way_is_decided_by_its_own_argument() -> None:
    """survey3c fp1: `lock_sql(False, True)` sends `_lock(True)`, the transaction lock: the outer
    `xact` must not decide `_lock`'s own `xact`; `lock_sql(True, False)` sends the session lock."""
    safe = "\ndef run(cur):\n    cur.execute(lock_sql(False, True))\n"
    assert places(NESTED + safe) == []
    unsafe = "\ndef run(cur):\n    cur.execute(lock_sql(True, False))\n"
    assert places(NESTED + unsafe) == [("PIN019", 4, 20)]
    # an argument that is not a name: no call decides it, and the finding says when
    findings = lint(NESTED + "\ndef run(cur):\n    cur.execute(opaque(False, 'tx'))\n", "app.py")
    assert [finding.message for finding in findings if finding.code == "PIN019"] == [
        "`pg_advisory_lock()` takes or releases a session-level advisory lock (`opaque()` reaches"
        " `cur.execute()` on line 15) (when `_lock.xact` is false)"
    ]
