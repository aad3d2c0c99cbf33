"""The ast fast path gives exactly the fragments libcst gives: same text, same position for
every character, same sink, lines and function, on real code and on awkward literals."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

import pinlint.extract.python as extraction
from conftest import FIXTURES
from pinlint.extract.python import extract_python
from pinlint.model import Fragment

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


def _key(fragment: Fragment) -> tuple:
    positions = [fragment.source_map.position(index) for index in range(len(fragment.text) + 1)]
    return (
        positions[0],
        fragment.text,
        positions,
        fragment.sink,
        fragment.sink_line,
        fragment.noqa_lines,
        fragment.function,
        fragment.via_name,
        fragment.dynamic,
        fragment.kind,
    )


def _both(source: str) -> tuple[list[tuple], list[tuple]]:
    fast = extract_python(source, "m.py", call_names={"connect"})
    slow = extract_python(source, "m.py", call_names={"connect"}, fast_path=False)
    return sorted(map(_key, fast.fragments)), sorted(map(_key, slow.fragments))


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
def test_fast_path_gives_the_libcst_fragments(name: str, source: str) -> None:
    fast, slow = _both(source)
    assert fast == slow


def test_fast_path_handles_the_plain_literals_and_leaves_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    original = extraction.cst.parse_module

    def spy(text: str, *args: object, **kwargs: object):
        seen.append(text)
        return original(text, *args, **kwargs)

    monkeypatch.setattr(extraction.cst, "parse_module", spy)
    result = extract_python(AWKWARD, "m.py")
    assert len(seen) == 1
    assert 'cur.execute(b"SET bytes = 1")' in seen[0]  # the bytes literal's unit goes to libcst
    assert "def literals" not in seen[0] and "def fstrings" not in seen[0]  # plain literals, f-strings: ast
    assert "SET deep = 1" in [fragment.text for fragment in result.fragments]
    seen.clear()
    extract_python('def f(cur):\n    cur.execute("LISTEN x")\n', "m.py")
    assert seen == []  # nothing needed libcst: it is not even called


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


def test_a_variable_named_like_an_option_does_not_send_connect_calls_to_libcst(monkeypatch) -> None:
    from conftest import lint

    seen: list[str] = []
    original = extraction.cst.parse_module
    monkeypatch.setattr(extraction.cst, "parse_module", lambda text, *a, **k: seen.append(text) or original(text))
    source = 'def f(sock, cur):\n    options = [1]\n    sock.connect(("h", 1))\n    cur.execute("LISTEN x")\n'
    assert [f.code for f in lint(source, "app.py")] == ["PIN014"]
    assert seen == []


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


def test_sums_formats_and_parentheses_match_libcst() -> None:
    fast, slow = _both(DYNAMIC)
    assert fast == slow
    assert len(fast) == 7
