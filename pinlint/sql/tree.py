"""The boundary around sqlglot: the tree of one statement, or None.

sqlglot is a second opinion on a statement the token patterns already matched. Whatever goes
wrong inside it (a parse error, and also any other exception: an ``UnboundLocalError`` on an
incomplete ``CREATE TEMP TABLE ... PARTITION OF`` was one) means "sqlglot cannot read this
statement", and the keyword-level match stands. The run never ends because of it.
"""

from __future__ import annotations

import logging
from typing import Any

from pinlint.model import HOLE
from pinlint.sql.statements import UNPARSED, Statement

_logger_quiet = False


def parse_tree(sql: str, dialect: str) -> Any:
    """The sqlglot tree of one statement's text, or None when sqlglot cannot read it."""
    global _logger_quiet
    import sqlglot
    from sqlglot.errors import ErrorLevel

    if not _logger_quiet:
        logging.getLogger("sqlglot").setLevel(logging.CRITICAL)
        _logger_quiet = True
    try:
        trees = sqlglot.parse(sql.replace(HOLE, "pinlint_hole"), read=dialect, error_level=ErrorLevel.RAISE)
    except Exception:  # any failure of the second opinion leaves the keyword-level result
        return None
    return trees[0] if len(trees) == 1 else None


def statement_tree(statement: Statement, text: str) -> Any:
    """The tree of ``statement`` (in ``text``, its fragment), parsed once per statement."""
    if statement.tree is UNPARSED:
        statement.tree = parse_tree(text[statement.start : statement.end].rstrip().rstrip(";"), statement.dialect)
    return statement.tree
