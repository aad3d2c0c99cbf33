"""Decode Python string literals while remembering where each character came from.

The result is a ``Piece``: the decoded text and, for every character, the 1-based line and
column of the source character (or escape sequence) that produced it. Pieces concatenate,
which is how implicit concatenation, ``+``, f-string holes and format fields are mapped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from pinlint.model import HOLE, CharMap, Fragment

_SIMPLE_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_PERCENT_FIELD_RE = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsab%]")
_BRACE_FIELD_RE = re.compile(r"\{\{|\}\}|\{[^{}]*\}")


@dataclass
class Piece:
    text: str = ""
    lines: list[int] = field(default_factory=list)
    columns: list[int] = field(default_factory=list)

    def extend(self, other: Piece) -> None:
        self.text += other.text
        self.lines.extend(other.lines)
        self.columns.extend(other.columns)

    @classmethod
    def hole(cls, line: int, column: int) -> Piece:
        return cls(HOLE, [line], [column])

    def end_position(self) -> tuple[int, int]:
        if not self.lines:
            return (1, 1)
        return self.lines[-1], self.columns[-1] + 1

    def fragment(self, path: str, sink: str, sink_line: int, noqa_lines: set[int], via_name: str) -> Fragment:
        """The SQL fragment this piece is, as an argument of the sink call ``sink`` on ``sink_line``."""
        return Fragment(
            text=self.text,
            source_map=CharMap(self.lines, self.columns, self.end_position()),
            path=path,
            kind="python",
            sink=sink,
            sink_line=sink_line,
            noqa_lines=tuple(sorted(noqa_lines)),
            via_name=via_name,
        )


def decode(body: str, line: int, column: int, *, raw: bool, fstring_text: bool = False) -> Piece:
    """Decode the body of a literal that starts at (line, column), both 1-based."""
    chars: list[str] = []
    lines: list[int] = []
    columns: list[int] = []
    index = 0
    length = len(body)
    current_line, current_column = line, column

    def advance(count: int) -> None:
        """Move past ``count`` (at least one) characters, counting lines as CPython does."""
        nonlocal index, current_line, current_column
        for offset in range(index, index + max(count, 1)):
            char = body[offset] if offset < length else ""
            if char == "\n" or (char == "\r" and body[offset + 1 : offset + 2] != "\n"):
                current_line += 1
                current_column = 1
            else:
                current_column += 1
        index += max(count, 1)  # never backwards, never in place: the loop always ends

    while index < length:
        char = body[index]
        here_line, here_column = current_line, current_column
        if fstring_text and char in "{}" and body[index : index + 2] in ("{{", "}}"):
            chars.append(char)
            lines.append(here_line)
            columns.append(here_column)
            advance(2)
            continue
        if char != "\\" or raw:
            chars.append(char)
            lines.append(here_line)
            columns.append(here_column)
            advance(1)
            continue
        nxt = body[index + 1] if index + 1 < length else ""
        decoded: str | None
        size = 2
        if not nxt:  # a backslash at the very end (libcst accepts what CPython would not)
            decoded, size = "\\", 1
        elif nxt == "\n":
            decoded = ""
        elif nxt == "\r":  # a line continuation in a file with \r\n or \r line ends
            decoded = ""
            size = 3 if body[index + 2 : index + 3] == "\n" else 2
        elif nxt in _SIMPLE_ESCAPES:
            decoded = _SIMPLE_ESCAPES[nxt]
        elif nxt in "01234567":
            digits = re.match(r"[0-7]{1,3}", body[index + 1 :])
            assert digits is not None
            decoded = chr(int(digits.group(), 8))
            size = 1 + len(digits.group())
        elif nxt in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[nxt]
            digits_text = body[index + 2 : index + 2 + width]
            try:
                decoded = chr(int(digits_text, 16))
                size = 2 + width
            except ValueError:
                decoded = "\\" + nxt
        elif nxt == "N" and body.find("}", index + 3) != -1 and body[index + 2 : index + 3] == "{":
            close = body.find("}", index + 3)
            try:
                decoded = unicodedata.lookup(body[index + 3 : close])
            except KeyError:
                decoded = "?"
            size = close - index + 1
        else:
            decoded = "\\" + nxt
        for out in decoded:
            chars.append(out)
            lines.append(here_line)
            columns.append(here_column)
        advance(size)
    return Piece("".join(chars), lines, columns)


def with_fields_as_holes(piece: Piece, style: str) -> Piece:
    """Replace %-format (``style="percent"``) or str.format (``"brace"``) fields by holes."""
    pattern = _PERCENT_FIELD_RE if style == "percent" else _BRACE_FIELD_RE
    result = Piece()
    last = 0
    for found in pattern.finditer(piece.text):
        start, end = found.span()
        result.extend(Piece(piece.text[last:start], piece.lines[last:start], piece.columns[last:start]))
        token = found.group()
        if token in ("%%", "{{", "}}"):
            result.extend(Piece(token[0], [piece.lines[start]], [piece.columns[start]]))
        else:
            result.extend(Piece.hole(piece.lines[start], piece.columns[start]))
        last = end
    result.extend(Piece(piece.text[last:], piece.lines[last:], piece.columns[last:]))
    return result
