"""The fast path of Python extraction: sink calls whose SQL is a plain string literal, with ast.

Most SQL in real code is a literal passed straight to ``execute()``. For those calls CPython's
``ast`` (already parsed for the file) gives everything libcst would: the call, its arguments
and the literal's place; the literal's own text is decoded here, character by character, with
the same decoder the libcst path uses. A unit of the file (a top-level statement or a class
member, see ``narrow``) is handled here only when every sink call in it is of that kind and
nothing else in it needs libcst (names bound to strings, f-strings, ``+``, ``%``,
``.format()``, connection calls, imports). The rest goes to libcst as before, so the
fragments are the same either way; ``tests/test_fast_extract.py`` checks that on real code.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from pinlint.extract.narrow import Unit, always_kept, shares_a_line
from pinlint.extract.sinks import KEYWORD_ONLY_SINKS, RUNSQL_ARGUMENTS, SQL_KEYWORDS
from pinlint.model import CharMap, Fragment
from pinlint.pystrings import Piece, decode, split_prefix

_LITERAL_START_RE = re.compile(r"([rRuU]?)('''|\"\"\"|'|\")")
_BETWEEN_RE = re.compile(r"(?:[ \t\f\r\n]+|\\\r?\n|#[^\n]*)*")


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class _NotSimple(Exception):
    """The unit needs the libcst path."""


@dataclass(frozen=True)
class SinkNames:
    functions: frozenset[str]  # qualified function sinks
    methods: frozenset[str]  # method names
    call_names: frozenset[str]  # calls recorded for Python-level matchers (libcst path only)


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def imports_of(units: list[Unit]) -> dict[str, str]:
    """Local name -> imported dotted name, over the kept units (as the libcst path sees them)."""
    imports: dict[str, str] = {}
    for unit in units:
        if not unit.kept or unit.node is None:
            continue
        for node in ast.walk(unit.node):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        imports[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        imports.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return imports


class _Lines:
    """Character columns from ast's UTF-8 byte offsets."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines(keepends=True)
        self.ascii = [line.isascii() for line in self.lines]

    def column(self, line: int, byte_offset: int) -> int:
        text = self.lines[line - 1]
        if self.ascii[line - 1]:
            return byte_offset
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace"))

    def segment(self, node: ast.expr) -> tuple[str, int, int]:
        """The node's source text and its start (line, 0-based character column)."""
        assert node.end_lineno is not None and node.end_col_offset is not None
        start_line, end_line = node.lineno, node.end_lineno
        start = self.column(start_line, node.col_offset)
        end = self.column(end_line, node.end_col_offset)
        if start_line == end_line:
            return self.lines[start_line - 1][start:end], start_line, start
        parts = [self.lines[start_line - 1][start:]]
        parts.extend(self.lines[start_line : end_line - 1])
        parts.append(self.lines[end_line - 1][:end])
        return "".join(parts), start_line, start


def _literal_piece(node: ast.Constant, lines: _Lines) -> Piece:
    """The decoded text of a str literal (implicit concatenation included), with positions."""
    text, line, column = lines.segment(node)
    piece = Piece()
    index = 0
    while index < len(text):
        found = _LITERAL_START_RE.match(text, index)
        if not found:
            raise _NotSimple
        quote = found.group(2)
        cursor = found.end()
        while True:
            if cursor >= len(text):
                raise _NotSimple
            if text[cursor] == "\\":
                cursor += 2
                continue
            if text.startswith(quote, cursor):
                break
            cursor += 1
        end = cursor + len(quote)
        literal = text[index:end]
        prefix, quote, body = split_prefix(literal)
        before = text[:index]
        part_line = line + before.count("\n")
        part_column = (column + index) if "\n" not in before else (index - before.rindex("\n") - 1)
        piece.extend(decode(body, part_line, part_column + 1 + len(prefix) + len(quote), raw="r" in prefix))
        gap = _BETWEEN_RE.match(text, end)
        index = gap.end() if gap else end
    return piece


class _UnitReader:
    def __init__(self, path: str, names: SinkNames, imports: dict[str, str], lines: _Lines) -> None:
        self.path = path
        self.names = names
        self.imports = imports
        self.lines = lines

    def _qualified(self, func: ast.expr) -> str:
        dotted = _dotted(func)
        if not dotted:
            return ""
        head, _, rest = dotted.partition(".")
        head = self.imports.get(head, head)
        return f"{head}.{rest}" if rest else head

    def _sink_arguments(self, node: ast.Call, qualified: str) -> list[ast.expr]:
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        last = qualified.rsplit(".", 1)[-1]
        if not (qualified in self.names.functions or (method and method in self.names.methods)):
            return []
        positional = [arg for arg in node.args if not isinstance(arg, ast.Starred)]
        keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg is not None}
        if last == "RunSQL":
            found = [keywords[name] for name in RUNSQL_ARGUMENTS if name in keywords]
            return found + positional[:2]
        if (method or last) in KEYWORD_ONLY_SINKS:
            return [keywords["sql"]] if "sql" in keywords else []
        for name in SQL_KEYWORDS:
            if name in keywords:
                return [keywords[name]]
        return positional[:1]

    def _fragments(self, value: ast.expr, call: ast.Call, sink: str, function: str) -> list[Fragment]:
        if isinstance(value, ast.List | ast.Tuple):
            fragments = []
            for element in value.elts:
                inner = element
                if isinstance(inner, ast.Tuple | ast.List) and inner.elts:
                    inner = inner.elts[0]  # RunSQL's (sql, params) pairs
                fragments.extend(self._fragments(inner, call, sink, function))
            return fragments
        if isinstance(value, ast.Name | ast.JoinedStr | ast.BinOp) or (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "format"
        ):
            raise _NotSimple  # a value libcst may resolve: a bound name, an f-string, +, %, .format()
        if isinstance(value, ast.Constant) and isinstance(value.value, bytes):
            raise _NotSimple
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            return []  # a call result, an attribute...: no string the code shows
        piece = _literal_piece(value, self.lines)
        assert value.end_lineno is not None
        return [
            Fragment(
                text=piece.text,
                source_map=CharMap(piece.lines, piece.columns, piece.end_position()),
                path=self.path,
                kind="python",
                sink=sink,
                sink_line=call.lineno,
                noqa_lines=tuple(sorted({value.end_lineno, call.lineno})),
                function=function,
            )
        ]

    def read(self, node: ast.AST, functions: tuple[str, ...], found: list[Fragment]) -> int:
        """Append the fragments of ``node``'s sink calls; return how many sink calls it has.
        (Imports inside a function reach the libcst path through ``imports_of``.)"""
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            functions = (*functions, node.name)
        sinks = 0
        if isinstance(node, ast.Call):
            qualified = self._qualified(node.func)
            method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            last = qualified.rsplit(".", 1)[-1] if qualified else method
            if last and (last in self.names.call_names or qualified in self.names.call_names):
                raise _NotSimple
            arguments = self._sink_arguments(node, qualified)
            if arguments:
                sinks += 1
                dotted = _dotted(node.func)
                display = dotted if dotted and dotted.count(".") <= 2 else (f"….{method}" if method else "call")
                for argument in arguments:
                    found.extend(self._fragments(argument, node, display, functions[-1] if functions else ""))
        for child in ast.iter_child_nodes(node):
            sinks += self.read(child, functions, found)
        return sinks


@dataclass
class FastResult:
    fragments: list[Fragment]
    handled: frozenset[int]  # indices of the units read here (libcst must not read them again)
    needs_libcst: bool  # some kept unit holds a call only libcst can read


def fast_fragments(source: str, units: list[Unit], path: str, names: SinkNames) -> FastResult:
    """Fragments of the units whose sink calls all pass a plain literal, and those units' indices."""
    lines = _Lines(source)
    reader = _UnitReader(path, names, imports_of(units), lines)
    fragments: list[Fragment] = []
    handled: set[int] = set()
    needs_libcst = False
    for index, unit in enumerate(units):
        if not unit.kept or unit.node is None:
            continue
        found: list[Fragment] = []
        try:
            sinks = reader.read(unit.node, (), found)
        except (_NotSimple, RecursionError, UnicodeError):
            needs_libcst = True
            continue
        droppable = not always_kept(unit.node) and not shares_a_line(units, index)
        if droppable and not isinstance(unit.node, _DEFINITIONS):
            # a module-level import binds a module-level name: libcst must see it
            droppable = not any(isinstance(inner, ast.Import | ast.ImportFrom) for inner in ast.walk(unit.node))
        if droppable:
            fragments.extend(found)  # (a unit with no sink call at all has nothing to extract)
            handled.add(index)
        elif sinks:
            needs_libcst = True  # kept for libcst (a binding other units need), and it has sink calls
    return FastResult(fragments, frozenset(handled), needs_libcst)
