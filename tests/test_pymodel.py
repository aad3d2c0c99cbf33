"""The model of a Python file: one parse (CPython's, else libcst's for newer syntax), and readers
that do work in proportion to the file, never to the square of it."""

from __future__ import annotations

import ast
import sys

import pytest

import pinlint.extract.python as extraction
import pinlint.pystrings as pystrings
from conftest import CATALOG, ROOT, lint
from pinlint.config import Settings
from pinlint.engine import Linter
from pinlint.pymodel import parse_python

# Each file of a syntax newer than Python 3.11, and its twin in older syntax: the same findings of
# every kind (SQL, connect options, driver calls, handlers, dialect evidence) at the same places.
TWINS = {
    "pep695-type-statement": (
        "import pymysql\ntype Row = tuple[int, str]\n",
        "import pymysql\nRow = tuple[int, str]\n",
    ),
    "pep701-fstring": (
        'import psycopg2\ndef f(cur, d):\n    cur.execute(f"SET search_path = {d["schema"]}; LISTEN x")\n',
        "import psycopg2\ndef f(cur, d):\n    cur.execute(f\"SET search_path = {d['schema']}; LISTEN x\")\n",
    ),
    "pep758-except": (
        "import psycopg2\ntry:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
        "import psycopg2\ntry:\n    pass\nexcept (ValueError, TypeError):\n    pass\n",
    ),
}
BODY = """
def lambda_handler(event, context):
    conn = psycopg.connect("dbname=x", options="-c statement_timeout=5")
    cur = conn.cursor(withhold=True)
    cur.execute("SET search_path = app; LISTEN jobs")
    cur.execute("SELECT GET_LOCK('x', 1)")
    return conn


def dispatch(cur, command):
    match command:  # (a match statement: each case is still read)
        case {"kind": kind}:
            cur.execute("LISTEN jobs")
"""


@pytest.mark.parametrize("name", sorted(TWINS))
def test_newer_syntax_keeps_every_finding_of_its_older_twin(name: str) -> None:
    newer, older = TWINS[name]
    with pytest.raises(SyntaxError):
        ast.parse(newer)  # (on this interpreter: the test means something only where it fails)
    head = "import psycopg\n" if "pymysql" not in newer else ""
    newer, older = head + newer + BODY, head + older + BODY
    found = [
        (f.code, f.line, f.column, f.end_line, f.end_column, f.dialect) for f in lint(newer, "app.py", all_rules=True)
    ]
    expected = [
        (f.code, f.line, f.column, f.end_line, f.end_column, f.dialect) for f in lint(older, "app.py", all_rules=True)
    ]
    assert found == expected
    assert {"PIN021", "PIN022"} <= {code for code, *_ in found}  # a connect option, a connection per invocation
    sql_dialects = {dialect for *_, dialect in found if dialect}
    assert sql_dialects == ({"mysql"} if "pymysql" in newer else {"postgres"})  # the SQL, read in the file's dialect


def _shape(tree: ast.Module) -> list[tuple[str, int, int, int | None, int | None]]:
    """Calls, names and whole string literals with their ast positions (the parts of an f-string are
    left out: CPython 3.11 gives them the position of the whole literal; so are a case's patterns)."""
    inside = {id(value) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for value in node.values}
    inside |= {  # a case's pattern (the converter makes each case an ``if``: its pattern is not read)
        id(node) for case in ast.walk(tree) if isinstance(case, ast.match_case) for node in ast.walk(case.pattern)
    }
    return sorted(
        (type(node).__name__, node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call | ast.Name | ast.Constant | ast.JoinedStr) and id(node) not in inside
    )


def test_libcsts_tree_converts_to_cpythons_nodes_and_positions() -> None:
    """The PEP 701 twin and its older spelling have the same length: the same nodes at the same places."""
    newer, older = TWINS["pep701-fstring"]
    converted, native = (
        parse_python(newer + BODY + "x = (1, -2.5, b'\\x00', None, [*a], {**b}, c[1:2])\n"),
        parse_python(older + BODY + "x = (1, -2.5, b'\\x00', None, [*a], {**b}, c[1:2])\n"),
    )
    assert converted.converted and not native.converted
    assert _shape(converted.tree) == _shape(native.tree)


def test_work_per_statement_does_not_grow_with_the_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 20: module-level sink calls were compared pairwise. The reader decodes each literal once
    and looks each name up once: the work for 2,000 statements is twice that for 1,000."""
    counts: list[int] = []
    original = pystrings.decode

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        counts[-1] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(pystrings, "decode", counting)
    for size in (1000, 2000):
        counts.append(0)
        source = (
            "import psycopg2\nSQL = 'SET a = 1'\n"
            + "cur.execute('INSERT INTO t VALUES (1)'); cur.execute(SQL)\n" * size
        )
        fragments = extraction.extract_python(parse_python(source), "seed.py").fragments
        assert len(fragments) == 2 * size
    assert counts[1] <= 2 * counts[0]  # (a name's literal is now decoded once, not once per use)


def test_a_file_libcst_rejects_after_parsing_is_a_syntax_warning() -> None:
    """`"a" b"b"` is a SyntaxError for CPython; libcst parses it and then raises its own
    validation error: the file gets CPython's message, not an internal error."""
    result = Linter(CATALOG, Settings(root=ROOT)).lint_source('cur.execute("SELECT 1" b"x")\n', "mixed.py")
    assert result.findings == []
    assert result.error == "syntax error at line 1: cannot mix bytes and nonbytes literals; skipped"


@pytest.mark.xfail(
    sys.version_info >= (3, 14),
    reason="on 3.14 CPython parses t-strings into ast.TemplateStr, which the SQL reader does not read yet",
    strict=True,
)
def test_a_template_string_is_read_like_an_f_string() -> None:
    """PEP 750 t-strings (psycopg 3.3 sends their fields as parameters): on an interpreter that
    cannot parse them, libcst's tree keeps the SQL, each field a hole, at the same columns as the
    f-string twin (one prefix letter each)."""
    template = 'def f(cur, x):\n    cur.execute(t"SET search_path TO {x}")\n'
    twin = template.replace('t"', 'f"')
    assert [(f.code, f.line, f.column) for f in lint(template)] == [("PIN001", 2, 19)]
    assert [(f.code, f.line, f.column) for f in lint(twin)] == [("PIN001", 2, 19)]
