"""Kind ``data-api-call`` (Python): a call of an RDS Data API client (``boto3.client("rds-data")``)
that the Data API rejects, ends with an error, or runs differently from a database connection.
The facts come from pinlint.extract.dataapi; ``check`` names one of the checks below."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pinlint.extract.dataapi import (
    DATA_API_METHODS,
    HANDED_OUT,
    NEVER,
    STATEMENT_METHODS,
    SUCCESS_PATH,
    DataApiCall,
    DataApiHit,
)
from pinlint.kinds.base import DataApiKind, Interest
from pinlint.kinds.schema import INTEGER, STRING, STRINGS, Key
from pinlint.model import HOLE
from pinlint.sql.lexer import OP, WORD, Token
from pinlint.sql.statements import Statement

MAX_SQL_CHARACTERS = 65_536  # botocore rds-data service-2.json: SqlStatement max length
# One row whatever the table holds (without GROUP BY): these aggregates return a scalar. json_agg,
# array_agg, string_agg and group_concat are left out: their one value grows with the table.
SCALAR_AGGREGATES = frozenset(
    {"COUNT", "SUM", "AVG", "MIN", "MAX", "BOOL_AND", "BOOL_OR", "EVERY", "BIT_AND", "BIT_OR", "STDDEV", "VARIANCE"}
)


def _depth_zero(statement: Statement) -> Iterator[tuple[int, Token]]:
    """The statement's tokens outside parentheses, with their index."""
    depth = 0
    for index, token in enumerate(statement.tokens):
        if token.kind == OP and token.value in ("(", "["):
            depth += 1
        elif token.kind == OP and token.value in (")", "]"):
            depth -= 1
        elif depth == 0:
            yield index, token


def _words(statement: Statement) -> list[tuple[int, str]]:
    return [(index, token.value.upper()) for index, token in _depth_zero(statement) if token.kind == WORD]


def _select_list_is_scalar(statement: Statement, words: list[tuple[int, str]]) -> bool:
    """``SELECT count(*), max(x) FROM t``: every item of the select list is a scalar aggregate."""
    tokens = statement.tokens
    start = next((index for index, word in words if word == "SELECT"), None)
    end = next((index for index, word in words if word == "FROM"), len(tokens))
    if start is None:
        return False
    items: list[list[Token]] = [[]]
    depth = 0
    for token in tokens[start + 1 : end]:
        if token.kind == OP and token.value == "(":
            depth += 1
        elif token.kind == OP and token.value == ")":
            depth -= 1
        if depth == 0 and token.kind == OP and token.value == ",":
            items.append([])
        else:
            items[-1].append(token)
    for item in items:
        head = [token for token in item if not (token.kind == WORD and token.value.upper() in ("ALL", "DISTINCT"))]
        if len(head) < 2 or head[0].value.upper() not in SCALAR_AGGREGATES or head[1].value != "(":
            return False
    return True


def _key_lookup(statement: Statement, words: list[tuple[int, str]]) -> bool:
    """A top-level ``WHERE id = ...`` (or ``..._id =``): at most one row on a table keyed by it."""
    where = next((index for index, word in words if word == "WHERE"), None)
    if where is None:
        return False
    top = [token for index, token in _depth_zero(statement) if index > where]
    for token, following in itertools.pairwise(top):
        name = token.value.lower().strip('"`')
        if following.kind == OP and following.value == "=" and (name == "id" or name.endswith("_id")):
            return True
    return False


# A hole after one of these (or after an operator) stands for an operand: a table, a value.
OPERAND_BEFORE = frozenset(
    {"FROM", "JOIN", "WHERE", "AND", "OR", "ON", "BY", "IN", "SELECT", "DISTINCT", "AS", "NOT", "LIKE", "IS"}
    | {"BETWEEN", "INTO", "TABLE", "HAVING", "WHEN", "THEN", "ELSE", "CASE", "USING", "LIMIT", "OFFSET"}
)


def _clause_hole(statement: Statement) -> bool:
    """A dynamic part that may be a whole clause: a hole of its own after a finished operand
    (``FROM t {where}``, ``... ORDER BY x {page}``): it may hold the ``LIMIT``, so pinlint does not judge."""
    top = [token for _, token in _depth_zero(statement)]
    seen_from = False
    for previous, token in itertools.pairwise(top):
        seen_from = seen_from or (previous.kind == WORD and previous.value.upper() == "FROM")
        if not seen_from or token.value != HOLE:
            continue
        if previous.kind == OP and previous.value not in (")",):
            continue
        if previous.kind == WORD and previous.value.upper() in OPERAND_BEFORE:
            continue
        return True
    return False


def unbounded_select(statement: Statement) -> bool:
    """A query whose result can grow with its tables: a ``SELECT`` (or ``WITH ... SELECT``) reading a
    table, with no ``LIMIT``/``FETCH FIRST`` at its top level, not a scalar aggregate without
    ``GROUP BY``, not a lookup on an ``id`` column, and no dynamic part that may be a clause."""
    if statement.leading_word not in ("SELECT", "WITH"):
        return False
    words = _words(statement)
    names = [word for _, word in words]
    if statement.leading_word == "WITH" and "SELECT" not in names:
        return False  # WITH ... INSERT/UPDATE/DELETE at the top level
    if "LIMIT" in names or any(a == "FETCH" and b in ("FIRST", "NEXT") for a, b in itertools.pairwise(names)):
        return False
    if "FROM" not in names:
        return False  # SELECT 1, SELECT now(), SELECT EXISTS (...)
    if "GROUP" not in names and _select_list_is_scalar(statement, words):
        return False
    return not _key_lookup(statement, words) and not _clause_hole(statement)


def session_state(statement: Statement) -> str:
    """What ``statement`` leaves on the session ('' for nothing): a session ``SET`` or a temporary table."""
    names = [word for _, word in _words(statement)]
    if not names:
        return ""
    if names[0] == "SET":
        second = names[1] if len(names) > 1 else ""
        if second in ("LOCAL", "TRANSACTION"):
            return ""
        return "a session `SET`"
    if names[0] == "CREATE" and any(word in ("TEMP", "TEMPORARY") for word in names[1:3]):
        return "a temporary table"
    return ""


def _sql_hit(call: DataApiCall, statement: Statement, captures: dict[str, str]) -> DataApiHit:
    assert call.fragment is not None
    first = statement.tokens[0]
    text = call.fragment.text
    sql = text[statement.start : statement.end].strip()
    return DataApiHit(captures, fragment=call.fragment, start=first.start, end=first.end, sql=sql)


def _select_without_limit(kind: DataApiCallMatch, call: DataApiCall) -> Iterator[DataApiHit]:
    if call.method != "execute_statement":
        return
    for statement in call.statements:
        if unbounded_select(statement):
            yield _sql_hit(call, statement, {"method": call.display})


def _multiple_statements(kind: DataApiCallMatch, call: DataApiCall) -> Iterator[DataApiHit]:
    statements = [statement for statement in call.statements if statement.tokens]
    if len(statements) > 1:
        yield _sql_hit(call, statements[1], {"method": call.display, "count": str(len(statements))})


def _sql_length(kind: DataApiCallMatch, call: DataApiCall) -> Iterator[DataApiHit]:
    if call.fragment is None or "sql" not in call.keywords:
        return
    length = len(call.fragment.text) - call.fragment.text.count(HOLE)
    if length > kind.max_characters:
        yield DataApiHit(
            {"method": call.display, "length": f"{length:,}", "limit": f"{kind.max_characters:,}"},
            span=call.keywords["sql"],
        )


def _argument(kind: DataApiCallMatch, call: DataApiCall) -> Iterator[DataApiHit]:
    if call.method in kind.methods and kind.keyword in call.keywords:
        yield DataApiHit({"method": call.display, "keyword": kind.keyword}, span=call.keywords[kind.keyword])


def _call(kind: DataApiCallMatch, call: DataApiCall) -> Iterator[DataApiHit]:
    if call.method in kind.methods:
        yield DataApiHit({"method": call.display}, span=call.span)


def _session_state(kind: DataApiCallMatch, call: DataApiCall) -> Iterator[DataApiHit]:
    if "transactionId" in call.keywords:
        return  # the calls of one transaction run on one connection
    for statement in call.statements:
        state = session_state(statement)
        if state:
            yield _sql_hit(call, statement, {"method": call.display, "state": state})


def _unfinished_transaction(kind: DataApiCallMatch, call: DataApiCall) -> Iterator[DataApiHit]:
    transaction = call.transaction
    if transaction is None or transaction.module_scope or transaction.ended in (HANDED_OUT,):
        return
    if transaction.ended == NEVER:
        how = f"`{transaction.function}()` never calls `commit_transaction` or `rollback_transaction`"
    elif transaction.ended == SUCCESS_PATH:
        how = (
            f"`{transaction.function}()` ends it only when nothing raises (no `rollback_transaction` in an"
            " `except` handler, no end in a `finally`)"
        )
    else:
        return
    yield DataApiHit({"method": call.display, "how": how}, span=call.span)


def _module_transaction(kind: DataApiCallMatch, call: DataApiCall) -> Iterator[DataApiHit]:
    transaction = call.transaction
    if transaction is not None and transaction.module_scope:
        yield DataApiHit({"method": call.display, "how": transaction.module_scope}, span=call.span)


CHECKS: dict[str, Callable[[DataApiCallMatch, DataApiCall], Iterator[DataApiHit]]] = {
    "select-without-limit": _select_without_limit,
    "multiple-statements": _multiple_statements,
    "sql-length": _sql_length,
    "argument": _argument,
    "call": _call,
    "session-state": _session_state,
    "unfinished-transaction": _unfinished_transaction,
    "module-transaction": _module_transaction,
}


@dataclass(frozen=True)
class DataApiCallMatch(DataApiKind):
    check_name: str
    methods: frozenset[str] = field(default_factory=frozenset)
    keyword: str = ""
    max_characters: int = MAX_SQL_CHARACTERS

    name = "data-api-call"
    summary = (
        "A call of an RDS Data API client: a method called on an object pinlint sees made by"
        ' `boto3.client("rds-data")` (or a session\'s `client("rds-data")`, aiobotocore\'s'
        " `create_client`, a `mypy_boto3_rds_data` annotation, a module function returning one)."
        " `check` names what is wrong with it:"
        " `select-without-limit` (a `SELECT` reading a table with no `LIMIT`/`FETCH FIRST`, not a scalar"
        " aggregate, not a lookup on an `id` column), `multiple-statements` (more than one statement in"
        " `sql`), `sql-length` (`sql` longer than `max-characters`), `argument` (`keyword` passed to one of"
        " `methods`), `call` (any call of one of `methods`), `session-state` (a session `SET` or a"
        " temporary table without `transactionId`), `unfinished-transaction` (`begin_transaction` in a"
        " function that does not end it on every path) and `module-transaction` (a transaction id kept"
        " beyond one invocation). The SQL is read by the usual SQL reader, so positions are the usual ones."
    )
    keys = (
        Key("check", STRING, "The check to run.", required=True, choices=tuple(CHECKS)),
        Key("methods", STRINGS, "The Data API methods the check reads (`argument`, `call`)."),
        Key("keyword", STRING, "The keyword argument (`argument`)."),
        Key("max-characters", INTEGER, "The longest `sql` accepted (`sql-length`).", default=f"{MAX_SQL_CHARACTERS}"),
    )

    @classmethod
    def build(cls, table: dict[str, Any]) -> DataApiCallMatch:
        check = table["check"]
        methods = frozenset(table.get("methods", STATEMENT_METHODS))
        if check == "argument" and not table.get("keyword"):
            raise ValueError("check `argument` needs `keyword`")
        return cls(
            check_name=check,
            methods=methods,
            keyword=table.get("keyword", ""),
            max_characters=table.get("max-characters", MAX_SQL_CHARACTERS),
        )

    @property
    def interest(self) -> Interest:
        return Interest(gated_call_names={frozenset({"boto3"}): DATA_API_METHODS})

    def check(self, call: DataApiCall) -> Iterator[DataApiHit]:
        return CHECKS[self.check_name](self, call)
