"""Differential test: pinlint's statement classification against PostgreSQL's own grammar.

pglast wraps libpg_query, the parser of the PostgreSQL server. ``oracle()`` below reads
pglast's tree (node types and flags, never text) and says which rules a statement should
trigger. The cases are the SQL examples of the PostgreSQL rule files (bad and good; a new
example is a new case), and pinlint, which reads tokens first and sqlglot second, must agree
on every statement of them and on every variant: case, comments, whitespace, and each
driver's placeholder style for the ``$n`` parameters. The function-call rules are judged from
their own files (which functions, which schemas, which argument makes a call safe); the
statement rules each have a grammar check here, and a PostgreSQL statement rule without one
fails ``test_every_postgres_statement_rule_has_a_grammar_check``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import CATALOG, codes
from pinlint.catalog import Example, Rule
from pinlint.kinds.function_call import FunctionCallMatch

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
# The statements that run a function: what the function-call kind's `statements` mean in the grammar.
QUERY_NODES = (pg.SelectStmt, pg.InsertStmt, pg.UpdateStmt, pg.DeleteStmt, pg.MergeStmt, pg.CallStmt, pg.ExplainStmt)
# The rules whose statements the oracle below recognises in PostgreSQL's tree.
STATEMENT_ORACLE = {f"PIN0{number:02d}" for number in range(1, 16) if number != 6} | {"PIN042"}
POSTGRES_RULES = [rule for rule in CATALOG if "postgres" in rule.dialects]
FUNCTION_RULES = [(rule.code, rule.kind) for rule in POSTGRES_RULES if isinstance(rule.kind, FunctionCallMatch)]


def _nodes(node: Any) -> Iterator[Any]:
    """Every pglast node under ``node``, depth first."""
    if isinstance(node, tuple | list):
        for item in node:
            yield from _nodes(item)
    elif isinstance(node, pg.Node):
        yield node
        for name in node.__slots__:
            yield from _nodes(getattr(node, name, None))


def _literal(argument: Any) -> str:
    """The text of a constant argument (a cast one too), upper-cased; '' for anything else."""
    if isinstance(argument, pg.TypeCast):
        argument = argument.arg
    if isinstance(argument, pg.A_Const) and argument.val is not None:
        value = argument.val
        return str(getattr(value, "boolval", getattr(value, "sval", getattr(value, "ival", "")))).upper()
    return ""


def _string_literal(argument: Any) -> str | None:
    """A string constant argument (a cast one too), upper-cased; None for anything else."""
    if isinstance(argument, pg.TypeCast):
        argument = argument.arg
    if isinstance(argument, pg.A_Const) and isinstance(argument.val, pg.String):
        return str(argument.val.sval).upper()
    return None


def _literal_selected(kind: FunctionCallMatch, arguments: Any) -> bool:
    """The rule file's `argument-literal`: a string constant in `in`, or anything but one in `not-in`."""
    if kind.literal_position is None:
        return True
    position = kind.literal_position
    literal = _string_literal(arguments[position]) if len(arguments) > position else None
    if kind.literal_in is not None and literal not in kind.literal_in:
        return False
    return kind.literal_not_in is None or literal not in kind.literal_not_in


def _function_codes(statement: Any) -> set[str]:
    """The function-call rules a query statement's FuncCall nodes trigger, from the rule files:
    the function's name, an allowed schema, the safe argument and the argument literal."""
    found: set[str] = set()
    for node in _nodes(statement):
        if not isinstance(node, pg.FuncCall):
            continue
        parts = [part.sval.upper() for part in node.funcname]
        if len(parts) > 2:
            continue
        for code, kind in FUNCTION_RULES:
            if parts[-1] not in kind.sql_functions or (len(parts) == 2 and parts[0] not in kind.schemas):
                continue
            arguments = node.args or ()
            position = kind.safe_position
            if position is not None and len(arguments) > position and _literal(arguments[position]) in kind.safe_values:
                continue
            if not _literal_selected(kind, arguments):
                continue
            found.add(code)
    return found


def _temporary(relation: Any) -> bool:
    return relation is not None and (relation.relpersistence == "t" or relation.schemaname == "pg_temp")


def _in_pg_temp(name: Any) -> bool:
    """A qualified name (``funcname``) in the session's temporary schema."""
    return len(name) == 2 and name[0].sval == "pg_temp"  # pglast folds bare names; a quoted "PG_TEMP" is another schema


def _temporary_object(statement: Any) -> bool:
    """A temporary view or sequence, or a function or procedure created in ``pg_temp``."""
    if isinstance(statement, pg.ViewStmt):
        return _temporary(statement.view)
    if isinstance(statement, pg.CreateSeqStmt):
        return _temporary(statement.sequence)
    return isinstance(statement, pg.CreateFunctionStmt) and _in_pg_temp(statement.funcname)


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
            elif kind in (VariableSetKind.VAR_RESET, VariableSetKind.VAR_SET_DEFAULT):
                if name not in TRACKED:  # every PgBouncer learns a tracked parameter's reset value
                    found.add("PIN005")
            elif kind == VariableSetKind.VAR_RESET_ALL:
                found.add("PIN005")
            elif kind == VariableSetKind.VAR_SET_VALUE:
                found.add("PIN002" if name in TRACKED else "PIN042" if name in TRACKED_FROM_1_20 else "PIN001")
        elif isinstance(statement, pg.DeallocateStmt):
            found.add("PIN008" if statement.isall else "PIN007")
        elif isinstance(statement, pg.PrepareStmt | pg.ExecuteStmt) or (
            isinstance(statement, pg.ExplainStmt) and isinstance(statement.query, pg.ExecuteStmt)
        ):
            found.add("PIN007")
        elif isinstance(statement, pg.DiscardStmt):
            found.add("PIN009")
        elif isinstance(statement, pg.CreateStmt) and _temporary(statement.relation):
            found.add("PIN011" if statement.oncommit == OnCommitAction.ONCOMMIT_DROP else "PIN010")
        elif isinstance(statement, pg.CreateTableAsStmt):
            if _temporary(statement.into.rel):
                found.add("PIN011" if statement.into.onCommit == OnCommitAction.ONCOMMIT_DROP else "PIN010")
            if isinstance(statement.query, pg.ExecuteStmt):
                found.add("PIN007")
        elif _temporary_object(statement):
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


PARAMSTYLES = {"pyformat": "%s", "named": "%(value)s", "numeric": "$1", "colon": ":value", "qmark": "?"}
_QUOTED = re.compile(r"('(?:[^']|'')*'|\"[^\"]*\"|\$\$.*?\$\$)", re.DOTALL)
_PARAMETER = re.compile(r"\$\d+")


def _outside_quotes(sql: str, change: Any) -> str:
    parts = _QUOTED.split(sql)
    return "".join(part if index % 2 else change(part) for index, part in enumerate(parts))


def _variants(sql: str) -> Iterator[tuple[str, str]]:
    """(variant id, text for pinlint); PostgreSQL reads the same text with its $n parameters."""
    has_parameters = bool(_outside_quotes(sql, lambda part: "$" if _PARAMETER.search(part) else "").strip())
    styles = PARAMSTYLES if has_parameters else {"numeric": "$1"}
    for style, placeholder in styles.items():
        yield style, _outside_quotes(sql, lambda part, marker=placeholder: _PARAMETER.sub(marker, part))
    yield "lower", _outside_quotes(sql, str.lower)
    yield "comment", f"/* why: see ticket */ {sql} -- trailing"
    yield "line-comment", f"-- leading note\n{sql};"
    yield "whitespace", "\n\t " + _outside_quotes(sql, lambda part: part.replace(" ", "\n    \t"))


def _sql_examples(bad: bool) -> list[tuple[Rule, Example]]:
    return [
        (rule, example)
        for rule in POSTGRES_RULES
        for example in (rule.bad if bad else rule.good)
        if example.language == "sql"
    ]


def _statements(example: Example) -> list[str]:
    """The example's statements as PostgreSQL splits them; [] when PostgreSQL rejects it."""
    try:
        return list(pglast.split(example.source))
    except pglast.parser.ParseError:
        return []


def _cases() -> list[Any]:
    return [
        pytest.param(sql, statement, id=f"{rule.code}:{statement[:48]}[{variant}]")
        for bad in (True, False)
        for rule, example in _sql_examples(bad)
        for statement in _statements(example)
        for variant, sql in _variants(statement)
    ]


def _example_id(value: Any) -> str:
    return getattr(value, "code", "")


@pytest.mark.parametrize(("sql", "postgres"), _cases())
def test_every_example_statement_and_variant_agrees_with_postgres(sql: str, postgres: str) -> None:
    assert set(codes(sql, "corpus.sql")) == oracle(postgres)


@pytest.mark.parametrize(("rule", "example"), _sql_examples(bad=True), ids=_example_id)
def test_bad_examples_are_postgresql_that_the_grammar_says_triggers_the_rule(rule: Rule, example: Example) -> None:
    statements = _statements(example)
    assert statements, f"PostgreSQL rejects a bad example of {rule.code}:\n{example.source}"
    if rule.code in STATEMENT_ORACLE or any(code == rule.code for code, _ in FUNCTION_RULES):
        assert any(rule.code in oracle(statement) for statement in statements), example.source


@pytest.mark.parametrize(("rule", "example"), _sql_examples(bad=False), ids=_example_id)
def test_good_examples_are_not_the_trigger_in_postgresql_either(rule: Rule, example: Example) -> None:
    statements = _statements(example)
    if not statements:  # another dialect's look-alike (MySQL's LOAD DATA): no oracle, it must stay clean
        assert codes(example.source, "corpus.sql") == []
    assert all(rule.code not in oracle(statement) for statement in statements)


def test_every_postgres_statement_rule_has_a_grammar_check() -> None:
    """A new PostgreSQL statement rule needs its reading of PostgreSQL's tree in ``oracle()``."""
    statement_rules = {rule.code for rule in POSTGRES_RULES if rule.kind.name == "statement"}
    assert statement_rules == STATEMENT_ORACLE
    assert sum(len(_statements(example)) for _, example in _sql_examples(bad=True)) > 60


def test_multi_statement_string_checks_every_statement() -> None:
    sql = "BEGIN; SET search_path TO x; SELECT 1; LISTEN jobs; COMMIT"
    assert oracle(sql) == {"PIN001", "PIN014"}
    assert codes(sql, "corpus.sql") == ["PIN001", "PIN014"]
