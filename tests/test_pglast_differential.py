"""Differential test: pinlint's statement classification against PostgreSQL's own grammar.

pglast wraps libpg_query, the parser of the PostgreSQL server. ``oracle()`` below reads
pglast's tree (node types and flags, never text) and says which rules a statement should
trigger; pinlint, which reads tokens first and sqlglot second, must agree on every
statement of the corpus and on every variant of it: case, comments, whitespace, quoted
identifiers, schema-qualified functions, and each driver's placeholder style.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import codes

pglast = pytest.importorskip("pglast")
from pglast import ast as pg  # noqa: E402
from pglast.enums import OnCommitAction, VariableSetKind  # noqa: E402

TRACKED = {
    "client_encoding",
    "datestyle",
    "timezone",
    "standard_conforming_strings",
}
TRACKED_FROM_1_20 = {"intervalstyle", "application_name"}  # PIN042
ROLE_PARAMETERS = {"role", "session_authorization"}
CURSOR_OPT_HOLD = 0x0020
QUERY_NODES = (pg.SelectStmt, pg.InsertStmt, pg.UpdateStmt, pg.DeleteStmt, pg.MergeStmt, pg.CallStmt, pg.ExplainStmt)
FUNCTIONS = {
    "nextval": "PIN016",
    "setval": "PIN016",
    "currval": "PIN017",
    "lastval": "PIN018",
    **{
        name: "PIN019"
        for name in (
            "pg_advisory_lock",
            "pg_advisory_lock_shared",
            "pg_try_advisory_lock",
            "pg_try_advisory_lock_shared",
            "pg_advisory_unlock",
            "pg_advisory_unlock_shared",
            "pg_advisory_unlock_all",
        )
    },
}
TRUE_LITERALS = {"true", "t", "on", "yes", "y", "1"}


def _nodes(node: Any) -> Iterator[Any]:
    """Every pglast node under ``node``, depth first."""
    if isinstance(node, tuple | list):
        for item in node:
            yield from _nodes(item)
    elif isinstance(node, pg.Node):
        yield node
        for name in node.__slots__:
            yield from _nodes(getattr(node, name, None))


def _is_true(argument: Any) -> bool:
    if isinstance(argument, pg.TypeCast):
        argument = argument.arg
    if isinstance(argument, pg.A_Const) and argument.val is not None:
        value = argument.val
        text = str(getattr(value, "boolval", getattr(value, "sval", getattr(value, "ival", ""))))
        return text.lower() in TRUE_LITERALS
    return False


def _function_codes(statement: Any) -> set[str]:
    found: set[str] = set()
    for node in _nodes(statement):
        if not isinstance(node, pg.FuncCall):
            continue
        parts = [part.sval.lower() for part in node.funcname]
        if len(parts) > 2 or (len(parts) == 2 and parts[0] != "pg_catalog"):
            continue
        name = parts[-1]
        if name in FUNCTIONS:
            found.add(FUNCTIONS[name])
        elif name == "set_config":
            arguments = node.args or ()
            if len(arguments) == 3 and not _is_true(arguments[2]):
                found.add("PIN006")
    return found


def _temporary(relation: Any) -> bool:
    return relation is not None and (relation.relpersistence == "t" or relation.schemaname == "pg_temp")


def oracle(sql: str) -> set[str]:
    """The rules PostgreSQL's parse tree says ``sql`` triggers."""
    found: set[str] = set()
    for raw in pglast.parse_sql(sql):
        statement = raw.stmt
        if isinstance(statement, pg.VariableSetStmt) and not statement.is_local:
            name = (statement.name or "").lower()
            kind = statement.kind
            if name in ROLE_PARAMETERS:
                found.add("PIN003")
            elif kind == VariableSetKind.VAR_SET_MULTI:
                if name == "session characteristics":
                    found.add("PIN004")
            elif kind in (VariableSetKind.VAR_RESET, VariableSetKind.VAR_RESET_ALL, VariableSetKind.VAR_SET_DEFAULT):
                found.add("PIN005")
            elif kind == VariableSetKind.VAR_SET_VALUE:
                found.add("PIN002" if name in TRACKED else "PIN042" if name in TRACKED_FROM_1_20 else "PIN001")
        elif isinstance(statement, pg.DeallocateStmt):
            found.add("PIN008" if statement.isall else "PIN007")
        elif isinstance(statement, pg.PrepareStmt | pg.ExecuteStmt):
            found.add("PIN007")
        elif isinstance(statement, pg.DiscardStmt):
            found.add("PIN009")
        elif isinstance(statement, pg.CreateStmt) and _temporary(statement.relation):
            found.add("PIN011" if statement.oncommit == OnCommitAction.ONCOMMIT_DROP else "PIN010")
        elif isinstance(statement, pg.CreateTableAsStmt) and _temporary(statement.into.rel):
            found.add("PIN011" if statement.into.onCommit == OnCommitAction.ONCOMMIT_DROP else "PIN010")
        elif (isinstance(statement, pg.ViewStmt) and _temporary(statement.view)) or (
            isinstance(statement, pg.CreateSeqStmt) and _temporary(statement.sequence)
        ):
            found.add("PIN010")
        elif isinstance(statement, pg.DeclareCursorStmt):
            found.add("PIN013" if statement.options & CURSOR_OPT_HOLD else "PIN012")
        elif isinstance(statement, pg.ListenStmt | pg.UnlistenStmt):
            found.add("PIN014")
        elif isinstance(statement, pg.LoadStmt):
            found.add("PIN015")
        into = statement.intoClause if isinstance(statement, pg.SelectStmt) else None
        if into is not None and _temporary(into.rel):
            found.add("PIN010")
        if isinstance(statement, QUERY_NODES):
            found |= _function_codes(statement)
    return found


# Statements that must be flagged, and statements that must never be. `{p}` is a bind
# placeholder, rendered in every paramstyle below.
FLAGGED = [
    "SET search_path TO tenant_42, public",
    "SET search_path = tenant_42",
    "SET SESSION search_path TO tenant_42",
    "SET app.tenant_id = '42'",
    'SET "app"."tenant_id" TO \'42\'',
    "SET statement_timeout TO {p}",
    "SET SCHEMA 'billing'",
    "SET TIME ZONE 'UTC'",
    "SET SESSION TIME ZONE 'Europe/Paris'",
    "SET timezone = 'UTC'",
    "SET NAMES 'UTF8'",
    "SET application_name = 'worker'",
    "SET DateStyle TO ISO",
    "SET ROLE reporting",
    "SET SESSION ROLE reporting",
    "SET SESSION AUTHORIZATION alice",
    "SET SESSION AUTHORIZATION DEFAULT",
    "RESET ROLE",
    "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE",
    "RESET search_path",
    "RESET ALL",
    "SET search_path TO DEFAULT",
    "SET statement_timeout = DEFAULT",
    "SELECT set_config('app.tenant_id', '42', false)",
    "SELECT set_config('app.tenant_id', {p}, {p})",
    "SELECT pg_catalog.set_config('search_path', 'x', false)",
    "SELECT * FROM orders WHERE tenant = set_config('app.t', '1', false)",
    "PREPARE get_order (int) AS SELECT * FROM orders WHERE id = $1",
    "EXECUTE get_order (42)",
    "DEALLOCATE get_order",
    "DEALLOCATE PREPARE get_order",
    "DEALLOCATE ALL",
    "DISCARD ALL",
    "DISCARD PLANS",
    "DISCARD SEQUENCES",
    "DISCARD TEMP",
    "CREATE TEMP TABLE import_rows (id int)",
    "CREATE TEMPORARY TABLE import_rows (id int) ON COMMIT DELETE ROWS",
    "CREATE LOCAL TEMP TABLE IF NOT EXISTS import_rows (id int)",
    "CREATE TEMP TABLE import_rows (id int) ON COMMIT DROP",
    "CREATE TEMP TABLE recent AS SELECT * FROM orders WHERE id > {p}",
    "CREATE TEMPORARY VIEW recent AS SELECT 1",
    "CREATE OR REPLACE TEMP VIEW recent AS SELECT 1",
    "CREATE TEMP SEQUENCE counter",
    "CREATE TABLE pg_temp.scratch (id int)",
    "SELECT * INTO TEMP recent FROM orders",
    "SELECT id, total INTO TEMPORARY TABLE recent FROM orders WHERE id > {p}",
    "DECLARE c CURSOR FOR SELECT * FROM orders",
    "DECLARE c NO SCROLL CURSOR WITHOUT HOLD FOR SELECT 1",
    "DECLARE c BINARY CURSOR WITH HOLD FOR SELECT * FROM orders",
    "DECLARE c SCROLL CURSOR WITH HOLD FOR SELECT 1",
    "LISTEN order_events",
    'LISTEN "Order Events"',
    "UNLISTEN order_events",
    "UNLISTEN *",
    "LOAD 'auto_explain'",
    "SELECT nextval('invoice_seq')",
    "SELECT pg_catalog.nextval('invoice_seq'::regclass)",
    "INSERT INTO invoices (id, total) VALUES (nextval('invoice_seq'), {p})",
    "SELECT setval('orders_id_seq', {p})",
    "SELECT currval('orders_id_seq')",
    "SELECT lastval()",
    "SELECT pg_advisory_lock({p})",
    "SELECT pg_advisory_lock_shared(1, 2)",
    "SELECT pg_try_advisory_lock(hashtext({p}))",
    "SELECT pg_try_advisory_lock_shared(7)",
    "SELECT pg_advisory_unlock({p})",
    "SELECT pg_advisory_unlock_shared(7)",
    "SELECT pg_advisory_unlock_all()",
    "SELECT pg_catalog.pg_advisory_lock(42)",
    "SELECT PG_ADVISORY_LOCK(42)",
    "WITH j AS (SELECT id FROM jobs LIMIT 1) SELECT pg_try_advisory_lock(id) FROM j",
    "UPDATE jobs SET locked = pg_try_advisory_lock(id) WHERE id = {p}",
]

NEVER_FLAGGED = [
    "SET LOCAL search_path TO tenant_42",
    "SET LOCAL statement_timeout = '2s'",
    "SET LOCAL ROLE reporting",
    "SET LOCAL TIME ZONE 'UTC'",
    "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
    "SET TRANSACTION READ ONLY",
    "SET CONSTRAINTS ALL DEFERRED",
    "SELECT set_config('app.tenant_id', {p}, true)",
    "SELECT set_config('app.tenant_id', '42', 't')",
    "SELECT pg_advisory_xact_lock({p})",
    "SELECT pg_try_advisory_xact_lock(1, 2)",
    "SELECT pg_advisory_xact_lock_shared(7)",
    "SELECT pg_try_advisory_xact_lock_shared(7)",
    "NOTIFY order_events",
    "NOTIFY order_events, 'shipped'",
    "SELECT pg_notify('order_events', {p})",
    "SELECT * FROM orders WHERE id = {p} FOR UPDATE",
    "SELECT * FROM orders FOR UPDATE SKIP LOCKED",
    "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE",
    "UPDATE orders SET state = 'paid' WHERE id = {p}",
    "UPDATE orders SET search_path = 'x'",
    "INSERT INTO customers (id, email) VALUES ({p}, {p}) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email",
    "ALTER ROLE app SET search_path = billing",
    "ALTER ROLE app RESET search_path",
    "ALTER ROLE app IN DATABASE orders SET statement_timeout = '5s'",
    "ALTER DATABASE orders SET timezone = 'UTC'",
    "ALTER DATABASE orders RESET ALL",
    "ALTER TABLE orders ALTER COLUMN total SET DEFAULT 0",
    "ALTER TABLE orders SET (fillfactor = 70)",
    "ALTER TABLE orders RESET (fillfactor)",
    "ALTER TABLE orders ALTER COLUMN id SET STATISTICS 100",
    "ALTER FUNCTION touch() SET search_path = public",
    "ALTER FUNCTION touch() RESET ALL",
    "ALTER SYSTEM SET work_mem = '64MB'",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = public AS 'SELECT 1'",
    "CREATE TABLE orders (id int, parent int REFERENCES orders (id) ON DELETE SET NULL)",
    "CREATE TABLE invoices (id bigint DEFAULT nextval('invoice_seq'))",
    "PREPARE TRANSACTION 'tx-1'",
    "COMMIT PREPARED 'tx-1'",
    "ROLLBACK PREPARED 'tx-1'",
    "CREATE TRIGGER t BEFORE UPDATE ON orders FOR EACH ROW EXECUTE PROCEDURE touch()",
    "CREATE TRIGGER t BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch()",
    "SELECT 'SET search_path TO x; LISTEN y' AS example",
    "SELECT $$ SET search_path TO x $$",
    "SELECT E'LISTEN \\'x\\''",
    "SELECT 1 /* SET search_path TO x */",
    "CREATE TABLE temp_readings (id int)",
    "CREATE TABLE temporary_holds (id int)",
    "CREATE INDEX temp_idx ON orders (id)",
    "INSERT INTO temp SELECT * FROM staging",
    "SELECT * FROM temp_readings WHERE id = {p}",
    "DROP TABLE IF EXISTS temp_import",
    "SELECT * INTO archive FROM orders",
    "CLOSE c",
    "FETCH 10 FROM c",
    "DO $$ BEGIN PERFORM pg_advisory_lock(1); END $$",
    "SELECT schema.nextval('x')",
    "SELECT currval_of_something()",
    "SELECT my_lastval()",
    "BEGIN",
    "COMMIT",
    "SHOW search_path",
    "SELECT current_setting('search_path')",
    "VACUUM orders",
    "CALL refresh_totals({p})",
]

PARAMSTYLES = {"pyformat": "%s", "named": "%(value)s", "numeric": "$1", "colon": ":value", "qmark": "?"}


def _variants(template: str) -> Iterator[tuple[str, str, str]]:
    """(variant id, text for pinlint, text for PostgreSQL)."""
    styles = PARAMSTYLES if "{p}" in template else {"pyformat": "%s"}
    for style, placeholder in styles.items():
        sql = template.replace("{p}", placeholder)
        postgres = template.replace("{p}", "$1")
        yield f"{style}", sql, postgres
    sql = template.replace("{p}", "$1")
    yield "lower", _lower_outside_quotes(sql), _lower_outside_quotes(sql)
    yield "comment", f"/* why: see ticket */ {sql} -- trailing", f"/* why: see ticket */ {sql} -- trailing"
    yield "line-comment", f"-- leading note\n{sql};", f"-- leading note\n{sql};"
    spaced = _respace(sql)
    yield "whitespace", spaced, spaced


def _lower_outside_quotes(sql: str) -> str:
    parts = re.split(r"('(?:[^']|'')*'|\"[^\"]*\"|\$\$.*?\$\$)", sql)
    return "".join(part if index % 2 else part.lower() for index, part in enumerate(parts))


def _respace(sql: str) -> str:
    parts = re.split(r"('(?:[^']|'')*'|\"[^\"]*\"|\$\$.*?\$\$)", sql)
    return "\n\t " + "".join(part if index % 2 else part.replace(" ", "\n    \t") for index, part in enumerate(parts))


def _cases(corpus: list[str]) -> list[Any]:
    return [
        pytest.param(sql, postgres, id=f"{template[:48]}[{variant}]")
        for template in corpus
        for variant, sql, postgres in _variants(template)
    ]


@pytest.mark.parametrize(("sql", "postgres"), _cases(FLAGGED))
def test_flagged_statements_agree_with_postgres(sql: str, postgres: str) -> None:
    expected = oracle(postgres)
    assert expected, f"the oracle flags nothing for {postgres!r}: the corpus entry is wrong"
    assert set(codes(sql, "corpus.sql")) == expected


@pytest.mark.parametrize(("sql", "postgres"), _cases(NEVER_FLAGGED))
def test_never_flagged_statements_agree_with_postgres(sql: str, postgres: str) -> None:
    assert oracle(postgres) == set(), f"PostgreSQL's tree says {postgres!r} is a trigger: the corpus entry is wrong"
    assert codes(sql, "corpus.sql") == []


def test_multi_statement_string_checks_every_statement() -> None:
    sql = "BEGIN; SET search_path TO x; SELECT 1; LISTEN jobs; COMMIT"
    assert oracle(sql) == {"PIN001", "PIN014"}
    assert codes(sql, "corpus.sql") == ["PIN001", "PIN014"]


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE names (name varchar(10) CHARACTER SET utf8)",
        "ALTER TABLE names CONVERT TO CHARACTER SET utf8mb4",
        "LOAD DATA INFILE 'rows.csv' INTO TABLE t",
        "LOAD XML INFILE 'rows.xml' INTO TABLE t",
    ],
)
def test_lookalikes_from_other_dialects_are_not_flagged(sql: str) -> None:
    """Not PostgreSQL (pglast rejects them), so there is no oracle: they must simply stay clean."""
    with pytest.raises(pglast.parser.ParseError):
        pglast.parse_sql(sql)
    assert codes(sql, "corpus.sql") == []
