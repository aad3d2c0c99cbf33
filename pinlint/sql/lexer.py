"""A dialect-aware SQL lexer (PostgreSQL or MySQL) that keeps every token's offset.

It knows what makes keywords invisible: comments (nested ``/* */`` too), string literals
(standard, ``E''`` escape strings, ``$tag$`` dollar quotes), quoted identifiers and bind
placeholders of every DB-API paramstyle. In psql mode it also recognises backslash
meta-commands. It never fails: unknown characters become single-character operators.

In MySQL mode the rules are MySQL's: ``#`` and ``-- `` comments, flat ``/* */`` comments,
executable comments ``/*! ... */`` and ``/*M! ... */`` as one EXEC token (the server runs
them), ``'...'`` and ``"..."`` strings with backslash escapes, backquoted identifiers, user
variables (``@name``, ``@'quoted'``) and system variables (``@@session.name``) as tokens of
their own, ``:=``, and no dollar quotes. An ``@`` glued to a name or a quote is the account
separator (``'app'@'%'``, ``root@localhost``), not a variable. In script mode the mysql
client's ``DELIMITER`` command is honoured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from pinlint.model import HOLE

WORD = "word"  # unquoted identifier or keyword (value is upper-cased)
IDENT = "ident"  # "quoted identifier" (value is the identifier)
STRING = "string"  # any string literal (value is its content)
NUMBER = "number"
PARAM = "param"  # bind placeholder: %s, %(name)s, $1, :name, ?
OP = "op"  # punctuation and operators
SEMI = "semi"
COMMENT = "comment"
META = "meta"  # psql backslash command, up to the end of its line (MySQL: a DELIMITER line)
USERVAR = "uservar"  # MySQL user variable: value is the upper-cased name with its @ ("@TOTAL")
SYSVAR = "sysvar"  # MySQL system variable reference: "@@SESSION.SQL_MODE", "@@AUTOCOMMIT"
EXEC = "exec-comment"  # MySQL executable comment /*! ... */ or /*M! ... */ (value: its whole text)

POSTGRES = "postgres"
MYSQL = "mysql"
DIALECTS = (POSTGRES, MYSQL)


@dataclass(slots=True)
class Token:
    kind: str
    value: str
    start: int
    end: int


_WORD_CHARS = r"A-Za-z_\u0080-\uffff" + HOLE


class _Unicode:
    """The patterns with non-ASCII ranges, compiled on first use: each takes milliseconds to
    compile, which a run that lexes no SQL (a warm run, a file without SQL) should not pay."""

    @cached_property
    def word(self) -> re.Pattern[str]:
        return re.compile(rf"[{_WORD_CHARS}][{_WORD_CHARS}0-9$]*")

    @cached_property
    def dollar_tag(self) -> re.Pattern[str]:
        return re.compile(rf"\$(?:[A-Za-z_\u0080-\uffff{HOLE}][A-Za-z0-9_\u0080-\uffff{HOLE}]*)?\$")

    @cached_property
    def mysql_name(self) -> re.Pattern[str]:
        return re.compile(rf"[A-Za-z0-9_$.\u0080-\uffff{HOLE}]+")

    @cached_property
    def mysql_sysvar(self) -> re.Pattern[str]:
        return re.compile(
            rf"@@(?:(?:global|session|local|persist|persist_only)\.)?[A-Za-z0-9_$\u0080-\uffff{HOLE}]+"
            rf"(?:\.[A-Za-z0-9_$\u0080-\uffff{HOLE}]+)?",
            re.IGNORECASE,
        )

    @cached_property
    def mysql_word(self) -> re.Pattern[str]:
        return re.compile(rf"[{_WORD_CHARS}0-9$]*[{_WORD_CHARS}$][{_WORD_CHARS}0-9$]*")


_UNICODE = _Unicode()
_NUMBER_RE = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_SPACE_RE = re.compile(r"\s+")
_PYFORMAT_RE = re.compile(r"%(?:\([^)\s]*\))?[sbtdrf]")
_COLON_PARAM_RE = re.compile(r":[A-Za-z_][A-Za-z0-9_]*")
_OPERATOR_CHARS = set("+-*/<>=~!@#%^&|`?")
# Templating placeholders of .sql files that loaders fill with text before the SQL is sent:
# ``{name}`` (str.format, procrastinate's named queries) and Jinja's ``{{ name }}``. Each is one
# word that stands for a name, as an f-string field is in Python. (``:name`` and ``%(name)s``
# are bind placeholders, PARAM tokens, in every mode.)
_TEMPLATE_RE = re.compile(r"\{\{[^{}\n]*\}\}|\{(?:[A-Za-z_][A-Za-z0-9_.]*|\d*)(?:![rsa])?\}")


def _template_placeholder(text: str, pos: int) -> Token | None:
    """The templating placeholder at ``pos`` of a .sql file, as a word that stands for a name."""
    match = _TEMPLATE_RE.match(text, pos)
    return Token(WORD, HOLE, pos, match.end()) if match else None


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


def tokenize(text: str, *, psql: bool = False, dialect: str = POSTGRES) -> list[Token]:
    """Split ``text`` into tokens; whitespace is dropped, everything else keeps its offsets.

    ``psql`` means a client script (a .sql file): psql meta-commands, or the mysql client's
    DELIMITER command in MySQL mode, and templating placeholders (``{name}``, ``{{ name }}``)."""
    if dialect == MYSQL:
        return _tokenize_mysql(text, script=psql)
    word, dollar_tag = _UNICODE.word, _UNICODE.dollar_tag
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
            tag = dollar_tag.match(text, pos)
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
        match = word.match(text, pos)
        if match:
            append(Token(WORD, match.group().upper(), pos, match.end()))
            pos = match.end()
            continue
        if char == "{" and psql and (placeholder := _template_placeholder(text, pos)) is not None:
            append(placeholder)
            pos = placeholder.end
            continue
        token = _rest(text, pos, _OPERATOR_CHARS, "::", SEMI)
        append(token)
        pos = token.end
    return tokens


ASCII_DIGITS = frozenset("0123456789")


def _rest(text: str, pos: int, operators: set[str], colon_operator: str, semicolon: str) -> Token:
    """The token at ``pos`` once comments, strings and words are ruled out: a number, ``;`` (of
    kind ``semicolon``), a placeholder, ``colon_operator`` (``::`` or ``:=``), an operator."""
    char = text[pos]
    length = len(text)
    # SQL numbers are ASCII digits: str.isdigit() is true for `³` and other Unicode digits
    if char in ASCII_DIGITS or (char == "." and pos + 1 < length and text[pos + 1] in ASCII_DIGITS):
        match = _NUMBER_RE.match(text, pos)
        assert match is not None
        return Token(NUMBER, match.group(), pos, match.end())
    if char == ";":
        return Token(semicolon, ";", pos, pos + 1)
    if char == "%":
        match = _PYFORMAT_RE.match(text, pos)
        if match:
            return Token(PARAM, match.group(), pos, match.end())
    if char == ":":
        if text.startswith(colon_operator, pos):
            return Token(OP, colon_operator, pos, pos + 2)
        match = _COLON_PARAM_RE.match(text, pos)
        if match:
            return Token(PARAM, match.group(), pos, match.end())
    if char == "?":
        return Token(PARAM, "?", pos, pos + 1)
    if char in operators:
        index = pos + 1
        while index < length and text[index] in operators and not text.startswith("--", index):
            index += 1
        return Token(OP, text[pos:index], pos, index)
    return Token(OP, char, pos, pos + 1)


_DELIMITER_RE = re.compile(r"DELIMITER[ \t]+(\S+)[^\n]*", re.IGNORECASE)


def _mysql_quoted_end(text: str, pos: int, quote: str) -> int:
    """Offset just past the closing ``quote`` of a MySQL literal starting at pos (backslash escapes)."""
    index = pos + 1
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\\" and quote != "`":
            index += 2
            continue
        if char == quote:
            if index + 1 < length and text[index + 1] == quote:
                index += 2
                continue
            return index + 1
        index += 1
    return length


def _at_line_start(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    return not text[line_start:pos].strip()


def _tokenize_mysql(text: str, *, script: bool) -> list[Token]:
    name, sysvar, mysql_word = _UNICODE.mysql_name, _UNICODE.mysql_sysvar, _UNICODE.mysql_word
    tokens: list[Token] = []
    append = tokens.append
    pos = 0
    length = len(text)
    delimiter = ";"
    while pos < length:
        char = text[pos]
        if char.isspace():
            match = _SPACE_RE.match(text, pos)
            assert match is not None
            pos = match.end()
            continue
        if delimiter != ";" and text.startswith(delimiter, pos):
            append(Token(SEMI, delimiter, pos, pos + len(delimiter)))
            pos += len(delimiter)
            continue
        if script and char in "dD" and _at_line_start(text, pos):
            directive = _DELIMITER_RE.match(text, pos)
            if directive:
                append(Token(META, directive.group(), pos, directive.end()))
                delimiter = directive.group(1)
                pos = directive.end()
                continue
        if char == "#" or (
            char == "-" and text.startswith("--", pos) and (pos + 2 >= length or text[pos + 2] in " \t\r\n\f\v")
        ):
            end = text.find("\n", pos)
            end = length if end == -1 else end
            append(Token(COMMENT, text[pos:end], pos, end))
            pos = end
            continue
        if char == "/" and text.startswith("/*", pos):
            close = text.find("*/", pos + 2)
            end = length if close == -1 else close + 2
            if text.startswith("/*!", pos) or text.startswith("/*M!", pos):
                append(Token(EXEC, text[pos:end], pos, end))
            else:
                append(Token(COMMENT, text[pos:end], pos, end))
            pos = end
            continue
        if char in "'\"":
            end = _mysql_quoted_end(text, pos, char)
            append(Token(STRING, text[pos + 1 : end - 1], pos, end))
            pos = end
            continue
        if char in "bBxXnN" and pos + 1 < length and text[pos + 1] == "'":
            end = _mysql_quoted_end(text, pos + 1, "'")
            append(Token(STRING, text[pos + 2 : end - 1], pos, end))
            pos = end
            continue
        if char == "`":
            end = _mysql_quoted_end(text, pos, "`")
            append(Token(IDENT, text[pos + 1 : end - 1].replace("``", "`"), pos, end))
            pos = end
            continue
        if char == "@":
            previous = text[pos - 1] if pos else " "
            glued = previous.isalnum() or previous in "_$'\"`" + HOLE
            if not glued and text.startswith("@@", pos):
                match = sysvar.match(text, pos)
                if match:
                    append(Token(SYSVAR, match.group().upper(), pos, match.end()))
                    pos = match.end()
                    continue
            elif not glued and pos + 1 < length:
                following = text[pos + 1]
                if following in "'\"`":
                    end = _mysql_quoted_end(text, pos + 1, following)
                    append(Token(USERVAR, "@" + text[pos + 2 : end - 1].upper(), pos, end))
                    pos = end
                    continue
                match = name.match(text, pos + 1)
                if match:
                    append(Token(USERVAR, "@" + match.group().upper(), pos, match.end()))
                    pos = match.end()
                    continue
            append(Token(OP, "@", pos, pos + 1))
            pos += 1
            continue
        match = mysql_word.match(text, pos)
        if match and not match.group().isdigit():
            append(Token(WORD, match.group().upper(), pos, match.end()))
            pos = match.end()
            continue
        if char == "{" and script and (placeholder := _template_placeholder(text, pos)) is not None:
            append(placeholder)
            pos = placeholder.end
            continue
        token = _rest(text, pos, _MYSQL_OPERATOR_CHARS, ":=", SEMI if delimiter == ";" else OP)
        append(token)
        pos = token.end
    return tokens


_MYSQL_OPERATOR_CHARS = set("+-*/<>=~!&|^%")
