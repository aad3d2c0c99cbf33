"""Narrowing before libcst changes nothing but speed: same fragments, same positions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import pinlint.extract.narrow as narrow_module
import pinlint.extract.python as extraction
from conftest import FIXTURES
from pinlint.extract.narrow import Narrowed, relevant_source
from pinlint.extract.python import extract_python

SYNTHETIC = '''
"""Module docstring mentioning cur.execute("LISTEN x") in prose."""
import logging
from sqlalchemy import text as sql_text
try:
    from psycopg2 import connect as pg_connect
except ImportError:  # pragma: no cover
    pg_connect = None

LOCK = "SELECT pg_advisory_lock(1)"
HELPERS = {"a": 1}
x = "a"; y = (
    2)


def unrelated(a, b):
    return a + b


@decorator(with_args=True)
def also_unrelated():
    logging.info("SET search_path TO x")


class Repository(Base):
    """Data access."""

    table = "orders"
    QUERY = "LISTEN jobs"

    def helper(self):
        return 1

    @staticmethod
    def lock(cur):
        cur.execute(LOCK)

    def listen(self, cur):
        cur.execute(self.QUERY)
        cur.execute(
            """
            SET search_path TO tenant
            """
        )


def run(conn):
    conn.execute(sql_text("SELECT currval('s')"))
    return pg_connect(options="-c statement_timeout=5")
'''


def _fragments(source: str, narrow: bool, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[int, int]]]:
    with monkeypatch.context() as patch:
        if not narrow:
            patch.setattr(narrow_module, "plan_units", lambda text, names, tree=None: None)
        result = extract_python(source, "m.py", call_names={"connect"})
    fragments = [(f.text, f.source_map.position(0)) for f in result.fragments]
    calls = [(c.name, c.line) for c in result.calls]
    # the order of fragments is not part of the contract (findings are sorted by position)
    return sorted(fragments) + [(name, (line, 0)) for name, line in calls]


def _sources() -> list[tuple[str, str]]:
    files = sorted((FIXTURES / "serverless-app").rglob("*.py"))
    stdlib = Path(sqlite3.__file__).parent / "dump.py"
    found = [(path.name, path.read_text(encoding="utf-8")) for path in [*files, stdlib]]
    return [("synthetic", SYNTHETIC), *found]


@pytest.mark.parametrize(("name", "source"), _sources(), ids=[name for name, _ in _sources()])
def test_same_fragments_with_and_without_narrowing(name: str, source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _fragments(source, True, monkeypatch) == _fragments(source, False, monkeypatch)


def test_narrowing_keeps_whole_lines_and_maps_them_back() -> None:
    names = {"execute", "text", "connect"}
    narrowed = relevant_source(SYNTHETIC, names)
    assert narrowed.line_numbers is not None
    original_lines = SYNTHETIC.split("\n")
    kept = narrowed.text.split("\n")[:-1]
    assert len(kept) == len(narrowed.line_numbers) < len(original_lines)
    for index, line in enumerate(kept, start=1):
        assert original_lines[narrowed.original_line(index) - 1] == line
    text = narrowed.text
    assert "def unrelated" not in text and "def helper" not in text
    assert "also_unrelated" not in text
    assert "LOCK = " in text and "QUERY = " in text and "from sqlalchemy import text as sql_text" in text
    assert 'x = "a"; y = (' in text and "    2)" in text  # shares a line with a kept assignment
    assert "class Repository(Base):" in text and "def lock(cur):" in text


def test_unparseable_source_is_left_alone() -> None:
    broken = "def broken(:\n    cur.execute('LISTEN x')\n"
    assert relevant_source(broken, {"execute"}) == Narrowed(broken)


def test_too_much_relevant_code_is_skipped_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extraction, "MAX_RELEVANT_CHARS", 2000)
    generated = "".join(f"def f{i}(cur, x):\n    cur.execute(b'SELECT {i}')\n" for i in range(200))  # bytes: libcst
    with pytest.raises(extraction.ExtractionError, match="MB of code around database calls"):
        extract_python(generated, "generated.py")
    # plain literals and f-strings never reach libcst, so its size limit does not apply to them
    plain = "".join(
        f"def f{i}(cur, x):\n    cur.execute('SELECT {i}')\n    cur.execute(f'SELECT {{x}}')\n" for i in range(200)
    )
    assert len(extract_python(plain, "generated.py").fragments) == 400
    unrelated = "".join(f"def f{i}(x):\n    return {i}\n" for i in range(200)) + "cur.execute('LISTEN x')\n"
    assert [f.text for f in extract_python(unrelated, "big.py").fragments] == ["LISTEN x"]
