"""SQL that reaches a sink through a registry, a return value or an instance attribute
(pinlint.extract.values): each form is found at the literal that holds the trigger, and its
look-alike stays quiet."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import lint, run_cli


def found(source: str) -> list[tuple[str, int, int, str]]:
    """(code, line, column, message) of every finding of ``source``."""
    return [(f.code, f.line, f.column, f.message) for f in lint(textwrap.dedent(source), "app.py")]


def places(source: str) -> list[tuple[str, int, int]]:
    return [(code, line, column) for code, line, column, _ in found(source)]


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def _concise(root: Path, *paths: str) -> list[str]:
    result = run_cli("check", "--no-cache", "--output-format", "concise", "-q", *(paths or (".",)), cwd=root)
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    return result.stdout.splitlines()


# --- dict(KEY="...") ------------------------------------------------------------------------------


def test_a_dict_call_with_keywords_is_read_like_its_literal() -> None:
    """dramatiq-pg's shape: `dict(CONSUME_ONE=..., RELEASE_ONE=...)` at module level and in a function."""
    source = """\
    PLAIN = dict(PING="SELECT 1", LOCK="SELECT pg_try_advisory_lock(%s)")

    def consume(curs, lock):
        curs.execute(PLAIN["LOCK"], (lock,))
        curs.execute(PLAIN["PING"])
        local = dict({"listen": "LISTEN jobs"}, release="SELECT pg_advisory_unlock(%s)")
        curs.execute(local["release"], (lock,))
        curs.execute(local.get("listen"))
    """
    result = found(source)
    assert [(code, line, column) for code, line, column, _ in result] == [
        ("PIN019", 1, 44),
        ("PIN014", 6, 30),
        ("PIN019", 6, 61),
    ]
    assert result[0][3].endswith("(reaches `curs.execute()` on line 4)")
    assert result[2][3].endswith("(reaches `curs.execute()` on line 7)")


@pytest.mark.parametrize(
    "built",
    [
        'dict(OTHER, LOCK="SELECT pg_advisory_lock(1)")',  # a positional mapping the code does not show
        'dict(LOCK="SELECT pg_advisory_lock(1)", **OTHER)',  # `**OTHER` may replace the entry
        'dict([("LOCK", "SELECT pg_advisory_lock(1)")])',  # pairs: not read
    ],
)
def test_a_dict_call_that_may_hold_other_entries_is_not_read(built: str) -> None:
    source = f"""\
    OTHER = {{"LOCK": "SELECT 1"}}
    QUERIES = {built}

    def run(cur):
        cur.execute(QUERIES["LOCK"])
    """
    assert found(source) == []


def test_a_rebound_dict_is_not_the_builtin() -> None:
    source = """\
    from collections import OrderedDict as dict

    QUERIES = dict(LOCK="SELECT pg_advisory_lock(1)")

    def run(cur):
        cur.execute(QUERIES["LOCK"])
    """
    assert found(source) == []


def test_an_imported_dict_call_entry_is_read_where_it_is_sent(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/queries.py": 'QUERIES = dict(LOCK="SELECT pg_advisory_lock(1)", OK="SELECT 1")\n',
            "main.py": """\
            from app.queries import QUERIES


            def work(cur):
                cur.execute(QUERIES["OK"])
                cur.execute(QUERIES["LOCK"])
            """,
        },
    )
    (finding,) = _concise(tmp_path, "main.py")
    assert finding.startswith("main.py:6:17: PIN019 `pg_advisory_lock()`")
    assert "(`app.queries.QUERIES['LOCK']` reaches `cur.execute()` on line 6)" in finding


# --- SQL a function or method of the module returns ----------------------------------------------


def test_sql_returned_by_a_function_or_method_is_found_where_it_is_written() -> None:
    """py-postgresql-lock's shape, in one module: the finding sits on the returned literal and
    names the call that brings it to the sink."""
    source = """\
    def lock_sql(key):
        return f"SELECT pg_advisory_lock({key})"

    def unlock_sql(shared):
        if shared:
            return "SELECT pg_advisory_unlock_shared(1)"
        return None

    class Lock:
        def lock_query(self, block):
            return "SELECT pg_advisory_lock(2)" if block else "SELECT pg_try_advisory_xact_lock(2)"

        @classmethod
        def listen_query(cls):
            return "LISTEN jobs"

        async def acquire(self, conn):
            await conn.execute(await self.notify_query())
            await conn.fetch(self.lock_query(True))

        async def notify_query(self):
            return "LISTEN events"

        def listen(self, cur):
            cur.execute(self.listen_query())

    def run(cur):
        cur.execute(lock_sql(7))
        cur.execute(unlock_sql(True))
    """
    result = found(source)
    assert [(code, line, column) for code, line, column, _ in result] == [
        ("PIN019", 2, 21),
        ("PIN019", 6, 24),
        ("PIN019", 11, 24),
        ("PIN014", 15, 17),
        ("PIN014", 22, 17),
    ]
    assert "(`lock_sql()` reaches `cur.execute()` on line 28)" in result[0][3]
    # (`block` is true: the call says so, and the message does not repeat it)
    assert result[2][3].endswith("(`self.lock_query()` reaches `conn.fetch()` on line 19)")
    assert "(`self.notify_query()` reaches `conn.execute()` on line 18)" in result[4][3]


@pytest.mark.parametrize(
    "helper",
    [
        # a return the code does not show makes the whole function dynamic
        'def query(sql):\n    if sql:\n        return sql\n    return "SELECT pg_advisory_lock(1)"\n',
        'def query():\n    yield "SELECT pg_advisory_lock(1)"\n',  # a generator
        'def query():\n    return "SELECT pg_advisory_xact_lock(1)"\n',  # the transaction-level lock
        # a decorator may return anything
        'def wrap(f):\n    return f\n\n@wrap\ndef query():\n    return "SELECT pg_advisory_lock(1)"\n',
        'async def query():\n    return "SELECT pg_advisory_lock(1)"\n',  # a coroutine, not awaited
        "def query():\n    return query()\n",  # recursion ends
        'def query():\n    return "SELECT pg_advisory_lock(1)"\n\nquery = make_query\n',  # rebound
    ],
)
def test_a_function_whose_returns_are_not_all_sql_the_code_shows_is_quiet(helper: str) -> None:
    source = f'{helper}\n\ndef run(cur, log):\n    log.info(f"took pg_advisory_lock")\n    cur.execute(query())\n'
    assert found(source) == []


def test_a_returned_literal_no_sink_receives_and_a_method_set_on_the_instance_are_quiet() -> None:
    source = """\
    def message():
        return "pg_advisory_lock failed, LISTEN again"

    class Repo:
        def __init__(self, factory):
            self.query = factory

        def query(self):
            return "LISTEN jobs"

        def run(self, cur, log):
            log.warning(message())
            cur.execute(self.query())  # the instance's own attribute: anything

    def other(cur):
        def message():
            return "SELECT 1"
        cur.execute(message())  # the local def, not the module's
    """
    assert found(source) == []


def test_a_noqa_on_the_returned_literal_silences_it() -> None:
    source = """\
    def lock_sql():
        return "SELECT pg_advisory_lock(1)"  # noqa: PIN019

    def run(cur):
        cur.execute(lock_sql())
    """
    assert found(source) == []


# --- instance attributes the class's methods assign -----------------------------------------------


def test_an_instance_attribute_assigned_in_init_is_read_in_another_method() -> None:
    """py-postgresql-lock's shape: `__init__` builds the lock function's name from `scope`, a method
    returns the query, another sends it."""
    source = """\
    LISTEN_SQL = "LISTEN jobs"

    class Lock:
        def __init__(self, conn, key, scope="session"):
            self.conn = conn
            self.key = key
            infix = "" if scope == "session" else "_xact"
            self._lock_func = f"pg_advisory{infix}_lock"
            self._listen = LISTEN_SQL

        def lock_query(self):
            return f"SELECT {self._lock_func}({self.key})"

        def acquire(self):
            cursor = self.conn.cursor()
            cursor.execute(self.lock_query())
            cursor.execute(self._listen)
    """
    result = found(source)
    assert [(code, line, column) for code, line, column, _ in result] == [("PIN014", 1, 15), ("PIN019", 8, 29)]
    assert "(`LISTEN_SQL` reaches `cursor.execute()` on line 17)" in result[0][3]  # the innermost name
    assert result[1][3].endswith(
        "(`self.lock_query()` reaches `cursor.execute()` on line 16) (when `scope == 'session'` is true)"
    )


@pytest.mark.parametrize(
    "elsewhere",
    [
        "    def reset(self, sql):\n        self._sql = sql\n",  # another assignment the code does not show
        "    def more(self):\n        self._sql += ' NOWAIT'\n",  # changed in place
        "    def swap(self, other):\n        other._sql = 'SELECT 1'\n",  # set on an object of unknown type
        "    def load(self, name):\n        setattr(self, name, 'SELECT 1')\n",  # any attribute
        "    def drop(self):\n        del self._sql\n",
    ],
)
def test_an_instance_attribute_the_code_may_set_otherwise_is_not_read(elsewhere: str) -> None:
    source = (
        "class Repo:\n"
        "    def __init__(self, cur):\n"
        "        self.cur = cur\n"
        '        self._sql = "SELECT pg_advisory_lock(1)"\n\n'
        f"{elsewhere}\n"
        "    def run(self):\n"
        "        self.cur.execute(self._sql)\n"
    )
    assert found(source) == []
    assert places(source.replace(elsewhere, "")) == [("PIN019", 4, 29)]  # the same class without it


def test_a_transaction_lock_in_an_instance_attribute_and_an_attribute_of_another_class_are_quiet() -> None:
    source = """\
    class Lock:
        def __init__(self):
            self._sql = "SELECT pg_advisory_xact_lock(1)"
            self.message = "pg_advisory_lock taken"

        def run(self, cur, log):
            cur.execute(self._sql)
            log.info(self.message)

    class Other:
        def run(self, cur):
            cur.execute(self.message)  # Other sets no `message`
    """
    assert found(source) == []


# --- SQL a function of another module returns ----------------------------------------------------

LOCKS = """\
LOCK_SQL = "SELECT pg_advisory_lock(3)"


def named_sql():
    return LOCK_SQL


def lock_sql():
    return "SELECT pg_advisory_lock(1)"


def xact_sql():
    return "SELECT pg_advisory_xact_lock(1)"


def passed_sql(sql):
    return sql if sql else "SELECT pg_advisory_lock(2)"


class Lock:
    _func: str

    def __init__(self, conn, scope="session"):
        self.conn = conn
        self._func = "pg_advisory_lock" if scope == "session" else "pg_advisory_xact_lock"

    def lock_query(self, key):
        return f"SELECT {self._func}({key})"
"""


@pytest.mark.parametrize(
    ("importer", "sent", "expected"),
    [
        (
            "from app.locks import lock_sql",
            "lock_sql()",
            "(`lock_sql()` returns it from app/locks.py:8 and it reaches `cur.execute()` on line 5)",
        ),
        (
            "from app import locks",
            "locks.lock_sql()",
            "(`locks.lock_sql()` returns it from app/locks.py:8 and it reaches `cur.execute()` on line 5)",
        ),
        (
            "from app.locks import named_sql",
            "named_sql()",
            "(`named_sql()` returns it from app/locks.py:4 and it reaches `cur.execute()` on line 5)",
        ),
        ("from app.locks import xact_sql", "xact_sql()", ""),  # the transaction-level lock
        ("from app.locks import passed_sql", "passed_sql(x)", ""),  # a return the code does not show
        ("from app.locks import Lock", "lock.lock_query(1)", ""),  # `lock` of no known type
    ],
)
def test_sql_returned_by_a_function_of_another_module_is_found_where_it_is_sent(
    tmp_path: Path, importer: str, sent: str, expected: str
) -> None:
    main = f"{importer}\n\n\ndef work(cur, lock, x):\n    cur.execute({sent})\n"
    _write(tmp_path, {"app/__init__.py": "", "app/locks.py": LOCKS, "main.py": main})
    found = _concise(tmp_path, "main.py")
    if not expected:
        assert found == []
        return
    (finding,) = found
    assert finding.startswith("main.py:5:17: PIN019 `pg_advisory_lock()`"), finding  # at the call
    assert finding.endswith(expected)


def test_a_method_on_a_parameter_annotated_with_an_imported_class(tmp_path: Path) -> None:
    """py-postgresql-lock's psycopg2.py: `def acquire(lock: Lock)`, `cursor.execute(lock.lock_query(...))`."""
    main = """\
    from .locks import Lock


    def acquire(lock: Lock, key):
        query = lock.lock_query(key)
        cursor = lock.conn.cursor()
        cursor.execute(query)
    """
    _write(tmp_path, {"app/__init__.py": "", "app/locks.py": LOCKS, "app/psycopg2_impl.py": main})
    (finding,) = _concise(tmp_path, "app/psycopg2_impl.py")
    assert finding == (
        "app/psycopg2_impl.py:5:13: PIN019 `pg_advisory_lock()` takes or releases a session-level advisory lock"
        " (`lock.lock_query()` returns it from locks.py:27 and it reaches `cursor.execute()` on line 7)"
        " (when `scope == 'session'` is true)"
    )


def test_a_warm_run_sees_an_edit_of_the_module_whose_function_returns_the_sql(tmp_path: Path) -> None:
    import os

    main = "from app.locks import lock_sql\n\n\ndef work(cur):\n    cur.execute(lock_sql())\n"
    _write(tmp_path, {"app/__init__.py": "", "app/locks.py": LOCKS, "main.py": main})
    for path in tmp_path.rglob("*.py"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    run = ("check", "--output-format", "concise", "-q", "main.py")
    assert len(run_cli(*run, cwd=tmp_path).stdout.splitlines()) == 1
    (tmp_path / "app/locks.py").write_text(LOCKS.replace('"SELECT pg_advisory_lock(1)"', '"SELECT 1"'), "utf-8")
    assert run_cli(*run, cwd=tmp_path).stdout == ""


def test_a_trigger_ends_in_its_own_literal_when_a_field_takes_text_from_elsewhere() -> None:
    """`'LISTEN {}'.format(quote(ch))`: the quotes the helper adds are written on another line;
    the finding's span stays in the literal at the call (it ended before it started)."""
    source = """\
    def quote(ident):
        return '"{}"'.format(ident)

    QUOTED = '"x"'

    def f(cur, ch):
        cur.execute('LISTEN {}'.format(quote(ch)))
        cur.execute('LISTEN {}'.format(QUOTED))
        cur.execute("LISTEN "
                    "jobs")
    """
    spans = [(f.line, f.column, f.end_line, f.end_column) for f in lint(textwrap.dedent(source), "app.py")]
    assert spans == [(7, 18, 7, 25), (8, 18, 8, 25), (9, 18, 10, 22)]


def test_a_warm_run_sees_a_function_of_another_module_start_returning_sql(tmp_path: Path) -> None:
    """A module whose function returns no string literal is not parsed for its caller, but its text
    is still what the caller's result depends on."""
    import os

    locks = 'LOCK = "SELECT 1"\n\n\ndef lock_sql():\n    return LOCK\n'
    main = "from app.locks import lock_sql\n\n\ndef work(cur):\n    cur.execute(lock_sql())\n"
    _write(tmp_path, {"app/__init__.py": "", "app/locks.py": locks, "main.py": main})
    for path in tmp_path.rglob("*.py"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    run = ("check", "--output-format", "concise", "-q", "main.py")
    assert run_cli(*run, cwd=tmp_path).stdout == ""
    edited = locks.replace("return LOCK", 'return "SELECT pg_advisory_lock(1)"')
    (tmp_path / "app/locks.py").write_text(edited, "utf-8")
    assert len(run_cli(*run, cwd=tmp_path).stdout.splitlines()) == 1
