"""SQL built in steps inside one module (pinlint.extract.values): each form is found at the
literal that holds the trigger, and a look-alike of each form stays quiet."""

from __future__ import annotations

import textwrap

import pytest

from conftest import lint
from pinlint.extract.python import extract_python
from pinlint.extract.values import MAX_VALUES
from pinlint.model import HOLE
from pinlint.pymodel import parse_python


def found(source: str) -> list[tuple[str, int, int, str]]:
    """(code, line, column, message) of every finding of ``source``."""
    return [(f.code, f.line, f.column, f.message) for f in lint(textwrap.dedent(source), "app.py")]


def places(source: str) -> list[tuple[str, int, int]]:
    return [(code, line, column) for code, line, column, _ in found(source)]


def texts(source: str) -> list[str]:
    model = parse_python(textwrap.dedent(source))
    return [fragment.text for fragment in extract_python(model, "app.py").fragments]


# --- containers under constant keys ------------------------------------------------------------


def test_a_dict_entry_under_a_constant_key_is_read() -> None:
    source = """\
    QUERIES = {"ok": "SELECT 1", "lock": "SELECT pg_advisory_lock(1)"}

    def f(cur, name):
        cur.execute(QUERIES["lock"])
        cur.execute(QUERIES.get("lock"))
        cur.execute(QUERIES["ok"])
        cur.execute(QUERIES[name])
    """
    result = found(source)
    assert [(code, line, column) for code, line, column, _ in result] == [("PIN019", 1, 46), ("PIN019", 1, 46)]
    assert "reaches `cur.execute()` on line 4" in result[0][3]


def test_a_dict_of_text_that_no_sink_receives_is_quiet() -> None:
    source = """\
    MESSAGES = {"lock": "SELECT pg_advisory_lock failed", "listen": "LISTEN jobs: timeout"}

    def f(log):
        log.info(MESSAGES["lock"])
        print(MESSAGES["listen"])
    """
    assert found(source) == []


def test_list_and_tuple_entries_under_a_constant_index() -> None:
    source = """\
    STATEMENTS = ("SELECT 1", "LISTEN jobs")

    def f(cur):
        cur.execute(STATEMENTS[1])
        cur.execute(STATEMENTS[-1])
        cur.execute(STATEMENTS[0])
    """
    assert places(source) == [("PIN014", 1, 28), ("PIN014", 1, 28)]


def test_each_statement_of_a_literal_loop() -> None:
    source = """\
    def f(cur):
        for statement in ("SELECT 1", "SET search_path TO app", "SELECT 2"):
            cur.execute(statement)
    """
    assert places(source) == [("PIN001", 2, 36)]


# --- conditional expressions and f-string fields ------------------------------------------------


PGLOCK = """\
def acquire(cursor, lock_id, nowait, xact):
    acquire_sql = (
        f'pg{"_try" if nowait else ""}_advisory'
        f'{"_xact" if xact else ""}_lock'
    )
    sql = f"SELECT {acquire_sql}({lock_id})"
    cursor.execute(sql)
"""


def test_session_and_transaction_alternatives_report_the_session_one_and_when() -> None:
    result = found(PGLOCK)
    assert [(code, line, column) for code, line, column, _ in result] == [("PIN019", 3, 11)]
    message = result[0][3]
    assert "when `xact` is false" in message
    assert "nowait" not in message  # both of its branches take a session lock
    assert "`sql` reaches `cursor.execute()` on line 7" in message


def test_only_transaction_level_alternatives_are_quiet() -> None:
    source = """\
    def acquire(cursor, nowait):
        cursor.execute(f"SELECT pg{'_try' if nowait else ''}_advisory_xact_lock(1)")
        cursor.execute("SELECT 1" if nowait else "SELECT 2")
    """
    assert found(source) == []


def test_a_conditional_between_two_statements_reports_the_branch_that_triggers() -> None:
    source = """\
    def f(cur, listen):
        cur.execute("LISTEN jobs" if listen else "SELECT 1")
    """
    result = found(source)
    assert [(code, line, column) for code, line, column, _ in result] == [("PIN014", 2, 18)]
    assert result[0][3].endswith("(when `listen` is true)")


def test_contradictory_branches_of_one_test_are_never_combined() -> None:
    source = 'def f(cur, a):\n    cur.execute(f"{"LIS" if a else "SELECT 1"}{"TEN x" if a else ""}")\n'
    assert sorted(texts(source)) == ["LISTEN x", "SELECT 1"]


def test_an_fstring_field_bound_to_a_string_is_filled_in() -> None:
    source = """\
    FUNCTION = "pg_advisory_lock"

    def f(cur, key):
        cur.execute(f"SELECT {FUNCTION}({key})")
    """
    assert places(source) == [("PIN019", 1, 13)]
    assert texts(source) == [f"SELECT pg_advisory_lock({HOLE})"]


# --- names built in steps --------------------------------------------------------------------------

PGLOCKS = """\
def advisory_lock(cursor, lock_id, wait=True, shared=False, tuple_format=False):
    function_name = 'pg_'
    if not wait:
        function_name += 'try_'
    function_name += 'advisory_lock'
    if shared:
        function_name += '_shared'
    if tuple_format:
        base = "SELECT %s(%d, %d) %s"
        params = (lock_id[0], lock_id[1], "")
    else:
        base = "SELECT %s(%d) %s"
        params = (lock_id, "")
    acquire_params = (function_name,) + params
    command = base % acquire_params
    cursor.execute(command)
"""


def test_augmented_assignments_across_branches_and_a_percent_tuple() -> None:
    """django-pglocks: the function name is built with ``+=`` in branches, then put into a
    ``%`` template through a tuple sum."""
    result = found(PGLOCKS)
    assert [(code, line, column) for code, line, column, _ in result] == [("PIN019", 2, 22)]
    assert "reaches `cursor.execute()` on line 16" in result[0][3]
    # 4 function names x 2 templates x 2 parameter tuples: path-insensitive, so a template
    # meets the other branch's tuple too; the findings of one argument are one per place
    assert len(texts(PGLOCKS)) == 16


def test_update_set_built_in_branches_is_quiet() -> None:
    source = """\
    def f(cur, a):
        sql = "UPDATE accounts "
        if a:
            sql += "SET balance = 0"
        else:
            sql += "SET closed = true"
        sql += " WHERE id = %s"
        cur.execute(sql, (1,))
    """
    assert found(source) == []


def test_the_assignment_that_reaches_the_call_counts() -> None:
    source = """\
    def f(cur):
        sql = "LISTEN jobs"
        cur.execute("SELECT 1")
        sql = "SELECT 2"
        cur.execute(sql)
    """
    assert found(source) == []


def test_a_name_rebound_in_a_loop_keeps_the_values_before_and_after() -> None:
    source = """\
    def f(cur, rows):
        sql = "SELECT 1"
        for row in rows:
            cur.execute(sql)
            sql = "LISTEN jobs"
    """
    assert places(source) == [("PIN014", 5, 16)]


def test_a_parameter_with_a_default_statement_keeps_the_default() -> None:
    source = """\
    def f(cur, sql=None):
        if sql is None:
            sql = "SET search_path TO app"
        cur.execute(sql)
    """
    assert places(source) == [("PIN001", 3, 16)]


def test_percent_and_format_fill_fields_with_known_strings_only() -> None:
    source = """\
    def f(cur, key, name):
        fn = "pg_advisory_lock"
        cur.execute("SELECT %s(%d)" % (fn, key))
        cur.execute("SELECT {}({})".format(fn, key))
        cur.execute("SELECT {f}(1)".format(f=fn))
        cur.execute("SELECT %s FROM t" % name)
    """
    assert places(source) == [("PIN019", 2, 11)] * 3
    assert texts(source)[-1] == f"SELECT {HOLE} FROM t"


# --- joins and bytes --------------------------------------------------------------------------------


def test_a_join_of_a_literal_list_and_of_a_list_built_with_append() -> None:
    source = """\
    def f(cur, tenant):
        cur.execute(" ".join(["SET", "search_path", "TO", "app"]))
        parts = ["BEGIN"]
        parts.append("LISTEN jobs")
        cur.execute(";\\n".join(parts))
    """
    assert places(source) == [("PIN001", 2, 28), ("PIN014", 4, 19)]


def test_a_join_of_column_names_is_quiet() -> None:
    source = """\
    COLUMNS = ["id", "settings", "listen_port", "temporary"]

    def f(cur):
        cur.execute("SELECT " + ", ".join(COLUMNS) + " FROM t")
        cur.execute(f"UPDATE t SET {', '.join(['a = 1', 'b = 2'])}")
    """
    assert found(source) == []


def test_bytes_through_a_variable() -> None:
    source = 'def f(conn):\n    stmt = b"DEALLOCATE ALL"\n    conn.pgconn.exec_(stmt)\n'
    assert places(source) == [("PIN008", 2, 14)]


# --- psycopg's sql module ------------------------------------------------------------------------


def test_psycopg_sql_and_composed() -> None:
    source = """\
    from psycopg import sql

    def f(cur, schema, channel, column):
        cur.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        cur.execute(sql.Composed([sql.SQL("LISTEN "), sql.Identifier(channel)]))
        cur.execute(sql.SQL("SELECT {} FROM t").format(sql.Identifier(column)))
        cur.execute(sql.SQL(", ").join([sql.SQL("SELECT 1"), sql.SQL("2")]))
    """
    assert places(source) == [("PIN001", 4, 26), ("PIN014", 5, 40)]


# --- bounds ---------------------------------------------------------------------------------------------


def _optional_parts(count: int) -> str:
    """A statement built with ``count`` optional parts: 2 ** count possible values."""
    parameters = ", ".join(f"a{index}" for index in range(count))
    branches = "".join(f"    if a{index}:\n        sql += ' x{index}'\n" for index in range(count))
    return f"def f(cur, {parameters}):\n    sql = 'LISTEN'\n{branches}    cur.execute(sql)\n"


def test_more_values_than_the_bound_are_dynamic() -> None:
    assert len(texts(_optional_parts(6))) == 2**6 == MAX_VALUES
    assert texts(_optional_parts(7)) == []  # 128 values: dynamic, nothing is guessed


@pytest.mark.parametrize(
    "source",
    [
        "def f(cur):\n    sql = sql + 'LISTEN x'\n    cur.execute(sql)\n",  # unbound on the way in
        "def f(cur, sql):\n    sql += ' LISTEN x'\n    cur.execute(sql)\n",  # a parameter extended
        "X = X + 'a'\ncur.execute(X)\n",
    ],
)
def test_cycles_and_unbound_names_never_hang(source: str) -> None:
    lint(source, "app.py")


# --- wrappers: a function that sends its parameter to a sink is a sink ---------------------------------

WRAPPERS = """\
import psycopg2


class Repository:
    def __init__(self, dsn):
        self.cur = psycopg2.connect(dsn).cursor()

    def execute_query(self, sql, params=None):
        self.cur.execute(sql, params)

    def __execute(self, statement):
        return self.execute_query(statement)

    def listen(self):
        self.execute_query("LISTEN jobs")

    def lock(self):
        self.__execute(statement="SELECT pg_advisory_lock(1)")

    def log(self, message):
        print(message)

    def quiet(self, other):
        self.log("LISTEN failed")
        self.execute_query("SELECT 1")
        other.execute_query("LISTEN elsewhere")  # not this class's method


def run(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)


def rebinds(conn, sql):
    sql = "SELECT 1"
    conn.execute(sql)


def uses(conn):
    run(conn, "SET search_path TO app")
    rebinds(conn, "SET search_path TO app")
"""


def test_wrappers_and_name_mangled_methods_are_sinks() -> None:
    result = found(WRAPPERS)
    assert [(code, line, column) for code, line, column, _ in result] == [
        ("PIN014", 15, 29),
        ("PIN019", 18, 42),
        ("PIN001", 40, 16),
    ]
    assert result[0][3].endswith("(reaches `self.cur.execute()` on line 9)")
    assert result[2][3].endswith("(reaches `cur.execute()` on line 31)")


def test_a_wrapper_call_carries_its_noqa_line() -> None:
    source = WRAPPERS.replace('self.execute_query("LISTEN jobs")', 'self.execute_query("LISTEN jobs")  # noqa: PIN014')
    assert [code for code, *_ in found(source)] == ["PIN019", "PIN001"]


# --- files read at run time ------------------------------------------------------------------------

READER = """\
import os
from importlib import resources
from pathlib import Path

SCHEMA = Path(__file__).parent / "sql" / "schema.sql"


def migrate(cur):
    cur.execute(SCHEMA.read_text())
    cur.execute(open(os.path.join(os.path.dirname(__file__), "sql", "schema.sql")).read())
    cur.execute((resources.files("app.sql") / "schema.sql").read_text())
    with open(SCHEMA) as handle:
        cur.execute(handle.read())
    cur.execute(Path(__file__).with_name("sql").joinpath("small.sql").read_text())
    cur.execute(open("missing.sql").read())
    print(open(SCHEMA).read())
    cur.execute(f"BEGIN; {(Path(__file__).parent / 'sql' / 'small.sql').read_text()}")  # not linted twice
"""


def test_a_schema_read_at_run_time_is_one_oversized_statement_and_not_linted_twice(tmp_path) -> None:
    from conftest import run_cli

    (tmp_path / "app" / "sql").mkdir(parents=True)
    table = "CREATE TABLE t{} (id bigint PRIMARY KEY, name text NOT NULL);\n"
    statements = "".join(table.format(index) for index in range(300))
    (tmp_path / "app" / "sql" / "schema.sql").write_text("SET search_path TO app;\n" + statements)
    (tmp_path / "app" / "sql" / "small.sql").write_text("LISTEN jobs;\n")
    (tmp_path / "app" / "db.py").write_text(READER)
    result = run_cli("check", "--no-cache", "--output-format", "concise", "--quiet", "app", cwd=tmp_path)
    lines = [line.split(" ", 2)[:2] for line in result.stdout.splitlines()]
    assert lines == [
        ["app/db.py:9:17:", "PIN020"],
        ["app/db.py:10:17:", "PIN020"],
        ["app/db.py:11:17:", "PIN020"],
        ["app/db.py:13:21:", "PIN020"],
        ["app/sql/schema.sql:1:1:", "PIN001"],  # the file's own statements: reported once, in the file
        ["app/sql/small.sql:1:1:", "PIN014"],
    ]
    assert "(`schema.sql` reaches `cur.execute()` on line 9)" in result.stdout


def test_each_call_sees_the_assignment_just_before_it_in_a_long_script() -> None:
    """A name's flow through its scope is followed once (not once per use: 3,000 uses of one
    name in a migration script read in one pass)."""
    source = "".join(f'sql = "SELECT {index}"\ncur.execute(sql)\n' for index in range(3000))
    assert texts(source) == [f"SELECT {index}" for index in range(3000)]


def test_the_plainest_alternative_names_the_finding() -> None:
    """Of the values that trigger at one place, the one with the fewest conditions true speaks:
    `pg_advisory_lock()`, not `pg_try_advisory_lock()`."""
    assert "`pg_advisory_lock()`" in found(PGLOCK)[0][3]
    assert "`pg_advisory_lock()`" in found(PGLOCKS)[0][3]


def test_class_attributes_read_through_self_cls_and_the_class() -> None:
    source = """\
    class Repo:
        LOCK = "SELECT pg_advisory_lock(1)"
        LISTEN = "LISTEN jobs"
        PING = "SELECT 1"

        def __init__(self, cur):
            self.cur = cur
            self.PING = "LISTEN overridden"

        def lock(self):
            self.cur.execute(self.LOCK)

        @classmethod
        def listen(cls, cur):
            cur.execute(cls.LISTEN)

        def ping(self):
            self.cur.execute(self.PING)  # set on the instance too: both values (tests/test_valueflow_returns.py)


    def outside(cur):
        cur.execute(Repo.LOCK)
        cur.execute(cur.LOCK)
    """
    result = found(source)
    assert [(code, line, column) for code, line, column, _ in result] == [
        ("PIN019", 2, 20),
        ("PIN019", 2, 20),
        ("PIN014", 3, 15),
        ("PIN014", 8, 22),
    ]
    assert "(`self.LOCK` reaches `self.cur.execute()` on line 11)" in result[0][3]


def test_dedent_and_strip_keep_the_text_as_written() -> None:
    source = '''\
    import textwrap

    def f(cur, name):
        cur.execute(textwrap.dedent("""
            SET search_path TO app
        """))
        cur.execute("  LISTEN jobs  ".strip())
        cur.execute(textwrap.dedent(name))
        cur.execute(name.strip())
    '''
    assert places(source) == [("PIN001", 5, 9), ("PIN014", 7, 20)]


def test_percent_fields_filled_from_a_dict() -> None:
    source = """\
    def f(cur, key, column):
        fn = "pg_advisory_lock"
        cur.execute("SELECT %(fn)s(%(key)s)" % {"fn": fn, "key": key})
        params = {"column": column}
        cur.execute("SELECT %(column)s FROM t" % params)
    """
    assert places(source) == [("PIN019", 2, 11)]
    assert texts(source)[1] == f"SELECT {HOLE} FROM t"


def test_a_long_sum_is_read_whole_and_a_too_deep_one_never_fails() -> None:
    def source(terms: int) -> str:
        return 'cur.execute("SET a = 1"' + ' + ", x"' * terms + ")\n"

    assert texts(source(40)) == ["SET a = 1" + ", x" * 40]
    assert lint(source(2000), "app.py") == []  # deeper than Python's stack: not read, no error
