"""Extraction from Python: only SQL that reaches a sink, at the trigger's own line and column."""

from __future__ import annotations

import pytest

from conftest import codes, lint, where
from pinlint.extract.python import extract_python
from pinlint.pymodel import parse_python

# --- which strings are SQL ----------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        'cur.execute("LISTEN jobs")',
        'cur.executemany("LISTEN jobs", rows)',
        'cur.mogrify("LISTEN jobs")',
        'await conn.execute("LISTEN jobs")',
        'await conn.fetch("LISTEN jobs")',
        'await conn.fetchrow("LISTEN jobs")',
        'await conn.fetchval("LISTEN jobs")',
        'await conn.prepare("LISTEN jobs")',
        'conn.cursor("LISTEN jobs")',
        'conn.exec_driver_sql("LISTEN jobs")',
        'cur.execute(sql="LISTEN jobs")',
        'cur.execute(query="LISTEN jobs")',
        'cur.execute(statement="LISTEN jobs")',
        'from sqlalchemy import text\nsession.execute(text("LISTEN jobs"))',
        'import sqlalchemy as sa\nq = sa.text("LISTEN jobs")',
        'from django.db import migrations\nops = [migrations.RunSQL("LISTEN jobs")]',
        'from django.db import migrations\nops = [migrations.RunSQL(sql=["SELECT 1", "LISTEN jobs"])]',
        'from django.db import migrations\nops = [migrations.RunSQL("SELECT 1", reverse_sql="LISTEN jobs")]',
        'Order.objects.raw("LISTEN jobs")',
        'from alembic import op\nop.execute("LISTEN jobs")',
        'import pandas as pd\npd.read_sql("LISTEN jobs", conn)',
        'import pandas as pd\npd.read_sql_query(sql="LISTEN jobs", con=conn)',
        'client.execute_statement(resourceArn=a, secretArn=s, sql="LISTEN jobs")',
        'client.batch_execute_statement(resourceArn=a, secretArn=s, sql="LISTEN jobs", parameterSets=[])',
    ],
)
def test_sinks(source: str) -> None:
    assert codes(source) == ["PIN014"]


@pytest.mark.parametrize(
    "source",
    [
        '"""SET search_path TO x"""\n',
        'def f():\n    """LISTEN jobs is what we must not do."""\n',
        '# cur.execute("LISTEN jobs")\n',
        'log.info("SET search_path TO %s", tenant)\n',
        'logger.warning("LISTEN jobs failed")\n',
        'raise RuntimeError("cannot SET search_path here")\n',
        'print("LISTEN jobs")\n',
        'queries = {"LISTEN jobs": 1}\n',
        'client.execute_statement("LISTEN jobs")\n',  # rds-data takes sql= only
        'text("LISTEN jobs")\n',  # not sqlalchemy's text: no import says so
        'cur.execute(build_query("LISTEN jobs"))\n',  # an argument of another call
    ],
)
def test_strings_that_never_reach_a_sink_are_not_linted(source: str) -> None:
    assert codes(source) == []


# --- values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        'cur.execute("LISTEN jobs")',
        "cur.execute('LISTEN jobs')",
        'cur.execute(r"LISTEN jobs")',
        'cur.execute(b"LISTEN jobs")',
        'cur.execute(Rb"LISTEN jobs")',
        'cur.execute("""LISTEN jobs""")',
        'cur.execute("SELECT 1; " "LISTEN jobs")',
        "cur.execute(\"SELECT '\\t';\\nLISTEN jobs\")",
        "cur.execute(\"SELECT '\\u00e9\\x41'; LISTEN jobs\")",
        'cur.execute(f"SELECT {x}; LISTEN jobs")',
        'cur.execute(f"SELECT {x!r:>{width}}; LISTEN jobs")',
        'cur.execute(f"SELECT {{x}}; LISTEN jobs")',
        'cur.execute(rf"SELECT \\d {x}; LISTEN jobs")',
        'cur.execute("SELECT 1; " + "LISTEN jobs")',
        'cur.execute("SELECT %s; LISTEN jobs" % value)',
        'cur.execute("SELECT {}; LISTEN jobs".format(value))',
    ],
)
def test_positions_on_one_line(source: str) -> None:
    """The finding is at the L of LISTEN in the file, whatever stands before it in the literal."""
    assert [(line, column) for _, line, column in where(source)] == [(1, source.index("LISTEN") + 1)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('cur.execute("SELECT 1;"\n            "LISTEN jobs")', (2, 14)),
        ('cur.execute(\n    """\n    SELECT 1;\n      LISTEN jobs\n    """\n)', (4, 7)),
        ('cur.execute("SELECT 1; \\\nLISTEN jobs")', (2, 1)),
        ('cur.execute(f"""\n  SELECT {x};\n  LISTEN jobs""")', (3, 3)),
    ],
)
def test_positions_across_lines(source: str, expected: tuple[int, int]) -> None:
    assert [(line, column) for _, line, column in where(source)] == [expected]


def test_dynamic_hole_stands_for_a_name_not_a_keyword() -> None:
    assert codes('cur.execute(f"SET {name} = %s", (value,))') == ["PIN001"]
    assert codes('cur.execute(f"SET LOCAL {name} = %s", (value,))') == []
    assert codes('cur.execute(f"{verb} search_path TO x")') == []  # the statement is unknown
    assert codes('cur.execute(f"SELECT pg_advisory_lock({key})")') == ["PIN019"]
    assert codes('cur.execute("CREATE TEMP TABLE %s (id int)" % name)') == ["PIN010"]


def test_name_bound_to_a_constant_reaches_the_sink_later() -> None:
    source = 'LOCK = "SELECT pg_advisory_lock(42)"\n\n\ndef run(cur):\n    cur.execute(LOCK)\n'
    (finding,) = lint(source)
    assert (finding.code, finding.line, finding.column) == ("PIN019", 1, 16)
    assert "`LOCK` reaches `cur.execute()` on line 5" in finding.message


def test_name_in_function_scope_and_concatenation() -> None:
    source = 'def run(cur, tenant):\n    sql = "SET search_path TO "\n    sql += tenant\n    cur.execute(sql)\n'
    assert where(source) == [("PIN001", 2, 12)]


def test_name_bound_to_a_non_sql_value_is_not_guessed() -> None:
    source = 'def run(cur, build):\n    sql = build("LISTEN x")\n    cur.execute(sql)\n'
    assert codes(source) == []


def test_configured_sinks() -> None:
    source = "from app.db import run_sql\nrun_sql('LISTEN jobs')\nrepo.run_query('LISTEN jobs')\n"
    assert codes(source) == []
    assert codes(source, sinks=("app.db.run_sql", "*.run_query")) == ["PIN014", "PIN014"]


def test_extract_returns_fragments_with_context() -> None:
    source = "def handler(event, context):\n    cur.execute('LISTEN jobs')\n"
    (fragment,) = extract_python(parse_python(source), "h.py").fragments
    assert fragment.text == "LISTEN jobs"
    assert fragment.sink == "cur.execute"
    assert fragment.source_map.position(0) == (2, 18)


def test_long_concatenations_are_read_whole() -> None:
    """Ten implicitly concatenated parts, or ten ``+`` terms, are one statement, not nothing."""
    implicit = "cur.execute(\n" + "".join(f'    "part{n} "\n' for n in range(10)) + '    "; LISTEN x"\n)\n'
    added = "cur.execute(" + " + ".join(f'"p{n} "' for n in range(10)) + ' + "; LISTEN y")\n'
    for source, channel in ((implicit, "x"), (added, "y")):
        texts = [fragment.text for fragment in extract_python(parse_python(source), "m.py").fragments]
        assert len(texts) == 1 and texts[0].endswith(f"; LISTEN {channel}")


# --- lines as CPython counts them (issue 18: form feeds and other line-like characters) ---------

LINE_LIKE = ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", LINE_LIKE, ids=[f"U+{ord(char):04X}" for char in LINE_LIKE])
@pytest.mark.parametrize(
    "template",
    [
        "import psycopg2\n# {char} page\ndef f(c):\n    c.execute('SET a = 1')\n",
        "import psycopg2\nX = '{char}'\ndef f(c):\n    c.execute('SET a = 1')\n",
        "import psycopg2\nX = 1\n{formfeed}\ndef f(c):\n    c.execute('SET a = 1'); c.execute(\"SET b\" + x)\n",
        "import psycopg\n# {char} page\nX = 1\nconn = psycopg.connect('dbname=x', options='-c statement_timeout=5')\n",
    ],
    ids=["comment", "string", "own-line", "connect-call"],
)
def test_a_line_like_character_before_a_sink_moves_no_finding(template: str, char: str) -> None:
    """CPython ends lines only at \\n, \\r\\n and \\r: a form feed, \\v, \\x1c-\\x1e, U+0085, U+2028
    or U+2029 earlier in the file leaves every finding where it is in the twin without it."""
    formfeed = "\f" if char == "\f" else ""
    plain = template.format(char=" ", formfeed="")
    tricky = template.format(char=char, formfeed=formfeed)
    expected = where(plain)
    assert expected
    assert where(tricky) == expected


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_windows_and_old_mac_line_ends_keep_positions(ending: str) -> None:
    source = "import psycopg2\n\ndef f(c):\n    c.execute('SELECT 1;'\n              ' SET a = 1')\n"
    assert where(source.replace("\n", ending)) == where(source) == [("PIN001", 5, 17)]


# --- the string decoder always moves forward (issue 18: an unterminated \N{ hung the run) ------


@pytest.mark.parametrize("body", ["\\N{", "\\N{LATIN", "CREATE S\\N{CHEMA {SCHEMA};", "\\N", "\\"])
def test_the_decoder_ends_on_an_unterminated_escape(body: str) -> None:
    from pinlint.pystrings import decode

    piece = decode(body, 1, 1, raw=False)
    assert piece.text.startswith(body[:2])  # an escape it cannot read stays as written
    assert len(piece.lines) == len(piece.text)


@pytest.mark.parametrize(
    ("source", "column"),
    [
        ('import psycopg2\ncur.execute("SET a = 1 \\N{")\n', 14),
        ('import psycopg2\ncur.execute(f"SET a = 1; CREATE S\\N{CHEMA {SCHEMA};")\n', 15),
    ],
)
def test_an_unterminated_name_escape_is_read_not_a_hang(source: str, column: int) -> None:
    """CPython rejects the file, libcst reads it: the SQL before the bad escape is still checked."""
    assert where(source) == [("PIN001", 2, column)]


# --- COPY and libpq-level sinks -------------------------------------------------------------

LOCK_COPY = "COPY (SELECT pg_advisory_lock(1)) TO STDOUT"


@pytest.mark.parametrize(
    "source",
    [
        f'with cur.copy("{LOCK_COPY}") as copy:\n    pass',  # psycopg 3
        f'with cur.copy(statement="{LOCK_COPY}") as copy:\n    pass',
        f'cur.copy("-- export\\n{LOCK_COPY}")',
        f'cur.copy_expert("{LOCK_COPY}", out)',  # psycopg2
        f'cur.copy_expert(sql="{LOCK_COPY}", file=out)',
        'await conn.copy_from_query("SELECT pg_advisory_lock(1)", output="/tmp/x")',  # asyncpg
        'await conn.copy_from_query(query="SELECT pg_advisory_lock(1)", output=out)',
        'conn.pgconn.exec_(b"SELECT pg_advisory_lock(1)")',  # psycopg 3's libpq wrapper
        'conn.pgconn.exec_params(b"SELECT pg_advisory_lock($1)", [b"1"])',
        'conn.pgconn.send_query(b"SELECT pg_advisory_lock(1)")',
        'conn.pgconn.send_query_params(b"SELECT pg_advisory_lock($1)", [b"1"])',
    ],
)
def test_copy_and_libpq_sinks_at_the_function(source: str) -> None:
    """The lock inside the statement is found at its own place (a COPY's query runs its functions)."""
    before = source[: source.index("pg_advisory")]
    line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
    assert where(source) == [("PIN019", line, column)]


@pytest.mark.parametrize(
    "source",
    [
        f'import shutil\nshutil.copy("SELECT pg_advisory_lock(1)", "b")  # {LOCK_COPY}',
        f"settings = defaults.copy()  # {LOCK_COPY}",
        f"frame.copy(deep=True)  # {LOCK_COPY}",
        f'obj.copy("SELECT pg_advisory_lock(1)")  # not a COPY statement; {LOCK_COPY}',
        'import copy\ncopy.copy("SELECT pg_advisory_lock(1)")  # COPY',
        "cur.copy_expert  # COPY (SELECT pg_advisory_lock(1)) TO STDOUT, no call",
    ],
)
def test_copy_look_alikes_stay_quiet(source: str) -> None:
    assert codes(source) == []


def test_a_copy_call_alone_does_not_get_a_file_parsed() -> None:
    """``.copy(`` is everywhere (dicts, frames, shutil): a file is read for it only when its text
    also shows a COPY statement."""
    from pinlint.extract.sinks import build_prefilter

    prefilter = build_prefilter((), ())
    assert not prefilter.worth_parsing("settings = defaults.copy()\nshutil.copy(a, b)\n")
    assert prefilter.worth_parsing('with cur.copy("COPY t FROM STDIN") as copy:\n    pass\n')
    assert prefilter.worth_parsing('cur.copy("copy t from stdin")\n')
    assert prefilter.worth_parsing("cur.copy_expert(sql, f)\n")
