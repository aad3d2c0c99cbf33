"""Module facts read only around the calls of interest equal those of a full walk of the tree."""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

import pytest

from conftest import CATALOG, FIXTURES
from pinlint.config import Settings
from pinlint.engine import Linter
from pinlint.extract.calls import module_calls

LINTER = Linter(CATALOG, Settings())
FUNCTIONS, METHODS, _ = LINTER.module_interest

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
    tree = ast.parse(source)
    narrow = module_calls(tree, source, functions=FUNCTIONS, methods=METHODS)
    full = module_calls(tree, source)
    wanted = [c for c in full.calls if c.name in FUNCTIONS or (c.method and c.method in METHODS)]
    assert _facts(narrow.calls) == _facts(wanted)
    if name == "tricky":
        assert len(wanted) >= 8 and {c.in_function for c in wanted} == {True, False}
    assert narrow.imports == full.imports
