"""Gitignore-style patterns, read as git reads them: ``.gitignore`` lines, and the globs of
``exclude``, ``extend-exclude``, ``per-file-ignores`` and ``per-path-dialect``.

pathspec does the matching. Before a pattern reaches it, its bracket expressions are read the
way git's wildmatch reads them, because pathspec copies them into a Python regex and Python
does not agree with git on three points:

* POSIX classes (``[[:digit:]]``) are expanded to the characters they name (``re`` has none);
  an unknown class (``[[:bogus:]]``) makes git match nothing with the pattern;
* a reversed range (``[z-a]``) matches its first character only in git (wildmatch compares the
  ``z`` before it sees the range, which then holds nothing); ``re`` refuses it;
* an unclosed ``[`` makes git match nothing; pathspec would read it as a literal ``[``.

A ``.gitignore`` line that git tolerates but that can never match (a trailing backslash, a lone
``!``, an unknown class, an unclosed bracket) is dropped, as git drops it: it never stops the run.
:func:`pattern_problem` says what is wrong with such a pattern when the user wrote it in the
configuration, where it is an error. Compiling never prints Python's FutureWarnings (``[[`` in a
set is a literal ``[`` today, which is also git's reading).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from typing import Any

import pathspec

POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "blank": " \t",
    "cntrl": "\x01-\x1f\x7f",
    "digit": "0-9",
    "graph": '"-~!',  # no class may start with `!` or `^`: pathspec would read a negation
    "lower": "a-z",
    "print": " -~",
    "punct": ":-@!-/[-`{-~",
    "space": " \t\n\v\f\r",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _bracket(pattern: str, start: int) -> tuple[str, int, str, str]:
    """Read the bracket expression opening at ``pattern[start]`` as wildmatch does: (its text in a
    form pathspec and ``re`` read the same way, the index after it, a note for the user about a
    reversed range, '' or why git matches nothing with the whole pattern)."""
    index = start + 1
    if index < len(pattern) and pattern[index] in "!^":
        index += 1
    head = pattern[start:index]
    items: list[str] = []
    previous = ""  # the last single character, which a following `-x` makes a range from
    changed = False
    note = ""
    first = True
    while True:
        if index >= len(pattern):
            return "", index, "", f"the `[` at position {start + 1} is never closed"
        char = pattern[index]
        if char == "]" and not first:
            break
        first = False
        if char == "\\" and index + 1 < len(pattern):
            items.append(pattern[index : index + 2])
            previous, index = pattern[index + 1], index + 2
            continue
        if char == "[" and pattern.startswith(":", index + 1):
            end = pattern.find("]", index + 2)
            if end < 0:
                return "", index, "", f"the `[` at position {start + 1} is never closed"
            if pattern[end - 1] == ":" and end - 1 >= index + 2:
                name = pattern[index + 2 : end - 1]
                if name not in POSIX_CLASSES:
                    known = ", ".join(sorted(POSIX_CLASSES))
                    return "", index, "", f"`[:{name}:]` is not a character class (known: {known})"
                items.append(POSIX_CLASSES[name])
                previous, index, changed = "", end + 1, True
                continue
        if char == "-" and previous and index + 1 < len(pattern) and pattern[index + 1] != "]":
            step = 2 if pattern[index + 1] == "\\" and index + 2 < len(pattern) else 1
            high = pattern[index + step]
            if high < previous:
                note = f"the range `{previous}-{high}` is reversed"
                changed = True  # git has matched `previous` already; the range adds nothing
            else:
                items.append(pattern[index : index + step + 1])
            previous, index = "", index + step + 1
            continue
        items.append(char)
        previous, index = char, index + 1
    text = head + "".join(items) + "]" if changed else pattern[start : index + 1]
    return text, index + 1, note, ""


def translate(pattern: str) -> tuple[str, str, str]:
    """(the pattern as pathspec should see it, a note on a reversed range, '') or ('', '', why git
    matches nothing with it)."""
    body = pattern.rstrip(" ")
    backslashes = len(body) - len(body.rstrip("\\"))
    if backslashes % 2 and body == pattern:  # before a trailing space, a backslash escapes it
        return "", "", "ends with a backslash that escapes nothing"
    if body == "!":
        return "", "", "is a lone `!` (a negation of nothing)"
    out: list[str] = []
    notes: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
        elif char == "[":
            text, index, note, problem = _bracket(pattern, index)
            if problem:
                return "", "", problem
            out.append(text)
            notes.extend([note] if note else [])
        else:
            out.append(char)
            index += 1
    return "".join(out), "; ".join(notes), ""


def _compile(lines: Iterable[str]) -> pathspec.PathSpec[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return pathspec.GitIgnoreSpec.from_lines(lines)


def compile_regex(pattern: str) -> re.Pattern[str]:
    """``re.compile`` without FutureWarnings (for the combined regex of a spec)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(pattern)


def gitignore_spec(lines: Iterable[str]) -> pathspec.PathSpec[Any]:
    """The lines of a .gitignore file, with the lines git cannot match with dropped."""
    kept = []
    for line in lines:
        text, _, problem = translate(line)
        if problem:
            continue
        try:
            _compile([text])
        except (ValueError, re.error):  # pathspec's GitIgnorePatternError is a ValueError
            continue
        kept.append(text)
    return _compile(kept)


def pattern_problem(pattern: str) -> str:
    """Why a glob written in the configuration is wrong ('' when it is fine)."""
    if not pattern.strip():
        return "an empty pattern matches nothing"
    text, note, problem = translate(pattern)
    if problem or note:
        return problem or note
    try:
        _compile([text])
    except (ValueError, re.error) as error:
        return str(error)
    return ""


def config_spec(patterns: Iterable[str]) -> pathspec.PathSpec[Any]:
    """Configured globs (already checked with :func:`pattern_problem`) as one spec."""
    return _compile(translate(pattern)[0] for pattern in patterns)
