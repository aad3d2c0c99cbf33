"""Module facts read only around the calls of interest equal those of a full walk of the tree."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import CATALOG, FIXTURES
from pinlint.config import Settings
from pinlint.engine import Linter
from pinlint.extract.calls import module_calls
from pinlint.pymodel import parse_python

LINTER = Linter(CATALOG, Settings())
FUNCTIONS, METHODS = LINTER.module_interest.functions, LINTER.module_interest.methods

TRICKY = """
import psycopg as pg
from asyncpg import create_pool as make_pool

@decorate(pg.connect("dbname=x"))
def handler(event, context, conn=pg.connect(prepare_threshold=None)):
    pool = make_pool(dsn, min_size=1)
    fn = lambda: pg.connect(
        "dbname=y")
    with pg.connect() as c, c.cursor(name="n") as cur:
        match event:
            case {"x": 1} if c.cursor(withhold=True):
                pass
    try:
        pass
    except pg.connect().Error:
        pass

class Repo:
    conn = pg.connect(autocommit=True)
"""


def _facts(calls) -> list[tuple]:
    return [
        (c.name, c.method, c.line, c.column, c.end_column, c.in_function, c.positional, c.keywords, c.dict_keywords)
        for c in calls
    ]


def _corpus() -> list[tuple[str, str]]:
    stdlib = Path(sqlite3.__file__).parent.parent
    paths = [*sorted(FIXTURES.rglob("*.py")), *sorted((stdlib / "test" / "test_sqlite3").glob("*.py"))]
    paths += [stdlib / "asyncio" / "base_events.py", stdlib / "smtplib.py", stdlib / "ssl.py"]
    return [("tricky", TRICKY)] + [(path.name, path.read_text(encoding="utf-8")) for path in paths]


@pytest.mark.parametrize(("name", "source"), _corpus(), ids=[name for name, _ in _corpus()])
def test_reading_around_calls_equals_the_full_walk(name: str, source: str) -> None:
    model = parse_python(source)
    narrow = module_calls(model, functions=FUNCTIONS, methods=METHODS)
    full = module_calls(model)
    wanted = [c for c in full.calls if c.name in FUNCTIONS or (c.method and c.method in METHODS)]
    assert _facts(narrow.calls) == _facts(wanted)
    if name == "tricky":
        assert len(wanted) >= 8 and {c.in_function for c in wanted} == {True, False}
    assert narrow.imports == full.imports


# --- what made the receiver of a method call -------------------------------------------------

RECEIVERS = """
import psycopg2 as pg
from psycopg2.pool import ThreadedConnectionPool
import psycopg2.extensions

shared = pg.connect(DSN)
pool = ThreadedConnectionPool(1, 1, DSN)

def uses_module_connection():
    shared.reset()                      # line 10

def own_binding_wins():
    shared = Timer()
    shared.reset()                      # line 14

def from_pool():
    conn = pool.getconn()
    def inner():
        conn.reset()                    # line 19: the enclosing function's binding
    inner()

class Repo:
    def __init__(self):
        self.conn = pg.connect(DSN)

    def recover(self):
        self.conn.reset()               # line 27

async def annotated(conn: psycopg2.extensions.connection, other):
    conn.reset()                        # line 30
    other.reset()                       # line 31: unknown

def with_block():
    with pg.connect(DSN) as conn:
        conn.reset()                    # line 35
    pg.connect(DSN).reset()             # line 36
"""


def test_receiver_origins_follow_bindings_through_scopes() -> None:
    calls = module_calls(
        parse_python(RECEIVERS),
        functions=frozenset(),
        methods=frozenset({"reset"}),
        traced_methods={"reset": frozenset()},
    )
    origins = {call.line: set(call.receiver_origins) for call in calls.calls}
    assert origins == {
        10: {"psycopg2.connect"},
        14: {"Timer"},
        19: {".getconn"},
        27: {"psycopg2.connect"},
        30: {"psycopg2.extensions.connection"},
        31: set(),
        35: {"psycopg2.connect"},
        36: {"psycopg2.connect"},
    }


def test_reset_is_reported_only_on_psycopg2_connections() -> None:
    findings = Linter(CATALOG, Settings(target="rds-proxy")).lint_source(RECEIVERS, "repo.py").findings
    assert sorted(f.line for f in findings if f.code == "PIN038") == [10, 19, 27, 30, 35, 36]
