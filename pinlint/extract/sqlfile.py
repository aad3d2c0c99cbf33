"""Read a .sql file (often a psql script) as one fragment.

The file is decoded as UTF-8 (a BOM is dropped); a file in a legacy encoding is read as
Latin-1, which keeps every ASCII keyword and line intact, and a note says so. psql
meta-commands and COPY data blocks are handled by the statement splitter in psql mode.
"""

from __future__ import annotations

from pinlint.model import Fragment, LineMap


def decode_sql(data: bytes) -> tuple[str, str]:
    """The text of a .sql file and a note ('' when it was clean UTF-8)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError as error:
        return data.decode("latin-1"), f"not UTF-8 (byte {error.start + 1}); read as Latin-1"


def extract_sql(text: str, path: str) -> Fragment:
    return Fragment(text=text, source_map=LineMap.for_text(text), path=path, kind="sql")
