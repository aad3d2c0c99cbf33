"""Decode Python string literals while remembering where each character came from.

``read_literal`` reads a literal as spelled in the source (any prefix, implicit concatenation,
f-strings: a replacement field is one hole at its ``{``); ``decode`` reads one part's body. The
decoder always moves forward: an escape it cannot read stays as written. The result is a
``Piece``: the decoded text and, for every character, the 1-based line and column of the source
character (or escape sequence) that produced it. Pieces concatenate, which is how implicit
concatenation, ``+``, f-string holes and format fields are mapped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from pinlint.model import HOLE, CharMap, Fragment
from pinlint.source import LineIndex

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


AUTOMATIC = ""  # a field filled by the next positional argument (``%s``, ``{}``)
AUTOMATIC_HOLE = "*"  # ... that takes the next argument but is never filled (``%d``, ``{:>5}``)
HOLE_FIELD = "#"  # a field never filled that takes no positional argument (``{0.name}``, ``{x!r}``)


def format_fields(piece: Piece, style: str) -> list[tuple[int, int, str | None]]:
    """The ``%`` (``style="percent"``) or ``str.format`` (``"brace"``) fields of ``piece.text``:
    (start, end, key), where key is None for ``%%``, ``{{`` and ``}}``, ``AUTOMATIC``,
    ``AUTOMATIC_HOLE`` or ``HOLE_FIELD`` as above, or the argument's index or name (``%(name)s``,
    ``{0}``, ``{name}``) for a field its argument's text fills."""
    pattern = _PERCENT_FIELD_RE if style == "percent" else _BRACE_FIELD_RE
    fields: list[tuple[int, int, str | None]] = []
    for found in pattern.finditer(piece.text):
        token = found.group()
        key: str | None
        if token in ("%%", "{{", "}}"):
            key = None
        elif style == "percent":
            named = re.fullmatch(r"%\(([^)]*)\)s", token)
            key = named.group(1) if named else (AUTOMATIC if token == "%s" else AUTOMATIC_HOLE)
            if token.startswith("%(") and not named:
                key = HOLE_FIELD
        else:
            inner = token[1:-1]
            if inner == "":
                key = AUTOMATIC
            elif inner.isdigit() or inner.isidentifier():
                key = inner
            else:
                key = AUTOMATIC_HOLE if inner[0] in "!:" else HOLE_FIELD
        fields.append((found.start(), found.end(), key))
    return fields


_LITERAL_START_RE = re.compile(r"([rRuUfFtTbB]{0,2})('''|\"\"\"|'|\")")
_BETWEEN_RE = re.compile(r"(?:[ \t\f\r\n]+|\\(?:\r\n|\r|\n)|#[^\r\n]*)*")


def read_literal(lines: LineIndex, start: int, stop: int) -> Piece:
    """The decoded text of the literal spelled in ``lines.text[start:stop]`` (its prefixes, implicit
    concatenation and comments between the parts included), every character with its position; an
    f-string's replacement fields become holes at their ``{``."""
    text = lines.text[start:stop]

    def where(index: int) -> tuple[int, int]:
        line, column = lines.position(start + index)
        return line, column + 1

    piece = Piece()
    index = 0
    while index < len(text):
        found = _LITERAL_START_RE.match(text, index)
        if not found:
            break
        prefix, quote = found.group(1).lower(), found.group(2)
        raw = "r" in prefix
        if "f" in prefix or "t" in prefix:  # a t-string (PEP 750) is spelled like an f-string
            parts, closing = _fstring_parts(text, found.end(), quote)
            for is_field, part_start, part_end in parts:
                if is_field:
                    piece.extend(Piece.hole(*where(part_start)))
                else:
                    piece.extend(decode(text[part_start:part_end], *where(part_start), raw=raw, fstring_text=True))
            end = closing + len(quote)
        else:
            end = _string_end(text, found.start(2))
            piece.extend(decode(text[found.end() : end - len(quote)], *where(found.end()), raw=raw))
        gap = _BETWEEN_RE.match(text, end)
        index = gap.end() if gap else end
    return piece


def _string_end(text: str, index: int) -> int:
    """The index just past the string literal (any prefix letters already skipped) at ``index``."""
    quote = text[index : index + 3] if text[index : index + 3] in ('"""', "'''") else text[index]
    cursor = index + len(quote)
    while cursor < len(text):
        if text[cursor] == "\\":
            cursor += 2
        elif text.startswith(quote, cursor):
            return cursor + len(quote)
        else:
            cursor += 1
    return len(text)


def _field_end(text: str, index: int) -> int:
    """The index just past the f-string replacement field ``{...}`` that starts at ``index``:
    brackets, strings and a format spec (with its own nested fields) included."""
    depth = 0
    cursor = index + 1
    while cursor < len(text):
        char = text[cursor]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return cursor + 1
            depth -= 1
        elif char in "'\"":
            cursor = _string_end(text, cursor)
            continue
        elif char == "#":  # a comment inside a field (PEP 701)
            newline = text.find("\n", cursor)
            cursor = len(text) if newline == -1 else newline
            continue
        elif char == ":" and depth == 0:  # the format spec: text and nested fields up to the "}"
            cursor += 1
            while cursor < len(text) and text[cursor] != "}":
                cursor = _field_end(text, cursor) if text[cursor] == "{" else cursor + 1
            return min(cursor + 1, len(text))
        cursor += 1
    return len(text)


def _fstring_parts(text: str, start: int, quote: str) -> tuple[list[tuple[bool, int, int]], int]:
    """The parts of an f-string body that starts at ``start`` in ``text``: (is a field, start, end)
    spans, text and replacement fields in order, and the index of the closing quote. ``{{`` and
    ``}}`` stay in the text, a whole ``{...}`` field is one part (one hole)."""
    parts: list[tuple[bool, int, int]] = []
    cursor = text_start = start
    while cursor < len(text):
        char = text[cursor]
        if char == "\\":
            cursor += 2
        elif text.startswith(quote, cursor):
            if cursor > text_start:
                parts.append((False, text_start, cursor))
            return parts, cursor
        elif char in "{}" and text[cursor : cursor + 2] in ("{{", "}}"):
            cursor += 2
        elif char == "{":
            if cursor > text_start:
                parts.append((False, text_start, cursor))
            end = _field_end(text, cursor)
            parts.append((True, cursor, end))
            cursor = text_start = end
        else:
            cursor += 1
    if len(text) > text_start:
        parts.append((False, text_start, len(text)))
    return parts, len(text)
