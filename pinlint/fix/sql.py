"""SQL fixes, token-exact: in a .sql file, and in a Python string literal through its fragment's
character map (quotes, prefixes, escapes and f-string holes stay as they are).

An edit replaces whole tokens of one statement. In a Python string it is made only where every
character it changes is a plain character of one literal on one line: the map must place the
characters one after another, and the file must hold exactly those characters there; a range
that touches an escape (``\\x53``, ``\\\\``, ``{{``), a hole or the seam of an implicit
concatenation is refused, and the finding gets no fix.

Actions (rule files' ``[autofix]``, see ``schema``):

* ``set-local``: ``SET x ...`` / ``SET SESSION x ...`` -> ``SET LOCAL x ...``;
* ``set-config-local``: ``set_config(name, value, false)`` -> ``set_config(name, value, true)``;
* ``transaction-advisory-lock``: ``pg_advisory_lock(k)`` -> ``pg_advisory_xact_lock(k)``, and the
  statement ``SELECT pg_advisory_unlock(k)`` of the same string or file removed; no fix when the
  file sends another ``pg_advisory_unlock(k)`` that the fix does not remove (it would release
  nothing, and code that checks its result fails on every release).

The first two are safe when the same string (or file) opens an explicit transaction before the
trigger (``BEGIN``, ``START TRANSACTION``), ends it after (``COMMIT``, ``END``, ``ROLLBACK``,
``ABORT``) and sends nothing after that end (or the end is a rollback, which undoes a session
``SET`` too): the setting then lasts exactly as long as before, for every statement that can see
it. A psql ``\\i`` / ``\\ir`` / ``\\include`` / ``\\gexec`` after the trigger runs SQL that
pinlint does not read (it may end the transaction), so the fix is then unsafe. Elsewhere they
are unsafe (outside a transaction ``SET LOCAL`` does nothing) or not offered
(``outside-transaction = "none"``). The advisory-lock fix is
always unsafe: the lock now ends with the transaction, which must last as long as the work.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pinlint.fix.python import PythonSource, remove_unlock_call
from pinlint.fix.schema import SAFE, UNSAFE, FixSpec
from pinlint.fix.text import FileText
from pinlint.kinds.function_call import call_arguments
from pinlint.model import Autofix, CharMap, Edit, Fragment, LineMap
from pinlint.sql.lexer import OP, SEMI, STRING, WORD, Token
from pinlint.sql.statements import Statement, split_statements

_BEGIN = frozenset({"BEGIN", "START"})
_END = frozenset({"COMMIT", "END", "ROLLBACK", "ABORT"})
_FALSE_WORDS = frozenset({"FALSE"})
_FALSE_STRINGS = frozenset({"false", "f", "off", "no", "n", "0"})
# psql meta-commands that run SQL pinlint does not read: an included file, or the rows of \gexec
_UNSEEN_SQL_RE = re.compile(r"(?:^[ \t]*\\(?:i|ir|include|include_relative)|\\gexec)(?![A-Za-z_])", re.MULTILINE)
_UNSAFE_CHARACTERS = frozenset("\\{}")  # an escape's or a doubled brace's first character decodes to itself


@dataclass
class SqlSite:
    """Where a finding is in the SQL: its fragment, the fragment's statements, the statement that
    holds the finding and the finding's offset in the fragment's text."""

    fragment: Fragment
    statements: list[Statement]
    index: int
    offset: int
    fragments: Fragments | None = None  # every SQL fragment of the file
    python: PythonSource | None = None  # the Python file around a Python fragment

    @property
    def statement(self) -> Statement:
        return self.statements[self.index]


def fragment_offset(fragment: Fragment, line: int, column: int) -> int | None:
    """The offset in ``fragment``'s text of the file position (line, column), or None."""
    source_map = fragment.source_map
    if isinstance(source_map, LineMap):
        if not 1 <= line <= len(source_map.line_starts):
            return None
        offset = source_map.line_starts[line - 1] + column - 1 - source_map.base
        return offset if 0 <= offset < len(fragment.text) else None
    if isinstance(source_map, CharMap):
        for index, (at_line, at_column) in enumerate(zip(source_map.lines, source_map.columns, strict=False)):
            if at_line == line and at_column == column:
                return index
    return None


class Fragments:
    """A file's SQL fragments, with each place of theirs and their statements worked out once
    (a file's findings are looked up in them one after another)."""

    def __init__(self, fragments: Sequence[Fragment]) -> None:
        self.fragments = fragments
        self._places: dict[tuple[int, int], list[tuple[int, int]]] | None = None
        self._line_mapped: list[tuple[int, Fragment]] = []  # a .sql file's fragments, looked up by offset
        self._statements: dict[int, list[Statement]] = {}
        self._located: dict[tuple[int, int], tuple[int, int, int] | None] = {}

    def located(self, line: int, column: int) -> tuple[int, int, int] | None:
        """(fragment index, statement index, offset) of the statement at the file position, worked
        out once per position: one literal sent by many calls is a place of each call's fragment,
        and each of its findings asks again."""
        key = (line, column)
        if key not in self._located:
            self._located[key] = None
            for number, offset in self.places(line, column):
                found = [index for index, at in enumerate(self.statements(number)) if at.start <= offset < at.end]
                if found:
                    self._located[key] = (number, found[0], offset)
                    break
        return self._located[key]

    def places(self, line: int, column: int) -> list[tuple[int, int]]:
        """(fragment index, offset) of every fragment character at the file position."""
        if self._places is None:  # once per file: a loop over every fragment per finding is quadratic
            self._places = {}
            for number, fragment in enumerate(self.fragments):
                if isinstance(fragment.source_map, CharMap):
                    source_map = fragment.source_map
                    for offset, place in enumerate(zip(source_map.lines, source_map.columns, strict=False)):
                        self._places.setdefault(place, []).append((number, offset))
                elif isinstance(fragment.source_map, LineMap):
                    self._line_mapped.append((number, fragment))
        found = list(self._places.get((line, column), []))
        for number, fragment in self._line_mapped:
            at = fragment_offset(fragment, line, column)
            if at is not None:
                found.append((number, at))
        return found

    def statements(self, number: int) -> list[Statement]:
        if number not in self._statements:
            fragment = self.fragments[number]
            split = fragment.statements  # the engine's, when it split this fragment in PostgreSQL
            if split is None or any(statement.dialect != "postgres" for statement in split):
                split = split_statements(fragment.text, psql=fragment.kind == "sql", dialect="postgres")
            self._statements[number] = split
        return self._statements[number]


def locate(fragments: Fragments, line: int, column: int) -> SqlSite | None:
    """The statement at the file position (line, column), in whichever fragment holds it."""
    found = fragments.located(line, column)
    if found is None:
        return None
    number, index, offset = found
    return SqlSite(fragments.fragments[number], fragments.statements(number), index, offset, fragments)


def file_edit(fragment: Fragment, file: FileText, start: int, end: int, content: str) -> Edit | None:
    """The file edit that replaces ``fragment.text[start:end]`` by ``content``; None when the
    range is not plain characters of the file (see the module's docstring)."""
    if end <= start:
        return None
    source_map = fragment.source_map
    if isinstance(source_map, LineMap):  # a .sql file: the fragment is the file's text
        return file.edit(start + source_map.base, end + source_map.base, content)
    first_line, first_column = source_map.position(start)
    begin = file.offset(first_line, first_column)
    if begin is None:
        return None
    for index in range(start, end):
        character = fragment.text[index]
        if character in _UNSAFE_CHARACTERS or source_map.position(index) != (first_line, first_column + index - start):
            return None
        if begin + index - start >= len(file.text) or file.text[begin + index - start] != character:
            return None
    return file.edit(begin, begin + end - start, content)


def _token_edit(site: SqlSite, file: FileText, tokens: Sequence[Token], content: str) -> Edit | None:
    return file_edit(site.fragment, file, tokens[0].start, tokens[-1].end, content)


def _same_case(word: str, like: str) -> str:
    return word.lower() if like.islower() else word.upper()


def transaction_applicability(statements: Sequence[Statement], index: int) -> str:
    """``safe`` when an explicit transaction opened before statement ``index`` ends after it and
    nothing follows its end (or it ends in a rollback, which undoes a session SET as well);
    ``unsafe`` when a committed transaction is around it but statements follow; '' when no
    explicit transaction is visible."""
    begun = False
    for statement in reversed(statements[:index]):
        word = statement.leading_word
        if word in _END and not _is_rollback_to(statement):
            break
        if word in _BEGIN and _opens_transaction(statement):
            begun = True
            break
    if not begun:
        return ""
    for later in range(index + 1, len(statements)):
        statement = statements[later]
        word = statement.leading_word
        if word in _BEGIN and _opens_transaction(statement):
            return ""
        if word in _END and not _is_rollback_to(statement):
            # a rollback undoes a session SET too, so what follows it sees the same either way
            rolled_back = word in ("ROLLBACK", "ABORT")
            return SAFE if rolled_back or later == len(statements) - 1 else UNSAFE
    return ""


def _opens_transaction(statement: Statement) -> bool:
    words = [token.value for token in statement.tokens[:2] if token.kind == WORD]
    return words[:1] == ["BEGIN"] or words == ["START", "TRANSACTION"]


def _is_rollback_to(statement: Statement) -> bool:
    """``ROLLBACK TO [SAVEPOINT] x`` keeps the transaction open."""
    tokens = statement.tokens
    return len(tokens) > 1 and tokens[0].value == "ROLLBACK" and tokens[1].kind == WORD and tokens[1].value == "TO"


def _applicability(spec: FixSpec, site: SqlSite) -> str:
    found = transaction_applicability(site.statements, site.index)
    if found == SAFE and site.fragment.kind == "sql" and _UNSEEN_SQL_RE.search(site.fragment.text, site.statement.end):
        found = UNSAFE  # the included file (or the generated SQL) may end the transaction, or read the setting
    if found:
        return found
    return UNSAFE if spec.get("outside-transaction", UNSAFE) == UNSAFE else ""


def set_local(spec: FixSpec, site: SqlSite, file: FileText) -> Autofix | None:
    tokens = site.statement.tokens
    if len(tokens) < 2 or tokens[0].kind != WORD or tokens[0].value != "SET":
        return None
    applicability = _applicability(spec, site)
    if not applicability:
        return None
    text = site.fragment.text
    if tokens[1].kind == WORD and tokens[1].value == "SESSION":
        written = text[tokens[1].start : tokens[1].end]
        edit = _token_edit(site, file, tokens[1:2], _same_case("LOCAL", written))
    else:
        written = text[tokens[0].start : tokens[0].end]
        edit = _token_edit(site, file, tokens[:1], f"{written} {_same_case('LOCAL', written)}")
    return Autofix(spec.title, applicability, (edit,)) if edit else None


def _call_at(site: SqlSite) -> tuple[int, list[list[Token]], int] | None:
    """The function call whose name (or schema) starts at the site's offset: the name's index, the
    arguments and the index of the closing parenthesis."""
    tokens = site.statement.tokens
    index = next((i for i, token in enumerate(tokens) if token.start == site.offset), None)
    if index is None:
        return None
    if index + 2 < len(tokens) and tokens[index + 1].kind == OP and tokens[index + 1].value == ".":
        index += 2  # schema.function
    if index + 1 >= len(tokens) or not (tokens[index + 1].kind == OP and tokens[index + 1].value == "("):
        return None
    arguments, close = call_arguments(tokens, index + 1)
    return index, arguments, close


def set_config_local(spec: FixSpec, site: SqlSite, file: FileText) -> Autofix | None:
    call = _call_at(site)
    if call is None:
        return None
    _, arguments, _ = call
    if len(arguments) != 3 or len(arguments[2]) != 1:
        return None
    token = arguments[2][0]
    written = site.fragment.text[token.start : token.end]
    if not (
        (token.kind == WORD and token.value in _FALSE_WORDS)
        or (token.kind == STRING and token.value.strip().lower() in _FALSE_STRINGS)
    ):
        return None
    applicability = _applicability(spec, site)
    if not applicability:
        return None
    edit = _token_edit(site, file, [token], _same_case("true", written if token.kind == WORD else "t"))
    return Autofix(spec.title, applicability, (edit,)) if edit else None


def _argument_text(text: str, argument: Sequence[Token]) -> str:
    return " ".join(text[token.start : token.end] for token in argument)


def transaction_advisory_lock(spec: FixSpec, site: SqlSite, file: FileText) -> Autofix | None:
    """Rename the lock; remove its unlock when the same string or file has exactly one statement
    ``SELECT unlock(same arguments)`` after it. Without such an unlock the rename alone is
    offered (the lock was never released here: now it ends with the transaction)."""
    call = _call_at(site)
    if call is None:
        return None
    name_index, arguments, _ = call
    tokens = site.statement.tokens
    name = tokens[name_index]
    written = site.fragment.text[name.start : name.end]
    renames = {key.upper(): value for key, value in spec.get("rename", {}).items()}
    unlocks = {key.upper(): value.upper() for key, value in spec.get("unlock", {}).items()}
    if name.value not in renames:
        return None  # an unlock: removed with its lock
    rename = _token_edit(site, file, [name], _same_case(renames[name.value], written))
    if rename is None:
        return None
    wanted = (unlocks.get(name.value, ""), [_argument_text(site.fragment.text, argument) for argument in arguments])
    matches = [
        later
        for later in range(site.index + 1, len(site.statements))
        if _unlock_call(site.fragment.text, site.statements[later]) == wanted
    ]
    edits = [rename]
    title = spec.title
    removal = None
    if len(matches) == 1:
        removal = _statement_removal(site, file, site.statements[matches[0]])
        if removal is None:
            return None
    elif not matches and site.python is not None and site.fragments is not None and len(site.statements) == 1:
        removal = _unlock_call_removal(site, wanted)
    if len(_unlocks_sent(site, wanted)) > (1 if removal is not None else 0):
        return None  # an unlock the fix leaves would release nothing (and code that checks it fails)
    if removal is not None:
        edits.append(removal)
        title += f", and remove its `{wanted[0].lower()}()`"
    return Autofix(title, UNSAFE, tuple(edits))


def _unlocks_sent(site: SqlSite, wanted: tuple[str, list[str]]) -> set[tuple[int, int]]:
    """The file positions of every call of the lock's unlock with the same argument text (two
    placeholders cannot be told apart) in the SQL the file sends: in any statement of any string,
    a release path in another function of the same file too."""
    unlock, arguments = wanted
    if not unlock:
        return set()
    if site.fragments is None:
        sources = [(site.fragment, site.statements)]
    else:
        sources = [
            (fragment, site.fragments.statements(number)) for number, fragment in enumerate(site.fragments.fragments)
        ]
    found: set[tuple[int, int]] = set()
    for fragment, statements in sources:
        for statement in statements:
            tokens = statement.tokens
            for index, token in enumerate(tokens[:-1]):
                if token.kind != WORD or token.value != unlock or tokens[index + 1].value != "(":
                    continue
                given, _ = call_arguments(tokens, index + 1)
                if [_argument_text(fragment.text, argument) for argument in given] == arguments:
                    found.add(fragment.source_map.position(token.start))
    return found


def _unlock_call_removal(site: SqlSite, wanted: tuple[str, list[str]]) -> Edit | None:
    """In Python, the lock alone in its string: remove the one later call whose string is only
    the matching unlock, with the same parameters, in the same function (``remove_unlock_call``)."""
    assert site.python is not None
    found: list[Edit] = []
    assert site.fragments is not None
    for number, fragment in enumerate(site.fragments.fragments):
        if fragment.kind != "python" or fragment.sink_line <= site.fragment.sink_line:
            continue
        statements = site.fragments.statements(number)
        if len(statements) == 1 and _unlock_call(fragment.text, statements[0]) == wanted:
            removal = remove_unlock_call(site.python, site.fragment.sink_line, fragment.sink_line)
            if removal is not None:
                found.append(removal)
    return found[0] if len(found) == 1 else None


def _unlock_call(text: str, statement: Statement) -> tuple[str, list[str]] | None:
    """(function, argument texts) of a statement that is only ``SELECT f(args)``."""
    tokens = [token for token in statement.tokens if token.kind != SEMI]
    if len(tokens) < 4 or tokens[0].value != "SELECT" or tokens[1].kind != WORD:
        return None
    if not (tokens[2].kind == OP and tokens[2].value == "("):
        return None
    arguments, close = call_arguments(tokens, 2)
    if close != len(tokens) - 1:
        return None
    return tokens[1].value, [_argument_text(text, argument) for argument in arguments]


def _statement_removal(site: SqlSite, file: FileText, statement: Statement) -> Edit | None:
    """Remove ``statement`` with its ``;`` and, in a .sql file, the rest of its line when only
    blanks follow; in a Python string, with the blanks before it."""
    text = site.fragment.text
    start, end = statement.start, statement.end
    while end < len(text) and text[end] in " \t":
        end += 1
    if end < len(text) and text[end] == ";":
        end += 1
    if site.fragment.kind == "sql":
        line_end = end
        while line_end < len(text) and text[line_end] in " \t":
            line_end += 1
        if line_end < len(text) and text[line_end] in "\r\n":
            line_end += 2 if text.startswith("\r\n", line_end) else 1
            line_start = text.rfind("\n", 0, start) + 1
            if not text[line_start:start].strip():
                start, end = line_start, line_end
    else:
        while start > 0 and text[start - 1] in " \t":
            start -= 1
    return file_edit(site.fragment, file, start, end, "")


SQL_FIXERS = {
    "set-local": set_local,
    "set-config-local": set_config_local,
    "transaction-advisory-lock": transaction_advisory_lock,
}
