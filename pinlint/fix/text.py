"""Places in a file's text for the fix stage: (line, column) <-> offset, as the file's kind counts
lines (Python: CPython's line ends; a .sql file: ``\\n``, as its fragment's ``LineMap`` does), and
the edit that turns one text into another."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from pinlint.model import Edit

_PYTHON_LINE_END_RE = re.compile(r"\r\n|\r|\n")


class FileText:
    """A file's text and its line starts."""

    def __init__(self, text: str, *, sql: bool) -> None:
        self.text = text
        self.sql = sql
        pattern = re.compile(r"\n") if sql else _PYTHON_LINE_END_RE
        self.starts = [0, *(match.end() for match in pattern.finditer(text))]

    def offset(self, line: int, column: int) -> int | None:
        """The offset of 1-based (line, column), or None when it is not in the text."""
        if not 1 <= line <= len(self.starts) or column < 1:
            return None
        offset = self.starts[line - 1] + column - 1
        return offset if offset <= len(self.text) else None

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, column) of ``offset``."""
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def edit(self, start: int, end: int, content: str) -> Edit:
        """The edit replacing ``text[start:end]`` by ``content``."""
        return Edit(*self.position(start), *self.position(end), content)

    def span(self, edit: Edit) -> tuple[int, int] | None:
        """The offsets an edit replaces, or None when it does not fit this text."""
        start, end = self.offset(edit.line, edit.column), self.offset(edit.end_line, edit.end_column)
        if start is None or end is None or end < start:
            return None
        return start, end


def apply_edits(text: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """``text`` with each (start, end, content) applied; the spans must not overlap."""
    pieces = []
    last = 0
    for start, end, content in sorted(spans):
        pieces.append(text[last:start])
        pieces.append(content)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def differing_span(old: str, new: str) -> tuple[int, int, str] | None:
    """What turns ``old`` into ``new`` as one replacement: the offsets in ``old`` of what the two do
    not share at either end, and its new text, never splitting a CR LF; None when they are equal."""
    if old == new:
        return None
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    if 0 < prefix < len(old) and old[prefix - 1] == "\r" and old[prefix] == "\n":
        prefix -= 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    cut = len(old) - suffix
    if 0 < cut < len(old) and old[cut - 1] == "\r" and old[cut] == "\n":
        suffix -= 1
    return prefix, len(old) - suffix, new[prefix : len(new) - suffix]


def minimal_edit(old: str, new: str, file: FileText) -> Edit | None:
    """The one edit that turns ``old`` (``file``'s text) into ``new`` (``differing_span``)."""
    span = differing_span(old, new)
    return None if span is None else file.edit(*span)
