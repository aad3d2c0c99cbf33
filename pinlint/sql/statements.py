"""Split a fragment's tokens into statements.

A statement ends at a top-level ``;``. Bodies written as SQL-standard ``BEGIN ATOMIC ... END``
keep their semicolons. In psql mode, backslash meta-commands end the statement in progress
and are dropped, and the data block that follows ``COPY ... FROM STDIN`` (up to ``\\.``) is
skipped, so that neither is ever read as SQL.

In MySQL mode a stored program sent as one string (``CREATE PROCEDURE ... BEGIN ...; END``)
keeps its inner semicolons, and in a script the ``DELIMITER`` command decides where
statements end.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from pinlint.sql.lexer import COMMENT, META, MYSQL, OP, POSTGRES, SEMI, WORD, Token, tokenize

UNPARSED: Any = object()  # Statement.tree before pinlint.sql.tree parsed it

_COPY_END_RE = re.compile(r"^\\\.[ \t]*\r?$", re.MULTILINE)
# aiosql's query name comment: one name (letters, digits, ``_``, ``-``, ``.``) and its suffix
_QUERY_NAME_RE = re.compile(r"--\s*name:\s*[A-Za-z_][\w.-]*(?:<!|\*!|[!#^$])?\s*$")


@dataclass
class Statement:
    """One statement of a fragment: its code tokens, its comments, and its span in the text."""

    tokens: list[Token]
    comments: list[Token] = field(default_factory=list)
    start: int = 0
    end: int = 0
    dialect: str = POSTGRES
    tree: Any = field(default=UNPARSED, repr=False, compare=False)  # sqlglot's, once asked (pinlint.sql.tree)

    @property
    def leading_word(self) -> str:
        """The statement's first keyword, past opening parentheses (``(SELECT ...)``); '' if none."""
        for token in self.tokens:
            if token.kind == WORD:
                return token.value
            if not (token.kind == OP and token.value == "("):
                return ""
        return ""


def _is_copy_from_stdin(tokens: list[Token]) -> bool:
    if not tokens or tokens[0].kind != WORD or tokens[0].value != "COPY":
        return False
    values = [token.value for token in tokens if token.kind == WORD]
    return any(a == "FROM" and b == "STDIN" for a, b in itertools.pairwise(values))


_BLOCK_ENDERS = frozenset(["IF", "LOOP", "WHILE", "REPEAT", "CASE"])


def _mysql_compound_change(tokens: list[Token], index: int, current: list[Token], case_depth: list[int]) -> int:
    """+1 when ``tokens[index]`` opens a BEGIN ... END block of a stored program being created,
    -1 when it closes one; CASE ... END expressions and END IF / END LOOP... are not blocks."""
    token = tokens[index]
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    if token.value == "BEGIN":
        if not current or current[0].value != "CREATE":
            return 0  # BEGIN as a transaction start
        if following is not None and following.kind == WORD and following.value == "WORK":
            return 0
        return 1
    if token.value == "CASE" and not (index and tokens[index - 1].value == "END"):
        case_depth[0] += 1
        return 0
    if token.value == "END":
        if following is not None and following.kind == WORD and following.value in _BLOCK_ENDERS:
            return 0
        if case_depth[0]:
            case_depth[0] -= 1
            return 0
        return -1
    return 0


def _starts_line(text: str, offset: int) -> bool:
    """Whether only blanks stand between the start of the line and ``offset``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return not text[line_start:offset].strip()


def split_statements(text: str, *, psql: bool = False, dialect: str = POSTGRES) -> list[Statement]:
    """Tokenize ``text`` and return its statements, comments attached to the one they precede."""
    statements: list[Statement] = []
    tokens = tokenize(text, psql=psql, dialect=dialect)
    mysql = dialect == MYSQL
    current = Statement(tokens=[], dialect=dialect)
    atomic_depth = 0
    case_depth = [0]
    skip_until = -1

    def close(end: int) -> None:
        nonlocal current, atomic_depth
        if current.tokens:
            current.end = end
            statements.append(current)
            current = Statement(tokens=[], dialect=dialect)
        atomic_depth = 0
        case_depth[0] = 0

    for index, token in enumerate(tokens):
        if token.start < skip_until:
            continue
        if token.kind == COMMENT:
            if psql and _QUERY_NAME_RE.match(token.value) and _starts_line(text, token.start):
                close(token.start)
                current.comments = []
            current.comments.append(token)
            continue
        if token.kind == META:
            close(token.start)
            current.comments = []
            continue
        if token.kind == SEMI and atomic_depth == 0:
            copy_data = psql and _is_copy_from_stdin(current.tokens)
            close(token.end)
            if copy_data:
                terminator = _COPY_END_RE.search(text, token.end)
                skip_until = terminator.end() if terminator else len(text)
            continue
        if token.kind == WORD and mysql:
            if token.value in ("BEGIN", "CASE", "END") and current.tokens and current.tokens[0].value == "CREATE":
                atomic_depth = max(atomic_depth + _mysql_compound_change(tokens, index, current.tokens, case_depth), 0)
        elif token.kind == WORD:
            if token.value == "ATOMIC" and index and tokens[index - 1].value == "BEGIN":
                atomic_depth += 1
            elif token.value == "END" and atomic_depth and tokens[index - 1].kind == SEMI:
                atomic_depth -= 1
        if not current.tokens:
            current.start = token.start
        current.tokens.append(token)
    close(len(text))
    return statements
