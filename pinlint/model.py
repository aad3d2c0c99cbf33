"""Plain data passed between the pipeline stages: fragments, statements, findings."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Protocol

# A dynamic part of a Python string (an f-string hole, a %-format or .format() field, a
# non-string operand of +) is replaced by this private-use character in a fragment's text.
# The SQL lexer treats it as part of a word, so a hole can stand for a name but never
# for a keyword, and it counts as zero bytes in size checks.
HOLE = "\ue000"


class SourceMap(Protocol):
    """Maps an offset in a fragment's text back to a 1-based (line, column) in the source file."""

    def position(self, offset: int) -> tuple[int, int]: ...


@dataclass(frozen=True)
class LineMap:
    """Identity map for a fragment that is a whole file (or a slice of one at ``base``)."""

    line_starts: tuple[int, ...]
    base: int = 0

    @classmethod
    def for_text(cls, text: str) -> LineMap:
        starts = [0]
        index = text.find("\n")
        while index != -1:
            starts.append(index + 1)
            index = text.find("\n", index + 1)
        return cls(tuple(starts))

    def position(self, offset: int) -> tuple[int, int]:
        absolute = self.base + offset
        line = bisect.bisect_right(self.line_starts, absolute) - 1
        return line + 1, absolute - self.line_starts[line] + 1


@dataclass
class CharMap:
    """Per-character map for text decoded from Python string literals."""

    lines: list[int] = field(default_factory=list)
    columns: list[int] = field(default_factory=list)
    end: tuple[int, int] = (1, 1)

    def position(self, offset: int) -> tuple[int, int]:
        if offset < len(self.lines):
            return self.lines[offset], self.columns[offset]
        return self.end


@dataclass
class Fragment:
    """One piece of SQL as it reaches the database, with the way back to its source."""

    text: str
    source_map: SourceMap
    path: str
    kind: str  # "python" or "sql"
    sink: str = ""  # the call it reaches, e.g. "cur.execute"
    sink_line: int = 0  # line of that call
    noqa_lines: tuple[int, ...] = ()  # extra lines whose noqa comment covers this fragment
    via_name: str = ""  # the variable name the SQL travelled through, if any
    group: int = 0  # fragments that are possible values of one argument share a group (0: alone)
    conditions: tuple[tuple[str, bool], ...] = ()  # when this value is the one sent: (test, is true)
    read_from: str = ""  # a file's text read at run time and sent whole (only whole-text checks apply)
    sink_place: str = ""  # a sink in another module: " in common/db.py:12 through `execute_query()`"
    # text another module's function returns: the end (line, last column) of the call that gives it,
    # which a finding underlines whole, and where that function is (" in locklib/lock.py:8")
    call_end: tuple[int, int] | None = None
    returned_in: str = ""
    # its statements (pinlint.sql.statements.Statement, which imports this module), once the
    # engine has split them: the fix stage reads them again
    statements: list[Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Edit:
    """Replace the file's text from (line, column) to (end_line, end_column) by ``content``:
    1-based lines (as the file's kind counts them), 1-based columns in code points, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True)
class Autofix:
    """An edit that fixes a finding (pinlint.fix): ``safe`` when behaviour is provably the same,
    ``unsafe`` when the user must check it (applied only with ``--unsafe-fixes``)."""

    title: str
    applicability: str  # "safe" or "unsafe"
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Finding:
    """One rule violation at one place; what every output format renders."""

    code: str
    name: str
    message: str  # what and where, one short line
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: str
    fix: str
    targets: dict[str, str]
    sql: str = ""
    noqa_lines: tuple[int, ...] = ()
    dialect: str = ""  # SQL findings: the dialect the statement was read in
    dialect_reason: str = ""  # ... and why (``imports pymysql (line 3)``)
    consequence: str = ""  # what happens on the poolers, one sentence (the rule's ``consequence``)
    pooler: str = ""  # `--target auto`: the pooler(s) the file's function goes through, and what showed it
    autofix: Autofix | None = None  # the edit that fixes it, when the rule has one (pinlint.fix)

    def fixable(self, unsafe: bool = False) -> bool:
        """Whether ``--fix`` applies its fix (an unsafe one only with ``--unsafe-fixes``)."""
        return self.autofix is not None and (unsafe or self.autofix.applicability == "safe")

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)
