"""Suppression comments: ``# noqa: PIN001`` in Python, ``-- noqa``/``-- pinlint: ignore`` in SQL.

A bare ``# noqa`` does not silence pinlint: SQL strings often carry one for line length,
and a pinning risk should not vanish with it. Codes are required.

As in ruff, a noqa comment takes rule codes only (``# noqa: PIN001``): a prefix (``PIN0``) or a
rule name (``session-set``) silences nothing, and is not left to do so silently: ``misnamed_codes``
says why, for PIN100 to report (or, when PIN100 is off, for a note on the file).

As in ruff, a noqa comment after the closing quote of a multi-line string covers every line of
that string, so a finding anywhere in it (or in a call on the string's first line, such as
``await con.prepare('''...''')``) is silenced there, whatever rule found it.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

_CODES = r"(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)"
NOQA_RE = re.compile(r"#\s*noqa\s*:\s*" + _CODES, re.IGNORECASE)
FILE_NOQA_RE = re.compile(r"#\s*pinlint\s*:\s*noqa\b(?:\s*:\s*" + _CODES + ")?", re.IGNORECASE)
SQL_NOQA_RE = re.compile(r"(?:--|#)\s*noqa\s*:\s*" + _CODES, re.IGNORECASE)
SQL_IGNORE_RE = re.compile(r"(?:--|#|/\*)\s*pinlint\s*:\s*ignore\s+" + _CODES, re.IGNORECASE)
ALL = "*"
_NOQA_WORD_RE = re.compile(r"noqa", re.IGNORECASE)
# what follows a noqa comment as written, rule names and code prefixes included (session-set, PIN0)
_NOQA_WORDS_RE = re.compile(r"#\s*noqa\s*:\s*(?P<words>[\w-]+(?:[\s,]+[\w-]+)*)", re.IGNORECASE)
_CODE_SHAPE_RE = re.compile(r"[A-Z]+[0-9]+|PIN", re.IGNORECASE)


# A line ends where Python ends one (and pinlint's positions count): \n, \r\n or \r; not at the
# form feeds, \x1c-\x1e, U+0085, U+2028 and U+2029 where str.splitlines() also breaks.
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def physical_lines(text: str) -> list[str]:
    """``text``'s lines with their endings, as Python numbers them."""
    return _LINE_RE.findall(text)


def parse_codes(text: str) -> set[str]:
    return {code.upper() for code in re.split(r"[\s,]+", text.strip()) if code}


@dataclass
class PythonSuppressions:
    lines: dict[int, set[str]] = field(default_factory=dict)
    file_codes: set[str] = field(default_factory=set)  # ALL for a whole-file noqa
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # line -> 1-based columns of the noqa
    used: set[tuple[int, str]] = field(default_factory=set)  # (line, code) that silenced a finding
    string_ends: dict[int, int] = field(default_factory=dict)  # line in a multi-line string -> its last line
    misnamed: list[tuple[int, str, str]] = field(default_factory=list)  # (line, entry, why it silences nothing)

    def suppresses(self, code: str, lines: tuple[int, ...]) -> bool:
        if ALL in self.file_codes or code in self.file_codes:
            return True
        for line in lines:
            for candidate in (line, self.string_ends.get(line, line)):
                if code in self.lines.get(candidate, ()):
                    self.used.add((candidate, code))
                    return True
        return False

    def unused(self, codes: set[str]) -> list[tuple[int, str]]:
        """(line, code) of line-level noqa entries for ``codes`` that silenced nothing."""
        return sorted(
            (line, code)
            for line, found in self.lines.items()
            for code in found
            if code in codes and (line, code) not in self.used
        )


def python_suppressions(source: str, rule_codes: Mapping[str, str] | None = None) -> PythonSuppressions:
    """Collect noqa comments from real comment tokens (never from inside strings); with
    ``rule_codes`` (every rule's name -> its code), also the entries that are no rule's code.

    A file-level ``# pinlint: noqa`` counts only as a comment on a line of its own. When the
    tokenizer fails (syntax newer than this interpreter), comments are found line by line.
    """
    result = PythonSuppressions()
    if not _NOQA_WORD_RE.search(source):
        return result  # the common case, without tokenizing the whole file
    try:
        tokens = list(_tokens(source))
        comments = [
            (token.start[0], token.string, token.line.lstrip().startswith("#"), token.start[1])
            for token in tokens
            if token.type == tokenize.COMMENT
        ]
        result.string_ends = _string_ends(tokens)
    except (tokenize.TokenError, SyntaxError):
        comments = []
        for number, physical in enumerate(physical_lines(source), start=1):
            text = physical.rstrip("\r\n")
            index = text.find("#")
            if index != -1 and "noqa" in text[index:].lower():
                comments.append((number, text[index:], index == len(text) - len(text.lstrip()), index))
    for line, comment, own_line, column in comments:
        file_noqa = FILE_NOQA_RE.fullmatch(comment.strip())
        if file_noqa and own_line:
            codes = file_noqa.group("codes")
            result.file_codes |= parse_codes(codes) if codes else {ALL}
            continue
        misnamed = misnamed_codes(comment, rule_codes) if rule_codes else []
        if misnamed:
            result.misnamed.extend((line, entry, why) for entry, why in misnamed)
            words = _NOQA_WORDS_RE.search(comment)
            if words:  # where PIN100 points (the codes' own span, below, when there are codes)
                result.spans[line] = (column + words.start() + 1, column + words.end() + 1)
        noqa = NOQA_RE.search(comment)
        if noqa:
            result.lines.setdefault(line, set()).update(parse_codes(noqa.group("codes")))
            result.spans[line] = (column + noqa.start() + 1, column + noqa.end() + 1)
    return result


def misnamed_codes(comment: str, rule_codes: Mapping[str, str]) -> list[tuple[str, str]]:
    """The entries of a ``# noqa:`` comment meant for pinlint that name no rule code, each with
    why it silences nothing: a pinlint rule's name (``session-set``) or a ``PIN`` word that is not
    a code (``PIN0``, ``PIN999``). Other tools' codes (``E501``) are not pinlint's to judge; the
    list ends at the first word that is neither code-shaped nor a rule name (the comment's prose).
    ``rule_codes`` maps every rule's name to its code (the whole catalog, not the rules selected)."""
    found = _NOQA_WORDS_RE.search(comment)
    if not found:
        return []
    names, codes = rule_codes, set(rule_codes.values())
    misnamed: list[tuple[str, str]] = []
    for entry in re.split(r"[\s,]+", found.group("words").strip()):
        if entry.lower() in names:
            misnamed.append((entry, f"`{entry}` is a rule name: noqa takes its code, `{names[entry.lower()]}`"))
        elif not _CODE_SHAPE_RE.fullmatch(entry):
            break
        elif entry.upper().startswith("PIN") and entry.upper() not in codes:
            prefix = entry.upper() != "PIN" and any(code.startswith(entry.upper()) for code in codes)
            why = "noqa takes whole codes, not a prefix" if prefix else "no rule has this code"
            misnamed.append((entry, f"`{entry}` is not a rule code: {why}"))
    return misnamed


def misnamed_message(entry: str, why: str) -> tuple[str, str]:
    """The message and fix of PIN100 for a noqa entry that is not a rule code."""
    return (
        f"`noqa` entry {why}, so it silences nothing",
        f"Write the codes of the rules to silence (`pinlint rule {entry}` shows a rule by code or name)",
    )


def _tokens(source: str) -> Iterator[tokenize.TokenInfo]:
    return tokenize.generate_tokens(io.StringIO(source).readline)


# Python 3.12+ tokenizes an f-string as FSTRING_START ... FSTRING_END (3.14: TSTRING_* for t-strings).
_STRING_STARTS = {getattr(tokenize, name) for name in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, name)}
_STRING_ENDS = {getattr(tokenize, name) for name in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, name)}


def _string_ends(tokens: Iterable[tokenize.TokenInfo]) -> dict[int, int]:
    """Every line of a multi-line string (but its last) -> the string's last line."""
    ends: dict[int, int] = {}
    opened: list[int] = []  # start lines of the f-strings being read
    for token in tokens:
        if token.type in _STRING_STARTS:
            opened.append(token.start[0])
            continue
        if token.type in _STRING_ENDS and opened:
            first, last = opened.pop(), token.end[0]
        elif token.type == tokenize.STRING:
            first, last = token.start[0], token.end[0]
        else:
            continue
        if last > first and not opened:
            for line in range(first, last):
                ends.setdefault(line, last)
    return ends


def string_end_lines(source: str) -> dict[int, int]:
    """For a Python source: every line of a multi-line string (but its last) -> the string's last
    line, where a noqa comment for anything on those lines goes; {} when it does not tokenize."""
    try:
        return _string_ends(_tokens(source))
    except (tokenize.TokenError, SyntaxError):
        return {}
