"""Wrappers across modules: a function or method of one module of the project that passes its
parameter on to a sink (``def execute_query(sql): cur.execute(sql)``) is a sink for the modules
that import it. The finding sits on the SQL in the caller and names the sink, its file and line,
and the wrappers in between; the caller's cached result follows an edit of the helper."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import lint, run_cli, write_files
from pinlint.index.summary import WrapperSummary, from_json, summarise
from pinlint.pymodel import parse_python

HOUR = 3600 * 10**9

DB = """\
import psycopg2

conn = psycopg2.connect("")


def execute_query(sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)


def log_query(sql):
    print(sql)


def rebinds(sql):
    sql = "SELECT 1"
    conn.cursor().execute(sql)


class Database:
    def __init__(self):
        self.cur = conn.cursor()

    def run(self, stmt):
        self.cur.execute(stmt)

    def quiet(self, stmt):
        self.cur.execute("SELECT 1", (stmt,))


shared = Database()
"""

SERVICE = """\
from common.db import execute_query


def run_sql(statement):
    execute_query(statement)
"""

CALLER = """\
from common.db import execute_query, log_query, rebinds, Database, shared
from common import db
from common.service import run_sql

LOCK = "SELECT pg_advisory_lock(1)"


def work(other):
    execute_query("SET search_path TO app")
    d = Database()
    d.run("SELECT pg_advisory_lock(2)")
    db.execute_query("LISTEN jobs")
    Database().run(LOCK)
    shared.run("SET TIME ZONE 'UTC'")
    run_sql(statement="LISTEN events")
"""

DECOYS = """\
from common.db import execute_query, log_query, rebinds, Database


def execute_local(sql):
    print(sql)


def work(other):
    log_query("SET search_path TO logged")  # only logged
    rebinds("SET search_path TO rebound")  # the parameter is replaced before it is sent
    Database().quiet("LISTEN not_sent")  # a parameter, not the SQL
    execute_query("SELECT 1", ("SET search_path TO x",))  # the SQL is the first argument
    execute_local("LISTEN local")  # a local function of the same shape that only prints
    other.run("LISTEN unknown")  # a receiver whose class the code does not show
    Database.run(other, "LISTEN through_the_class")  # the instance comes first: not the SQL slot
    Database.run("LISTEN self")  # (an error at run time, not SQL sent)
    execute_query("SELECT pg_advisory_xact_lock(1)")  # safe SQL


def shadowed(execute_query):
    execute_query("SET search_path TO shadowed")  # a parameter, not the import
"""


PYPROJECT = "[project]\nname = 'app'\ndependencies = ['psycopg2-binary']\n"


def _project(root: Path, caller: str, *, marker: tuple[str, str] = ("pyproject.toml", PYPROJECT)) -> Path:
    return write_files(
        root,
        {
            marker[0]: marker[1],
            "common/__init__.py": "",
            "common/db.py": DB,
            "common/service.py": SERVICE,
            "app/__init__.py": "",
            "app/jobs.py": caller,
        },
    )


def _findings(root: Path, *paths: str, cache: bool = False) -> list[str]:
    options = () if cache else ("--no-cache",)
    result = run_cli("check", *options, "--output-format", "concise", "-q", *(paths or (".",)), cwd=root)
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    return result.stdout.splitlines()


def test_sql_sent_through_a_wrapper_of_another_module_is_reported_at_the_caller(tmp_path: Path) -> None:
    _project(tmp_path, CALLER)
    assert _findings(tmp_path) == [
        "app/jobs.py:5:16: PIN019 `pg_advisory_lock()` takes or releases a session-level advisory lock"
        " (`LOCK` reaches `self.cur.execute()` in common/db.py:25 through `Database.run()`)",
        "app/jobs.py:9:20: PIN001 Session-level `SET search_path` outlives the transaction"
        " (reaches `cur.execute()` in common/db.py:8 through `execute_query()`)",
        "app/jobs.py:11:19: PIN019 `pg_advisory_lock()` takes or releases a session-level advisory lock"
        " (reaches `self.cur.execute()` in common/db.py:25 through `Database.run()`)",
        "app/jobs.py:12:23: PIN014 `LISTEN` changes which notifications one database session receives"
        " (reaches `cur.execute()` in common/db.py:8 through `execute_query()`)",
        "app/jobs.py:14:17: PIN002 Session-level `SET` of a parameter PgBouncer tracks"
        " (reaches `self.cur.execute()` in common/db.py:25 through `Database.run()`)",
        "app/jobs.py:15:24: PIN014 `LISTEN` changes which notifications one database session receives"
        " (reaches `cur.execute()` in common/db.py:8 through `run_sql()` -> `execute_query()`)",
    ]


def test_look_alikes_of_cross_module_wrappers_stay_quiet(tmp_path: Path) -> None:
    _project(tmp_path, DECOYS)
    assert _findings(tmp_path) == []


def test_a_wrapper_of_this_module_that_calls_an_imported_wrapper_is_a_sink(tmp_path: Path) -> None:
    caller = (
        "from common.db import execute_query\n\n\n"
        "def send(sql):\n    execute_query(sql)\n\n\n"
        "def work():\n    send('LISTEN jobs')\n"
    )
    _project(tmp_path, caller)
    (finding,) = _findings(tmp_path)
    assert finding.startswith("app/jobs.py:9:11: PIN014 `LISTEN`")
    assert finding.endswith("(reaches `cur.execute()` in common/db.py:8 through `execute_query()`)")


def test_the_wrappers_inside_the_helper_module_are_named_too(tmp_path: Path) -> None:
    helper = DB + "\n\ndef run_sql(statement):\n    execute_query(statement)\n"
    _project(tmp_path, "from common.db import run_sql\n\nrun_sql('LISTEN jobs')\n")
    write_files(tmp_path, {"common/db.py": helper})
    (finding,) = _findings(tmp_path)
    assert finding.endswith("(reaches `cur.execute()` in common/db.py:8 through `run_sql()` -> `execute_query()`)")


def test_a_relative_import_and_a_package_re_export_reach_the_wrapper(tmp_path: Path) -> None:
    caller = "from . import db\nfrom common import execute_query\n\n\n"
    caller += "db.execute_query('LISTEN a')\nexecute_query('LISTEN b')\n"
    write_files(tmp_path, {"pyproject.toml": PYPROJECT, "common/__init__.py": "from .db import execute_query\n"})
    write_files(tmp_path, {"common/db.py": DB, "common/jobs.py": caller})
    assert [line.split(" ", 1)[0] for line in _findings(tmp_path)] == ["common/jobs.py:5:19:", "common/jobs.py:6:16:"]


def test_a_handler_module_reads_wrappers_in_any_project(tmp_path: Path) -> None:
    """A module that may define a handler is parsed anyway: no dependency file is needed there; a
    plain module of such a project that calls no sink is not parsed for it (see the engine's
    ``_may_call_project_wrappers``)."""
    handler = CALLER.replace("def work(other):", "def lambda_handler(event, context):")
    _project(tmp_path, handler, marker=("pyproject.toml", "[project]\nname = 'x'\n"))
    write_files(tmp_path, {"app/plain.py": CALLER})
    found = _findings(tmp_path)
    assert len(found) == 6 and all(line.startswith("app/jobs.py:") for line in found)


def _age(root: Path) -> None:
    """Every file an hour old, so that the cache records their size and mtime (git's racy rule)."""
    for path in root.rglob("*"):
        if path.is_file():
            old = path.stat().st_mtime_ns - HOUR
            os.utime(path, ns=(old, old))


@pytest.mark.parametrize("paths", [(), ("app/jobs.py",)])
def test_a_warm_run_sees_an_edit_of_the_helper_module(tmp_path: Path, paths: tuple[str, ...]) -> None:
    caller = "from common.db import execute_query\n\n\ndef work():\n    execute_query('LISTEN jobs')\n"
    _project(tmp_path, caller)
    _age(tmp_path)
    assert len(_findings(tmp_path, *paths, cache=True)) == 1
    helper = tmp_path / "common" / "db.py"
    helper.write_text(DB.replace("cur.execute(sql, params)", "print(sql, params)"), "utf-8")
    assert _findings(tmp_path, *paths, cache=True) == []  # the caller's cached result is not used
    helper.write_text(DB, "utf-8")
    assert len(_findings(tmp_path, *paths, cache=True)) == 1


def test_the_summary_records_wrappers_and_what_they_hand_on() -> None:
    summary = summarise(parse_python(DB + SERVICE.replace("from common.db import execute_query\n", "")))
    assert summary.wrappers["execute_query"] == (WrapperSummary("sql", 0, False, 8, "cur.execute"),)
    assert summary.wrappers["Database.run"] == (WrapperSummary("stmt", 0, True, 25, "self.cur.execute"),)
    assert "log_query" not in summary.wrappers and "rebinds" not in summary.wrappers
    assert "Database.quiet" not in summary.wrappers
    # run_sql sends through execute_query of the same module: a sink here, and a call handed on
    assert summary.wrappers["run_sql"][0] == WrapperSummary(
        "statement", 0, False, 8, "cur.execute", inner=("execute_query",)
    )
    assert summary.wrappers["run_sql"][1] == WrapperSummary(
        "statement", 0, False, 35, forward="execute_query", slot="0"
    )
    assert from_json(summary.to_json()) == summary
    remote = summarise(parse_python(SERVICE))
    assert remote.wrappers == {
        "run_sql": (WrapperSummary("statement", 0, False, 5, forward="@common.db.execute_query", slot="0"),)
    }


# --- containers across modules: nested entries, names and f-strings as entries ------------------------

QUERIES = """\
LOCK_SQL = "SELECT pg_advisory_lock(1)"
XACT_SQL = "SELECT pg_advisory_xact_lock(1)"
FN = "pg_advisory_lock"
TWICE = "SELECT 1"
TWICE = "SELECT pg_advisory_lock(9)"

QUERIES = {
    "pg": {"lock": LOCK_SQL, "xact": XACT_SQL, "steps": ["SELECT 1", "LISTEN jobs"]},
    "named": LOCK_SQL,
    "formatted": f"SELECT {FN}(2)",
    "opaque": f"SELECT {FN!r}(3)",
    "twice": TWICE,
}
"""


@pytest.mark.parametrize(
    ("sent", "named"),
    [
        ('QUERIES["pg"]["lock"]', "['pg']['lock']"),  # a nested dict, its entry a name bound to a constant
        ('QUERIES["pg"].get("lock")', "['pg']['lock']"),
        ('QUERIES["pg"]["steps"][1]', "['pg']['steps'][1]"),  # a list in a dict
        ('QUERIES["named"]', "['named']"),
        ('QUERIES["formatted"]', "['formatted']"),  # an f-string whose field is a module constant
        ('QUERIES["pg"]["xact"]', ""),
        ('QUERIES["pg"]["steps"][0]', ""),
        ('QUERIES["pg"]["missing"]', ""),
        ('QUERIES["opaque"]', ""),  # a conversion: not read
        ('QUERIES["twice"]', ""),  # a name bound twice: not read as either
        ('QUERIES[key]["lock"]', ""),  # a key the code does not show
    ],
)
def test_nested_entries_and_names_of_an_imported_dict_are_read(tmp_path: Path, sent: str, named: str) -> None:
    source = f"from app.queries import QUERIES\n\n\ndef work(cur, key):\n    cur.execute({sent})\n"
    write_files(tmp_path, {"main.py": source, "app/__init__.py": "", "app/queries.py": QUERIES})
    found = _findings(tmp_path, "main.py")
    assert bool(found) is bool(named), found
    if named:
        (finding,) = found
        assert finding.startswith("main.py:5:17: PIN")  # every character placed where it is sent
        assert finding.endswith(f"(`app.queries.QUERIES{named}` reaches `cur.execute()` on line 5)")


def test_nested_entries_of_a_dict_in_the_module_are_read() -> None:
    source = (
        "import psycopg2\n\nLOCK = 'SELECT pg_advisory_lock(1)'\n"
        "QUERIES = {'pg': {'lock': LOCK, 'xact': 'SELECT pg_advisory_xact_lock(1)'}}\n\n\n"
        "def work(cur):\n    cur.execute(QUERIES['pg']['lock'])\n    cur.execute(QUERIES['pg']['xact'])\n"
    )
    summary = summarise(parse_python(source))
    assert summary.entries["QUERIES"] == {
        "('pg', 'lock')": "SELECT pg_advisory_lock(1)",
        "('pg', 'xact')": "SELECT pg_advisory_xact_lock(1)",
    }
    found = lint(source, "app.py")
    assert [(finding.code, finding.line, finding.column) for finding in found] == [("PIN019", 3, 16)]


def test_a_module_read_only_for_wrappers_keeps_its_syntax_error_to_itself(tmp_path: Path) -> None:
    """In a directory walk, a file with no sink call is not parsed, so its syntax error is left to
    other linters; one read only for wrappers says nothing either, unless it is named."""
    _project(tmp_path, "from common.db import execute_query\n\nexecute_query('LISTEN jobs'\n")
    quiet = run_cli("check", "--no-cache", "-q", ".", cwd=tmp_path)
    assert quiet.stderr == "" and quiet.returncode == 0
    named = run_cli("check", "--no-cache", "-q", "app/jobs.py", cwd=tmp_path)
    assert "app/jobs.py" in named.stderr


def test_an_absolute_module_import_and_a_cycle_of_forwards(tmp_path: Path) -> None:
    """``import common.db`` then ``common.db.execute_query(...)`` is read; two modules that hand a
    parameter to each other and never to a sink send nothing, and the run ends."""
    caller = (
        "import common.db\nfrom common.ping import ping\n\n\n"
        "def work():\n    common.db.execute_query('LISTEN a')\n    ping('LISTEN b')\n"
    )
    _project(tmp_path, caller)
    write_files(
        tmp_path,
        {
            "common/ping.py": "from common.pong import pong\n\n\ndef ping(sql):\n    pong(sql)\n",
            "common/pong.py": "from common.ping import ping\n\n\ndef pong(sql):\n    ping(sql)\n",
        },
    )
    assert [line.split(" ", 1)[0] for line in _findings(tmp_path)] == ["app/jobs.py:6:30:"]


def test_an_imported_constant_sent_through_an_imported_wrapper(tmp_path: Path) -> None:
    queries = 'LOCK = "SELECT pg_advisory_lock(1)"\nXACT = "SELECT pg_advisory_xact_lock(1)"\n'
    queries += 'QUERIES = {"listen": "LISTEN jobs"}\n'
    handler = (
        "from common.db import execute_query\nfrom common.queries import LOCK, XACT, QUERIES\n\n\n"
        "def lambda_handler(event, context):\n    execute_query(LOCK)\n    execute_query(XACT)\n"
        "    execute_query(QUERIES['listen'])\n"
    )
    _project(tmp_path, handler)
    write_files(tmp_path, {"common/queries.py": queries})
    found = _findings(tmp_path)
    assert [line.split(" ", 2)[:2] for line in found] == [
        ["app/jobs.py:6:19:", "PIN019"],
        ["app/jobs.py:8:19:", "PIN014"],
    ]
    assert found[0].endswith(
        "(`common.queries.LOCK` reaches `cur.execute()` in common/db.py:8 through `execute_query()`)"
    )
    place = "(`common.queries.QUERIES['listen']` reaches `cur.execute()` in common/db.py:8 through `execute_query()`)"
    assert found[1].endswith(place)
