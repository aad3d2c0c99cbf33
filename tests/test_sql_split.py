"""The SQL lexer and statement splitter, alone: where statements start and end."""

from __future__ import annotations

import pytest

from conftest import codes, where
from pinlint.sql.lexer import COMMENT, PARAM, STRING, WORD, tokenize
from pinlint.sql.statements import split_statements


def _texts(sql: str, psql: bool = False) -> list[str]:
    return [sql[s.start : s.end].strip().rstrip(";").strip() for s in split_statements(sql, psql=psql)]


def test_splits_on_top_level_semicolons_only() -> None:
    sql = "SELECT 'a;b'; SELECT \"x;y\" FROM t; SELECT $$ ; $$; SELECT $tag$ ; $tag$ -- c;\n; SELECT 1 /* ; */"
    assert _texts(sql) == [
        "SELECT 'a;b'",
        'SELECT "x;y" FROM t',
        "SELECT $$ ; $$",
        "SELECT $tag$ ; $tag$ -- c;",
        "SELECT 1 /* ; */",
    ]


def test_escape_strings_and_doubled_quotes() -> None:
    sql = "SELECT E'it\\'s; fine'; SELECT 'it''s; fine'; LISTEN x"
    assert _texts(sql) == ["SELECT E'it\\'s; fine'", "SELECT 'it''s; fine'", "LISTEN x"]


def test_nested_block_comments() -> None:
    tokens = tokenize("/* outer /* inner; */ still comment; */ LISTEN x")
    assert tokens[0].kind == COMMENT
    assert [t.value for t in tokens[1:]] == ["LISTEN", "X"]


def test_begin_atomic_body_keeps_its_semicolons() -> None:
    sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nLISTEN x;"
    assert len(split_statements(sql)) == 2


def test_placeholders_of_every_paramstyle_are_params() -> None:
    sql = "SELECT %s, %(name)s, $1, :name, ? FROM t WHERE a::int = 1"
    params = [t.value for t in tokenize(sql) if t.kind == PARAM]
    assert params == ["%s", "%(name)s", "$1", ":name", "?"]


def test_psql_meta_commands_and_copy_data_are_not_sql() -> None:
    script = (
        "\\set ON_ERROR_STOP on\n"
        "\\connect orders\n"
        "COPY t FROM STDIN;\n"
        "SET search_path TO x\n"
        "LISTEN y\n"
        "\\.\n"
        "SELECT 1;\n"
        "\\i other.sql\n"
    )
    assert _texts(script, psql=True) == ["COPY t FROM STDIN", "SELECT 1"]
    assert codes(script, "script.sql") == []


def test_unterminated_string_does_not_raise() -> None:
    tokens = tokenize("SELECT 'never closed; LISTEN x")
    assert tokens[-1].kind == STRING
    assert codes("SELECT 'never closed; LISTEN x", "broken.sql") == []


def test_unparseable_sql_still_gets_keyword_checks() -> None:
    assert codes("SET search_path TO $$$ garbage ((( ;", "broken.sql") == ["PIN001"]
    assert codes("SELECT pg_advisory_lock(1) FROM ((( ;", "broken.sql") == ["PIN019"]


def test_trigger_inside_do_block_or_function_body_is_not_reported() -> None:
    """Documented decision: the pooler only sees the outer statement (see README)."""
    assert codes("DO $$ BEGIN EXECUTE 'SET search_path TO x'; END $$;", "m.sql") == []
    assert codes("DO $$ BEGIN PERFORM pg_advisory_lock(1); END $$;", "m.sql") == []
    assert codes("CREATE FUNCTION f() RETURNS void AS $$ LISTEN x $$ LANGUAGE sql;", "m.sql") == []


def test_a_unicode_digit_after_a_dot_is_not_a_number() -> None:
    """SQL numbers are ASCII digits: `.³` (str.isdigit() is true for `³`) is an operator and a
    word, and the statement is still read; `.5` stays a number."""
    assert [token.value for token in tokenize("SELECT .\u00b3")][-2:] == [".", "\u00b3"]
    assert tokenize("SELECT .5")[-1].value == ".5"
    assert codes("SELECT .\u00b3; LISTEN x", "odd.sql") == ["PIN014"]


@pytest.mark.parametrize(
    "statement",
    [
        "LISTEN {channel_name};",  # procrastinate's named queries, str.format
        "LISTEN {{ channel }};",  # Jinja
        "LISTEN {{channel}};",
        "LISTEN {0};",
        "UNLISTEN {channel_name};",
    ],
)
def test_templating_placeholders_in_sql_files_stand_for_names(statement: str) -> None:
    """A .sql file whose loader fills in ``{name}`` keeps its triggers, at the statement's place."""
    text = f"-- name: listen_queue\n{statement}\n"
    assert where(text, "queries.sql") == [("PIN014", 2, 1)]


def test_templating_placeholders_are_only_read_in_sql_files() -> None:
    """In Python, a ``{`` in a plain string is text, not a template (f-string fields are holes already)."""
    assert codes('cur.execute("LISTEN {channel_name}")') == []
    assert codes('cur.execute(f"LISTEN {channel_name}")') == ["PIN014"]


@pytest.mark.parametrize(
    "text",
    [
        "SELECT '{\"channel\": 1}'::jsonb, :name::text, %(name)s::int;",  # JSON in a string, casts
        "SELECT * FROM jobs WHERE tags @> '{urgent}';",
        "SELECT {fn NOW()};",  # an ODBC escape is no placeholder
        "NOTIFY {channel}, 'hello';",  # sending is safe, placeholder or not
    ],
)
def test_sql_file_look_alikes_of_placeholders_stay_quiet(text: str) -> None:
    assert codes(text, "queries.sql") == []


def test_tokens_of_a_placeholder_and_of_bind_parameters() -> None:
    """The placeholder is one word over its whole text; ``:name`` and ``%(name)s`` stay bind parameters."""
    text = "LISTEN {{ ch }}; SELECT :a::text, %(b)s"
    tokens = tokenize(text, psql=True)
    shown = [(token.kind, text[token.start : token.end]) for token in tokens if token.kind in (WORD, PARAM)]
    assert shown == [
        (WORD, "LISTEN"),
        (WORD, "{{ ch }}"),
        (WORD, "SELECT"),
        (PARAM, ":a"),
        (WORD, "text"),
        (PARAM, "%(b)s"),
    ]
    assert [token.value for token in tokenize("LISTEN {ch}")][:2] == ["LISTEN", "{"]  # not in Python strings


def test_aiosql_named_queries_are_statements_without_semicolons() -> None:
    """aiosql sends each ``-- name:`` query on its own, and its queries often end without ``;``:
    each name starts a statement, whatever operation suffix it carries."""
    text = (
        "-- name: get_all\n"
        "select * from users\n"
        "\n"
        "-- name: set-path!\n"
        "set search_path to :schema\n"
        "\n"
        "-- name: listen_jobs#\n"
        "listen jobs\n"
        "-- name: take_lock$\n"
        "select pg_advisory_lock(:id)\n"
        "-- name: scratch<!\n"
        "create temp table scratch (id int)\n"
        "-- name: users.many*!\n"
        "select :a::text, %(b)s, $1 from t where x like '%%'\n"
        "-- name: last^\n"
        "select 1\n"
    )
    assert where(text, "queries.sql") == [("PIN001", 5, 1), ("PIN014", 8, 1), ("PIN019", 10, 8), ("PIN010", 12, 1)]
    assert len(split_statements(text, psql=True)) == 7


@pytest.mark.parametrize(
    "text",
    [
        "SELECT a, -- name: the user's name\n b FROM t",  # a comment that is no query name
        "SELECT a -- name: b\n, pg_advisory_lock(1) FROM t",  # not at the start of its line
    ],
)
def test_comments_that_are_not_aiosql_names_do_not_split(text: str) -> None:
    assert len(split_statements(text, psql=True)) == 1


def test_aiosql_names_split_only_sql_files() -> None:
    """In a Python string the same comment is text inside one execute call."""
    assert len(split_statements("SELECT 1\n-- name: x\nSELECT 2")) == 1
