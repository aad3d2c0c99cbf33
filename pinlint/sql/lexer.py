"""A PostgreSQL-aware SQL lexer that keeps every token's offset.

It knows what makes keywords invisible: comments (nested ``/* */`` too), string literals
(standard, ``E''`` escape strings, ``$tag$`` dollar quotes), quoted identifiers and bind
placeholders of every DB-API paramstyle. In psql mode it also recognises backslash
meta-commands. It never fails: unknown characters become single-character operators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pinlint.model import HOLE

WORD = "word"  # unquoted identifier or keyword (value is upper-cased)
IDENT = "ident"  # "quoted identifier" (value is the identifier)
STRING = "string"  # any string literal (value is its content)
NUMBER = "number"
PARAM = "param"  # bind placeholder: %s, %(name)s, $1, :name, ?
OP = "op"  # punctuation and operators
SEMI = "semi"
COMMENT = "comment"
META = "meta"  # psql backslash command, up to the end of its line


@dataclass(slots=True)
class Token:
    kind: str
    value: str
    start: int
    end: int


_WORD_CHARS = r"A-Za-z_\u0080-\uffff" + HOLE
_WORD_RE = re.compile(rf"[{_WORD_CHARS}][{_WORD_CHARS}0-9$]*")
_NUMBER_RE = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_SPACE_RE = re.compile(r"\s+")
_DOLLAR_TAG_RE = re.compile(rf"\$(?:[A-Za-z_\u0080-\uffff{HOLE}][A-Za-z0-9_\u0080-\uffff{HOLE}]*)?\$")
_PYFORMAT_RE = re.compile(r"%(?:\([^)\s]*\))?[sbtdrf]")
_COLON_PARAM_RE = re.compile(r":[A-Za-z_][A-Za-z0-9_]*")
_OPERATOR_CHARS = set("+-*/<>=~!@#%^&|`?")


def _find_string_end(text: str, pos: int, backslash_escapes: bool) -> int:
    """Return the offset just past the closing quote of a '...' literal starting at pos."""
    index = pos + 1
    length = len(text)
    while index < length:
        char = text[index]
        if backslash_escapes and char == "\\":
            index += 2
            continue
        if char == "'":
            if index + 1 < length and text[index + 1] == "'":
                index += 2
                continue
            return index + 1
        index += 1
    return length


def tokenize(text: str, *, psql: bool = False, keep_comments: bool = True) -> list[Token]:
    """Split ``text`` into tokens; whitespace is dropped, everything else keeps its offsets."""
    tokens: list[Token] = []
    append = tokens.append
    pos = 0
    length = len(text)
    while pos < length:
        char = text[pos]
        if char.isspace():
            match = _SPACE_RE.match(text, pos)
            assert match is not None
            pos = match.end()
            continue
        if char == "-" and text.startswith("--", pos):
            end = text.find("\n", pos)
            end = length if end == -1 else end
            if keep_comments:
                append(Token(COMMENT, text[pos:end], pos, end))
            pos = end
            continue
        if char == "/" and text.startswith("/*", pos):
            depth = 0
            index = pos
            while index < length:
                if text.startswith("/*", index):
                    depth += 1
                    index += 2
                elif text.startswith("*/", index):
                    depth -= 1
                    index += 2
                    if depth == 0:
                        break
                else:
                    index += 1
            if keep_comments:
                append(Token(COMMENT, text[pos:index], pos, index))
            pos = index
            continue
        if char == "'":
            end = _find_string_end(text, pos, backslash_escapes=False)
            append(Token(STRING, text[pos + 1 : end - 1].replace("''", "'"), pos, end))
            pos = end
            continue
        if char in "eEbBxXnN" and pos + 1 < length and text[pos + 1] == "'":
            end = _find_string_end(text, pos + 1, backslash_escapes=char in "eE")
            append(Token(STRING, text[pos + 2 : end - 1], pos, end))
            pos = end
            continue
        if char in "uU" and text.startswith("&'", pos + 1):
            end = _find_string_end(text, pos + 2, backslash_escapes=False)
            append(Token(STRING, text[pos + 3 : end - 1], pos, end))
            pos = end
            continue
        if char == '"' or (char in "uU" and text.startswith('&"', pos + 1)):
            quote = pos if char == '"' else pos + 2
            index = quote + 1
            while True:
                index = text.find('"', index)
                if index == -1:
                    index = length
                    break
                if text.startswith('""', index):
                    index += 2
                    continue
                index += 1
                break
            append(Token(IDENT, text[quote + 1 : index - 1].replace('""', '"'), pos, index))
            pos = index
            continue
        if char == "$":
            previous = text[pos - 1] if pos else " "
            tag = _DOLLAR_TAG_RE.match(text, pos)
            if tag and not (previous.isalnum() or previous == "_"):
                closing = text.find(tag.group(), tag.end())
                end = length if closing == -1 else closing + len(tag.group())
                body_end = length if closing == -1 else closing
                append(Token(STRING, text[tag.end() : body_end], pos, end))
                pos = end
                continue
            number = re.match(r"\$\d+", text[pos:])
            if number:
                append(Token(PARAM, number.group(), pos, pos + len(number.group())))
                pos += len(number.group())
                continue
        if char == "\\" and psql:
            end = text.find("\n", pos)
            end = length if end == -1 else end
            append(Token(META, text[pos:end], pos, end))
            pos = end
            continue
        match = _WORD_RE.match(text, pos)
        if match:
            append(Token(WORD, match.group().upper(), pos, match.end()))
            pos = match.end()
            continue
        if char.isdigit() or (char == "." and pos + 1 < length and text[pos + 1].isdigit()):
            match = _NUMBER_RE.match(text, pos)
            assert match is not None
            append(Token(NUMBER, match.group(), pos, match.end()))
            pos = match.end()
            continue
        if char == ";":
            append(Token(SEMI, ";", pos, pos + 1))
            pos += 1
            continue
        if char == "%":
            match = _PYFORMAT_RE.match(text, pos)
            if match:
                append(Token(PARAM, match.group(), pos, match.end()))
                pos = match.end()
                continue
        if char == ":":
            if text.startswith("::", pos):
                append(Token(OP, "::", pos, pos + 2))
                pos += 2
                continue
            match = _COLON_PARAM_RE.match(text, pos)
            if match:
                append(Token(PARAM, match.group(), pos, match.end()))
                pos = match.end()
                continue
        if char == "?":
            append(Token(PARAM, "?", pos, pos + 1))
            pos += 1
            continue
        if char in _OPERATOR_CHARS:
            index = pos + 1
            while index < length and text[index] in _OPERATOR_CHARS and not text.startswith("--", index):
                index += 1
            append(Token(OP, text[pos:index], pos, index))
            pos = index
            continue
        append(Token(OP, char, pos, pos + 1))
        pos += 1
    return tokens
