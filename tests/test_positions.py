"""Every character of every SQL fragment maps back to the place in the file it came from, on real
code and on awkward literals (prefixes, escapes, implicit concatenation, f-string holes, sums)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from conftest import FIXTURES
from pinlint.extract.python import extract_python
from pinlint.model import HOLE, Fragment
from pinlint.pymodel import parse_python
from pinlint.source import LineIndex

AWKWARD = '''\
from django.db import migrations
from sqlalchemy import text

def literals(cur):
    cur.execute("SELECT 'é' FROM t WHERE x = 'ü'; SET search_path = a")  # non-ASCII before the trigger
    cur.execute("SET a = 1"   # a comment between the parts
                'SET b = 2'
                r"SET c = '\\d'")
    cur.execute("""
        LISTEN channel;
    """)
    cur.execute('SELECT \\'quoted\\' , "x"\\n  ; LISTEN y')
    cur.execute("SELECT 1" \\
                " ; LISTEN z")
    cur.execute(sql="SET sql_kw = 1")
    cur.execute(u"SET unicode_prefix = 1")
    cur.execute("")
    conn.execute(text("SET through_text = 1"))
    get().execute("SET chained = 1")
    a.b.c.d.execute("SET deep = 1")

class Migration(migrations.Migration):
    operations = [
        migrations.RunSQL(["SET in_list = 1", ("SET in_pair = %s", [1])], reverse_sql="RESET in_list"),
    ]

def mixed(cur, name):
    cur.execute("SET plain = 1")
    cur.execute(f"SET {name} = 1")
    cur.execute(b"SET bytes = 1")

def fstrings(cur, name, t, d, width):
    cur.execute(f"SET {name} = 1")
    cur.execute(f"SET search_path = {d['schema']!r}; LISTEN {t}")
    cur.execute(f"SELECT {{literal}} , {t:>{width}} ; SET x = {1 if t != 2 else 3}")
    cur.execute(rf"SET a = '\\d{t}'" f' ; SET b = {(lambda v: v)(t)}')
    cur.execute("SET plain = 1; " f"SET é = {t}"
                F"  ; LISTEN {name}")
    cur.execute(f"""
        SET search_path = {t};
        LISTEN {d["c"]}
    """)
    cur.execute(f"SET z = {t:%Y-%m-%d}; LISTEN q")
    cur.execute(f"SELECT '{t}\\n' ; SET n = 1")

async def nested(conn):
    def inner():
        return conn.fetch("LISTEN inner_channel")
    return inner
'''


def _fragments(source: str) -> list[Fragment]:
    return extract_python(parse_python(source), "m.py", call_names={"connect"}).fragments


def _misplaced(source: str, fragment: Fragment) -> list[tuple[int, str, str]]:
    """The characters of ``fragment`` whose mapped place in ``source`` does not hold them: a plain
    character maps to itself, an escape to its backslash, a hole to wherever its part begins."""
    index = LineIndex(source)
    wrong = []
    for offset, char in enumerate(fragment.text):
        line, column = fragment.source_map.position(offset)
        there = index.line_text(line)[column - 1 : column]
        if char != HOLE and there != char and there != "\\" and not (char in "\r\n" and there in "\r\n"):
            wrong.append((offset, char, there))
    return wrong


_SINK_CALL_RE = re.compile(r"\.(execute|executemany|cursor|fetch|prepare|raw)\(")


def _corpus() -> list[tuple[str, str]]:
    """The example projects, and every module of the standard library with a sink-like call."""
    stdlib = Path(sqlite3.__file__).parent.parent
    found = [("awkward", AWKWARD)]
    for path in [*sorted(FIXTURES.rglob("*.py")), *sorted(stdlib.rglob("*.py"))]:
        if "site-packages" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if path.is_relative_to(FIXTURES) or _SINK_CALL_RE.search(text):
            found.append((str(path.relative_to(path.parents[1])), text))
    return found


@pytest.mark.parametrize(("name", "source"), _corpus(), ids=[name for name, _ in _corpus()])
def test_every_character_maps_back_to_its_place(name: str, source: str) -> None:
    """On the example projects and every standard-library module with a sink-like call."""
    for fragment in _fragments(source):
        assert _misplaced(source, fragment) == [], fragment.text


def test_every_kind_of_literal_is_read() -> None:
    texts = [fragment.text for fragment in _fragments(AWKWARD)]
    for expected in ("SET deep = 1", "SET bytes = 1", "SET in_pair = %s", "RESET in_list", "SET unicode_prefix = 1"):
        assert expected in texts
    assert "SET a = 1SET b = 2SET c = '\\d'" in texts  # implicit concatenation, a raw part
    assert "SELECT {literal} , \ue000 ; SET x = \ue000" in texts  # f-string: {{ }} kept, fields are holes
    assert len(texts) == 26


@pytest.mark.parametrize(
    "source",
    [
        "import psycopg2\nDSN = \"host=db options='-c search_path=app'\"\n"
        "\ndef f():\n    return psycopg2.connect(DSN)\n",
        'import psycopg2\n\ndef f(o="-c search_path=app"):\n    return psycopg2.connect(host="db", options=o)\n',
        'import psycopg2\nKW = {"options": "-c search_path=app"}\nconn = psycopg2.connect(**KW)\n',
        'import psycopg2\nconn = psycopg2.connect(host="db", options="-c search_path=app")\n',
    ],
)
def test_startup_options_are_still_read_however_they_are_written(source: str) -> None:
    from conftest import lint

    # the connect-option rule reads every connect call of a file that mentions an option keyword
    found = [f.code for f in lint(source, "app.py")]
    expected = [] if "**KW" in source or "o=" in source else ["PIN021"]
    assert found == expected


def test_a_variable_named_like_an_option_is_not_a_startup_option() -> None:
    from conftest import lint

    source = 'def f(sock, cur):\n    options = [1]\n    sock.connect(("h", 1))\n    cur.execute("LISTEN x")\n'
    assert [f.code for f in lint(source, "app.py")] == ["PIN014"]


DYNAMIC = """\
def built(cur, table, tenant):
    cur.execute("SET search_path = " + table)
    cur.execute("SELECT * FROM t WHERE a = %s" % tenant)
    cur.execute("LISTEN {}".format(table))
    sql = "SET app.tenant = "
    sql += tenant
    cur.execute(sql)
    cur.execute(("SET wrapped = " + table))
    query = (
        "SELECT 1"
        + table
    )
    cur.execute(query)
    cur.execute("SET a = 1; " + (table))
"""


def test_sums_formats_and_parentheses() -> None:
    fragments = _fragments(DYNAMIC)
    assert [_misplaced(DYNAMIC, fragment) for fragment in fragments] == [[]] * 7
    texts = [fragment.text for fragment in fragments]
    assert texts[:4] == [
        "SET search_path = \ue000",
        "SELECT * FROM t WHERE a = \ue000",
        "LISTEN \ue000",
        "SET app.tenant = \ue000",
    ]
    assert fragments[-1].source_map.position(len("SET a = 1; ")) == (14, 34)  # the hole: `table` in `(table)`
