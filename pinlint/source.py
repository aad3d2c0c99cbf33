"""The lines of a Python file as CPython counts them, and every conversion between places in it.

CPython ends a line only at ``\\n``, ``\\r\\n`` or ``\\r``. ``str.splitlines()`` also breaks at a
form feed, ``\\v``, ``\\x1c``-``\\x1e``, U+0085, U+2028 and U+2029, so a position computed with it
drifts after such a character; nothing in pinlint splits Python source any other way than here.
``ast`` gives columns as UTF-8 byte offsets, libcst and pinlint's findings as characters; the
conversion between the two is ``LineIndex.column`` and ``LineIndex.byte_offset``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

_LINE_END_RE = re.compile(r"\r\n|\r|\n")


class LineIndex:
    """Line starts of one source text (built once per file), and conversions of places in it.

    Lines are 1-based. Character columns are 0-based here (``ast``'s convention, in characters
    instead of bytes); the callers that report add one."""

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        starts.extend(match.end() for match in _LINE_END_RE.finditer(text))
        self.starts = starts
        self._ascii: list[bool | None] = [None] * len(starts)

    @property
    def count(self) -> int:
        """How many lines the text has."""
        return len(self.starts)

    def line_text(self, line: int) -> str:
        """Line ``line`` with its line end (empty past the end of the text)."""
        if not 1 <= line <= len(self.starts):
            return ""
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return self.text[self.starts[line - 1] : end]

    def _is_ascii(self, line: int) -> bool:
        known = self._ascii[line - 1]
        if known is None:
            known = self._ascii[line - 1] = self.line_text(line).isascii()
        return known

    def column(self, line: int, byte_offset: int) -> int:
        """The 0-based character column of ``ast``'s UTF-8 ``byte_offset`` on ``line``."""
        if not 1 <= line <= len(self.starts) or self._is_ascii(line):
            return byte_offset
        return len(self.line_text(line).encode("utf-8")[:byte_offset].decode("utf-8", errors="replace"))

    def byte_offset(self, line: int, column: int) -> int:
        """The UTF-8 byte offset of the 0-based character ``column`` on ``line`` (what ``ast`` gives)."""
        if not 1 <= line <= len(self.starts) or self._is_ascii(line):
            return column
        return len(self.line_text(line)[:column].encode("utf-8"))

    def offset(self, line: int, column: int) -> int:
        """The offset in the text of (1-based line, 0-based character column)."""
        if line > len(self.starts):
            return len(self.text)
        return self.starts[max(line, 1) - 1] + column

    def position(self, offset: int) -> tuple[int, int]:
        """(1-based line, 0-based character column) of a text offset."""
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1]

    def lines_of(self, offsets: Iterable[int]) -> list[int]:
        """The sorted distinct lines of some text offsets."""
        return sorted({bisect.bisect_right(self.starts, offset) for offset in offsets})
