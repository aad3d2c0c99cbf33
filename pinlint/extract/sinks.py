"""Which calls send SQL to the database (sinks), and the cheap text test that decides whether
a Python file is worth parsing at all. No libcst here: importing this module is cheap."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from pinlint.pymodel import name_alternation
from pinlint.pystrings import Piece

METHOD_SINKS = frozenset(
    {
        "execute",
        "executemany",
        "mogrify",
        "fetch",
        "fetchrow",
        "fetchval",
        "cursor",
        "prepare",
        "exec_driver_sql",
        "raw",
        "read_sql",
        "read_sql_query",
        "execute_statement",
        "batch_execute_statement",
        "copy_expert",  # psycopg2: copy_expert(sql, file)
        "copy_from_query",  # asyncpg: copy_from_query(query, *args, output=...)
        "exec_",  # psycopg 3's libpq level: conn.pgconn.exec_(b"..."), and the same command in:
        "exec_params",
        "send_query",
        "send_query_params",
    }
)
# Method names too common to be sinks by name alone (``dict.copy()``, ``shutil.copy(src, dst)``):
# such a call sends SQL only when its argument is a statement that begins with the keyword given
# (psycopg 3's ``cursor.copy("COPY ...")``), and a file is parsed for it only when its text
# shows that keyword as SQL (``COPY_TEXT``).
STATEMENT_SINKS = {"copy": "COPY"}
COPY_TEXT = re.compile(r"\bCOPY\b|(?i:\bcopy\b[^\n]*\b(?:from\s+stdin|to\s+stdout)\b)")
FUNCTION_SINKS = frozenset(
    {
        "sqlalchemy.text",
        "sqlalchemy.sql.text",
        "sqlalchemy.sql.expression.text",
        "sqlmodel.text",
        "django.db.migrations.RunSQL",
        "django.db.migrations.operations.RunSQL",
        "django.db.migrations.operations.special.RunSQL",
        "pandas.read_sql",
        "pandas.read_sql_query",
        "alembic.op.execute",
    }
)
# DB-API ``cursor.callproc(name, parameters)``: psycopg2 and aiopg send ``SELECT * FROM
# name(%s, ...)``, a function call that the SQL-function rules read (``callproc("pg_advisory_lock",
# (1,))`` takes a session lock). pg8000 sends ``CALL name(...)``, which PostgreSQL refuses for a
# function, and the MySQL drivers send ``CALL`` through user variables (PIN218): in a module that
# imports one of those, ``callproc`` is not this sink.
PROCEDURE_SINKS = frozenset({"callproc"})
PROCEDURE_PARAMETERS = ("parameters", "vars", "args")  # the keyword of the second argument
CALL_SENDING_LIBRARIES = frozenset({"pg8000", "pymysql", "MySQLdb", "mysql", "aiomysql", "asyncmy", "mariadb"})
SQL_KEYWORDS = ("sql", "query", "statement", "operation")
_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*(\w+)", re.DOTALL)


def begins_with_keyword(sql: str, keyword: str) -> bool:
    """Whether ``sql``'s first word, after blanks and comments, is ``keyword`` (in any case)."""
    first = _FIRST_WORD.match(sql)
    return first is not None and first.group(1).upper() == keyword


def sql_literal(node: ast.expr) -> str | None:
    """A Python constant as psycopg2 sends it in a statement (``'text'``, ``true``, ``42``,
    ``NULL``); None for anything else (a run-time value)."""
    if not isinstance(node, ast.Constant):
        return None
    value = node.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


def procedure_statement(
    name: Piece, arguments: list[tuple[str, tuple[int, int]]] | None, end: tuple[int, int]
) -> Piece:
    """The statement ``callproc`` sends for the function named by ``name``: ``SELECT * FROM
    name(a, b)``, each argument's SQL text placed at its Python argument (``arguments``: (text,
    (line, column)) each; None when the code does not show them, sent as one ``%s``), the
    statement's own words at the name's first character and its closing parenthesis at ``end``."""
    start = (name.lines[0], name.columns[0]) if name.lines else end
    piece = Piece()
    piece.extend(_placed("SELECT * FROM ", start))
    piece.extend(name)
    piece.extend(_placed("(", end))
    shown = arguments if arguments is not None else [("%s", end)]
    for index, (text, place) in enumerate(shown):
        piece.extend(_placed((", " if index else "") + text, place))
    piece.extend(_placed(")", end))
    return piece


def _placed(text: str, place: tuple[int, int]) -> Piece:
    line, column = place
    return Piece(text, [line] * len(text), [column] * len(text))


KEYWORD_ONLY_SINKS = frozenset({"execute_statement", "batch_execute_statement"})
RUNSQL_ARGUMENTS = ("sql", "reverse_sql")


T = TypeVar("T")


def sql_arguments(
    qualified: str,
    method: str,
    positional: list[T],
    keywords: dict[str, T],
    function_sinks: frozenset[str],
    method_sinks: frozenset[str],
) -> list[T]:
    """The arguments of a call that carry SQL, if the call is a sink (for ast and libcst nodes alike)."""
    if not (qualified in function_sinks or (method and method in method_sinks)):
        return []
    last = qualified.rsplit(".", 1)[-1]
    if last == "RunSQL":
        return [keywords[name] for name in RUNSQL_ARGUMENTS if name in keywords] + positional[:2]
    if (method or last) in KEYWORD_ONLY_SINKS:
        return [keywords["sql"]] if "sql" in keywords else []
    for name in SQL_KEYWORDS:
        if name in keywords:
            return [keywords[name]]
    return positional[:1]


def split_sinks(sinks: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Config sinks: ``pkg.mod.func`` is a qualified function, ``*.method`` any method of that name."""
    functions = frozenset(sink for sink in sinks if not sink.startswith("*."))
    methods = frozenset(sink[2:] for sink in sinks if sink.startswith("*."))
    return functions, methods


def _call_regex(names: Iterable[str], *, method: bool) -> re.Pattern[str] | None:
    alternation = name_alternation(names)
    if not alternation:
        return None
    head = r"\.\s*" if method else r"\b"
    return re.compile(head + "(?:" + alternation + r")\s*\(")


@dataclass(frozen=True)
class Prefilter:
    """A cheap text test: can this file contain a call that extraction looks at?

    Most Python files call no database API; they are passed over without being parsed.
    A method sink needs ``.name(``; a library function sink also needs its library's name
    somewhere in the file; configured sinks and names any object may have need ``name(``; the
    calls a driver rule reads only in modules importing a library (``conn.reset()`` of psycopg2)
    need ``name(`` and that library's name.
    """

    methods: re.Pattern[str] | None
    library_functions: re.Pattern[str] | None
    libraries: tuple[str, ...]
    functions: re.Pattern[str] | None
    words: tuple[tuple[str, ...], ...] = ()  # settings paths: a file with all words of one is parsed
    gated: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = ()  # (calls, libraries one of which is named)

    library_names: re.Pattern[str] | None = None  # every library above, in one alternation
    statement_methods: re.Pattern[str] | None = None  # STATEMENT_SINKS: count only with COPY_TEXT

    def libraries_named(self, text: str) -> frozenset[str]:
        """The libraries whose names occur in ``text`` (as substrings, like ``in``), in one scan:
        a match such as ``aiomysql`` also names ``mysql``."""
        if self.library_names is None:
            return frozenset()
        matched = {found.group() for found in self.library_names.finditer(text)}
        known = {library for _, libraries in self.gated for library in libraries} | set(self.libraries)
        return frozenset(library for library in known if any(library in word for word in matched))

    def worth_parsing(self, text: str) -> bool:
        if any(all(word in text for word in group) for group in self.words):
            return True
        if self.methods is not None and self.methods.search(text):
            return True
        if self.statement_methods is not None and self.statement_methods.search(text) and COPY_TEXT.search(text):
            return True
        if self.functions is not None and _search(self.functions, text):
            return True
        named = self.libraries_named(text)
        if not named:
            return False
        if any(named.intersection(libraries) and _search(calls, text) for calls, libraries in self.gated):
            return True
        return (
            self.library_functions is not None
            and bool(named.intersection(self.libraries))
            and _search(self.library_functions, text)
        )


@lru_cache(maxsize=16)
def _quick(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` without its leading ``\\b``: re skips ahead by the first letters only when the
    pattern starts with them, which makes this version about twice as fast; it finds a superset."""
    return re.compile(pattern.pattern.removeprefix(r"\b"))


def _search(pattern: re.Pattern[str], text: str) -> bool:
    """``pattern.search(text)``, answered by the quicker superset pattern when it finds nothing."""
    return _quick(pattern).search(text) is not None and pattern.search(text) is not None


def build_prefilter(
    extra_sinks: Iterable[str],
    call_names: Iterable[str],
    words: Iterable[tuple[str, ...]] = (),
    gated: Mapping[frozenset[str], Iterable[str]] | None = None,
) -> Prefilter:
    """``call_names`` count anywhere; ``gated`` maps a set of libraries to the call names that count
    only in a file naming one of them."""
    functions, methods = split_sinks(extra_sinks)
    gated_patterns = []
    for libraries, names in sorted((gated or {}).items(), key=lambda item: sorted(item[0])):
        pattern = _call_regex(names, method=False)
        if pattern is not None and libraries:
            gated_patterns.append((pattern, tuple(sorted(libraries))))
    sink_libraries = {name.split(".", 1)[0] for name in FUNCTION_SINKS}
    every_library = sink_libraries | {library for _, gated_libraries in gated_patterns for library in gated_libraries}
    return Prefilter(
        methods=_call_regex(METHOD_SINKS | PROCEDURE_SINKS | methods, method=True),
        library_functions=_call_regex((name.rsplit(".", 1)[-1] for name in FUNCTION_SINKS), method=False),
        libraries=tuple(sorted(sink_libraries)),
        library_names=re.compile(name_alternation(every_library)) if every_library else None,
        functions=_call_regex([*(name.rsplit(".", 1)[-1] for name in functions), *call_names], method=False),
        words=tuple(sorted(set(words))),
        gated=tuple(gated_patterns),
        statement_methods=_call_regex(STATEMENT_SINKS, method=True),
    )
