"""The fast path of Python extraction: sink calls whose SQL the code spells out, read with ast.

Most SQL in real code is a literal passed to ``execute()``, a name bound to one, or a string
built with ``+``, ``%`` or ``.format()``. For those calls CPython's ``ast`` (already parsed for
the file) gives everything libcst would: the call, its arguments, the bindings of names (an
``ast`` port of the libcst path's), and the literals' places; the literals' text is decoded
here, character by character, with the same decoder the libcst path uses. A unit of the file
(a top-level statement or a class member, see ``narrow``) is handled here only when nothing in
it needs libcst (bytes, a sum in its own parentheses, connection calls whose options a rule
reads). f-strings are split here as libcst splits them: text parts decoded, each replacement
field one hole at its ``{``. The rest goes to libcst as before, so the fragments are the same either
way; ``tests/test_fast_extract.py`` checks that on the standard library.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pinlint.extract.calls import dotted_name, import_map, qualified_name, spans_a_line
from pinlint.extract.narrow import Unit, always_kept, shares_a_line
from pinlint.extract.sinks import sql_arguments
from pinlint.model import Fragment
from pinlint.pystrings import Piece, decode, with_fields_as_holes
from pinlint.source import LineIndex

_LITERAL_START_RE = re.compile(r"([rRuUfF]{0,2})('''|\"\"\"|'|\")")
_BETWEEN_RE = re.compile(r"(?:[ \t\f\r\n]+|\\(?:\r\n|\r|\n)|#[^\r\n]*)*")


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class _NotSimple(Exception):
    """The unit needs the libcst path."""


@dataclass(frozen=True)
class SinkNames:
    functions: frozenset[str]  # qualified function sinks
    methods: frozenset[str]  # method names
    call_names: frozenset[str]  # calls recorded for Python-level matchers (libcst path only)


def imports_of(units: list[Unit]) -> dict[str, str]:
    """Local name -> imported dotted name, over the kept units (as the libcst path sees them)."""
    return import_map(
        node for unit in units if unit.kept and unit.node is not None for node in statements_of(unit.node)
    )


P = TypeVar("P")  # a resolved piece
H = TypeVar("H")  # the node holding it

_TRY: tuple[type, ...] = (ast.Try, getattr(ast, "TryStar", ast.Try))  # try/except* from 3.11
_UNRESOLVED = object()  # a binding libcst cannot follow (a parameter, an import, a loop target...)
_Scope = dict[str, list[object]]


class _Bindings:
    """Every binding of every name per scope (module or function), as the libcst path's
    ``_Bindings`` records them: classes and comprehensions open no scope, lambdas are skipped,
    ``x += y`` on a name bound once to a value extends that value."""

    def __init__(self, units: list[Unit]) -> None:
        self.scopes: dict[ast.AST | None, _Scope] = {None: {}}
        for unit in units:
            if unit.kept and unit.node is not None:
                self._statement(unit.node, None)

    def _bind(self, scope: ast.AST | None, name: str, value: object) -> None:
        self.scopes.setdefault(scope, {}).setdefault(name, []).append(value)

    def _names(self, target: ast.AST, scope: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            self._bind(scope, target.id, _UNRESOLVED)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._names(element, scope)
        elif isinstance(target, ast.Starred):
            self._names(target.value, scope)

    def _statement(self, node: ast.AST, scope: ast.AST | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self._bind(scope, node.name, _UNRESOLVED)
            self.scopes[node] = {}
            arguments = node.args
            for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
                self._bind(node, argument.arg, _UNRESOLVED)
            for star in (arguments.vararg, arguments.kwarg):
                if star is not None:
                    self._bind(node, star.arg, _UNRESOLVED)
            for child in (*node.decorator_list, *arguments.defaults, *arguments.kw_defaults):
                if child is not None:
                    self._expression(child, scope)
            for statement in node.body:
                self._statement(statement, node)
            return
        if isinstance(node, ast.ClassDef):
            self._bind(scope, node.name, _UNRESOLVED)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                self._bind(scope, alias.asname or alias.name.split(".")[0], _UNRESOLVED)
        elif isinstance(node, ast.ImportFrom):
            if node.module is not None and not node.level and node.names[0].name != "*":
                for alias in node.names:
                    self._bind(scope, alias.asname or alias.name, _UNRESOLVED)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self._bind(scope, target.id, node.value)
                else:
                    self._names(target, scope)
        elif isinstance(node, ast.AnnAssign):
            if isinstance(node.target, ast.Name):
                self._bind(scope, node.target.id, node.value if node.value is not None else _UNRESOLVED)
        elif isinstance(node, ast.AugAssign):
            values = self.scopes.get(scope, {}).get(node.target.id, []) if isinstance(node.target, ast.Name) else []
            if isinstance(node.op, ast.Add) and len(values) == 1 and values[0] is not _UNRESOLVED:
                values[0] = ("+", values[0], node.value)  # built in steps: libcst resolves the sum
            else:
                self._names(node.target, scope)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self._names(node.target, scope)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    self._names(item.optional_vars, scope)
        elif isinstance(node, _TRY):
            for handler in getattr(node, "handlers", ()):
                if handler.name:
                    self._bind(scope, handler.name, _UNRESOLVED)
        for name, value in ast.iter_fields(node):
            if isinstance(node, ast.ClassDef) and name == "body":
                for statement in value:
                    self._statement(statement, scope)  # a class body binds in the enclosing scope
                continue
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, ast.stmt | ast.excepthandler | ast.match_case):
                    self._statement(item, scope)
                elif isinstance(item, ast.expr):
                    self._expression(item, scope)

    def _expression(self, node: ast.AST, scope: ast.AST | None) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, ast.Lambda):
                continue  # libcst's first pass does not look inside lambdas
            if isinstance(current, ast.NamedExpr | ast.comprehension):
                self._names(current.target, scope)
            stack.extend(ast.iter_child_nodes(current))


_BLOCKS = ("body", "handlers", "orelse", "finalbody", "cases")


def statements_of(node: ast.AST) -> list[ast.AST]:
    """``node`` and every statement nested in it (imports are statements: no need to visit
    every expression to find them)."""
    found: list[ast.AST] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        for name in _BLOCKS:
            block = getattr(current, name, None)
            if block:
                stack.extend(reversed(block))
    return found


def follow_name(
    name: str,
    chain: Sequence[Any],
    scopes: Mapping[Any, Mapping[str, list[Any]]],
    unresolved: object,
    resolve: Callable[[Any, Any, int], tuple[P, H, str] | None],
    depth: int,
) -> tuple[P, H, str] | None:
    """The value a name stands for, as both extraction paths follow it: from the innermost scope
    out; a name bound more than once, or to something unknown, stands for nothing. The result
    carries the name the value came through (the one nearest to the literal)."""
    for index in range(len(chain) - 1, -1, -1):
        scope = scopes.get(chain[index], {})
        if name in scope:
            values = scope[name]
            if len(values) != 1 or values[0] is unresolved:
                return None
            found = resolve(values[0], chain[: index + 1], depth + 1)
            if found is None:
                return None
            return found[0], found[1], found[2] or name
    return None


class _Lines:
    """Character columns and source segments from ast's UTF-8 byte offsets (see ``LineIndex``)."""

    def __init__(self, source: str) -> None:
        self.index = LineIndex(source)
        self.lines = [self.index.line_text(line) for line in range(1, self.index.count + 1)]

    def column(self, line: int, byte_offset: int) -> int:
        return self.index.column(line, byte_offset)

    def segment(self, node: ast.expr) -> tuple[str, int]:
        """The node's source text and the offset in the file where it starts."""
        assert node.end_lineno is not None and node.end_col_offset is not None
        start = self.index.offset(node.lineno, self.column(node.lineno, node.col_offset))
        end = self.index.offset(node.end_lineno, self.column(node.end_lineno, node.end_col_offset))
        return self.index.text[start:end], start


def _string_end(text: str, index: int) -> int:
    """The index just past the string literal (any prefix letters already skipped) at ``index``."""
    quote = text[index : index + 3] if text[index : index + 3] in ('"""', "'''") else text[index]
    cursor = index + len(quote)
    while cursor < len(text):
        if text[cursor] == "\\":
            cursor += 2
        elif text.startswith(quote, cursor):
            return cursor + len(quote)
        else:
            cursor += 1
    raise _NotSimple


def _field_end(body: str, index: int) -> int:
    """The index just past the f-string replacement field ``{...}`` that starts at ``index``:
    brackets, strings and a format spec (with its own nested fields) included."""
    depth = 0
    cursor = index + 1
    while cursor < len(body):
        char = body[cursor]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                if char != "}":
                    raise _NotSimple
                return cursor + 1
            depth -= 1
        elif char in "'\"":
            cursor = _string_end(body, cursor)
            continue
        elif char == ":" and depth == 0:  # the format spec: text and nested fields up to the "}"
            cursor += 1
            while cursor < len(body) and body[cursor] != "}":
                cursor = _field_end(body, cursor) if body[cursor] == "{" else cursor + 1
            if cursor >= len(body):
                raise _NotSimple
            return cursor + 1
        cursor += 1
    raise _NotSimple


def _fstring_parts(text: str, start: int, quote: str) -> tuple[list[tuple[bool, int, int]], int]:
    """The parts of an f-string body that starts at ``start`` in ``text``: (is a field, start, end)
    spans, text and replacement fields in order, and the index of the closing quote. As libcst
    splits it: ``{{`` and ``}}`` stay in the text, a whole ``{...}`` field is one part."""
    parts: list[tuple[bool, int, int]] = []
    cursor = text_start = start
    while cursor < len(text):
        char = text[cursor]
        if char == "\\":
            cursor += 2
        elif text.startswith(quote, cursor):
            if cursor > text_start:
                parts.append((False, text_start, cursor))
            return parts, cursor
        elif char in "{}" and text[cursor : cursor + 2] in ("{{", "}}"):
            cursor += 2
        elif char == "{":
            if cursor > text_start:
                parts.append((False, text_start, cursor))
            end = _field_end(text, cursor)
            parts.append((True, cursor, end))
            cursor = text_start = end
        else:
            cursor += 1
    raise _NotSimple


def _literal_piece(node: ast.Constant | ast.JoinedStr, lines: _Lines) -> Piece:
    """The decoded text of a str literal or f-string (implicit concatenation included), with
    positions; an f-string's replacement fields become holes at their ``{``, as in libcst."""
    text, base = lines.segment(node)

    def where(index: int) -> tuple[int, int]:
        """1-based line and column of ``text[index]``."""
        line, column = lines.index.position(base + index)
        return line, column + 1

    piece = Piece()
    index = 0
    while index < len(text):
        found = _LITERAL_START_RE.match(text, index)
        if not found:
            raise _NotSimple
        prefix, quote = found.group(1).lower(), found.group(2)
        raw = "r" in prefix
        if "f" in prefix:
            parts, closing = _fstring_parts(text, found.end(), quote)
            for is_field, start, stop in parts:
                if is_field:
                    piece.extend(Piece.hole(*where(start)))
                else:
                    piece.extend(decode(text[start:stop], *where(start), raw=raw, fstring_text=True))
            end = closing + len(quote)
        else:
            end = _string_end(text, found.start(2))
            piece.extend(decode(text[found.end() : end - len(quote)], *where(found.end()), raw=raw))
        gap = _BETWEEN_RE.match(text, end)
        index = gap.end() if gap else end
    return piece


MAX_NAME_DEPTH = 8  # as the libcst path


class _UnitReader:
    def __init__(
        self,
        path: str,
        names: SinkNames,
        imports: dict[str, str],
        lines: _Lines,
        bindings: _Bindings | None = None,
        lines_with_calls: Sequence[int] | None = None,
    ) -> None:
        self.path = path
        self.names = names
        self.imports = imports
        self.lines = lines
        self.bindings = bindings
        self.lines_with_calls = lines_with_calls
        self.call_parens: set[tuple[int, int]] = set()  # (line, 0-based column) of sink calls' "("

    def _start(self, node: ast.expr) -> tuple[int, int]:
        """1-based (line, character column) of ``node``, as the libcst path gives it; _NotSimple when
        the node is wrapped in its own parentheses (libcst counts them, ast does not)."""
        if self._parenthesised(node):
            raise _NotSimple
        return node.lineno, self.lines.column(node.lineno, node.col_offset) + 1

    def _parenthesised(self, node: ast.expr) -> bool:
        line = node.lineno
        column = self.lines.column(line, node.col_offset)
        while line >= 1:
            text = self.lines.lines[line - 1][:column].rstrip()
            if text.endswith("\\"):
                text = text[:-1].rstrip()
            if text:
                if not text.endswith("("):
                    return False
                return (line, len(text) - 1) not in self.call_parens
            line -= 1
            column = len(self.lines.lines[line - 1]) if line >= 1 else 0
        return False

    def _resolve(
        self, value: object, chain: tuple[ast.AST | None, ...], depth: int = 0
    ) -> tuple[Piece, ast.expr | None, str] | None:
        """The string ``value`` stands for (a Piece with positions, dynamic parts as holes), the node
        holding it, and the name it came through: as the libcst path resolves it. None when libcst
        finds no string; _NotSimple when only libcst can tell (f-strings, bytes, parentheses)."""
        if depth > MAX_NAME_DEPTH:
            return None
        if isinstance(value, ast.JoinedStr):
            return _literal_piece(value, self.lines), value, ""
        if isinstance(value, tuple):  # ``x += y`` on a name bound once: a sum no source node holds
            left = self._resolve(value[1], chain, depth)
            right = self._resolve(value[2], chain, depth)
            return self._sum(left, right, value[1], value[2], None)
        if isinstance(value, ast.BinOp):
            if isinstance(value.op, ast.Add):
                left = self._resolve(value.left, chain, depth)
                right = self._resolve(value.right, chain, depth)
                return self._sum(left, right, value.left, value.right, value)
            if isinstance(value.op, ast.Mod):
                base = self._resolve(value.left, chain, depth)
                if base is None:
                    return None
                return with_fields_as_holes(base[0], "percent"), base[1], base[2]
            return None
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "format":
            base = self._resolve(value.func.value, chain, depth)
            if base is None:
                return None
            return with_fields_as_holes(base[0], "brace"), base[1], base[2]
        if isinstance(value, ast.Constant):
            if isinstance(value.value, bytes):
                raise _NotSimple
            if not isinstance(value.value, str):
                return None
            return _literal_piece(value, self.lines), value, ""
        if isinstance(value, ast.Name):
            if self.bindings is None:
                raise _NotSimple
            return follow_name(value.id, chain, self.bindings.scopes, _UNRESOLVED, self._resolve, depth)
        return None  # a call result, an attribute...: no string the code shows

    def _sum(
        self,
        left: tuple[Piece, ast.expr | None, str] | None,
        right: tuple[Piece, ast.expr | None, str] | None,
        left_node: object,
        right_node: object,
        node: ast.BinOp | None,
    ) -> tuple[Piece, ast.expr | None, str] | None:
        """``left + right`` as the libcst path builds it: an unknown side becomes a hole at its start."""
        if left is None and right is None:
            return None
        piece = Piece()
        for side, side_node in ((left, left_node), (right, right_node)):
            if side is not None:
                piece.extend(side[0])
            elif isinstance(side_node, ast.expr):
                piece.extend(Piece.hole(*self._start(side_node)))
            else:
                raise _NotSimple
        known = left or right
        assert known is not None
        if node is not None:
            self._start(node)  # (parentheses around the sum: its lines differ in libcst)
        return piece, node if node is not None else known[1], known[2]

    def _open_paren(self, call: ast.Call) -> tuple[int, int]:
        """Where the call's own "(" is: the first one after its function."""
        assert call.func.end_lineno is not None and call.func.end_col_offset is not None
        line = call.func.end_lineno
        column = self.lines.column(line, call.func.end_col_offset)
        while line <= len(self.lines.lines):
            index = self.lines.lines[line - 1].find("(", column)
            if index != -1:
                return line, index
            line, column = line + 1, 0
        return 0, 0

    def _qualified(self, func: ast.expr) -> str:
        return qualified_name(func, self.imports)

    def _sink_arguments(self, node: ast.Call, qualified: str) -> list[ast.expr]:
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        positional = [arg for arg in node.args if not isinstance(arg, ast.Starred)]
        keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg is not None}
        return sql_arguments(qualified, method, positional, keywords, self.names.functions, self.names.methods)

    def _fragments(
        self, value: ast.expr, call: ast.Call, sink: str, function: str, chain: tuple[ast.AST | None, ...]
    ) -> list[Fragment]:
        if isinstance(value, ast.List | ast.Tuple):
            fragments = []
            for element in value.elts:
                inner = element
                if isinstance(inner, ast.Tuple | ast.List) and inner.elts:
                    inner = inner.elts[0]  # RunSQL's (sql, params) pairs
                fragments.extend(self._fragments(inner, call, sink, function, chain))
            return fragments
        resolved = self._resolve(value, chain)
        if resolved is None:
            return []
        piece, literal, via_name = resolved
        if literal is None or literal.end_lineno is None:
            raise _NotSimple
        noqa_lines = {literal.end_lineno, call.lineno}
        if via_name:
            noqa_lines.add(literal.lineno)
        return [piece.fragment(self.path, sink, call.lineno, noqa_lines, via_name, function)]

    def read(
        self,
        node: ast.AST,
        functions: tuple[str, ...],
        found: list[Fragment],
        chain: tuple[ast.AST | None, ...] = (None,),
    ) -> int:
        """Append the fragments of ``node``'s sink calls; return how many sink calls it has.
        (Imports inside a function reach the libcst path through ``imports_of``.)"""
        if isinstance(node, ast.stmt) and self.lines_with_calls is not None:
            decorators = getattr(node, "decorator_list", ())
            start = min([node.lineno, *(decorator.lineno for decorator in decorators)])
            if not spans_a_line(self.lines_with_calls, start, node.end_lineno or node.lineno):
                return 0  # no call of interest on its lines: no sink call inside
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            functions = (*functions, node.name)
            chain = (*chain, node)
        sinks = 0
        if isinstance(node, ast.Call):
            qualified = self._qualified(node.func)
            method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            last = qualified.rsplit(".", 1)[-1] if qualified else method
            if (last in self.names.call_names or qualified in self.names.call_names) and (node.args or node.keywords):
                raise _NotSimple  # a connect call whose arguments a Python-level rule reads: libcst
            arguments = self._sink_arguments(node, qualified)
            if arguments:
                sinks += 1
                self.call_parens.add(self._open_paren(node))
                dotted = dotted_name(node.func)
                display = dotted if dotted and dotted.count(".") <= 2 else (f"….{method}" if method else "call")
                for argument in arguments:
                    function = functions[-1] if functions else ""
                    found.extend(self._fragments(argument, node, display, function, chain))
        for child in ast.iter_child_nodes(node):
            sinks += self.read(child, functions, found, chain)
        return sinks


@dataclass
class FastResult:
    fragments: list[Fragment]
    handled: frozenset[int]  # indices of the units read here (libcst must not read them again)
    needs_libcst: bool  # some kept unit holds a call only libcst can read


def fast_fragments(
    source: str, units: list[Unit], path: str, names: SinkNames, lines_with_calls: Sequence[int] | None = None
) -> FastResult:
    """Fragments of the units whose sink calls all pass a plain literal, and those units' indices.
    With ``lines_with_calls`` (see ``narrow.call_lines``), statements without one are not walked."""
    lines = _Lines(source)
    reader = _UnitReader(path, names, imports_of(units), lines, _Bindings(units), lines_with_calls)
    fragments: list[Fragment] = []
    kept_fragments: list[Fragment] = []  # of units libcst must still see (bindings other units need)
    handled: set[int] = set()
    needs_libcst = False
    for index, unit in enumerate(units):
        if not unit.kept or unit.node is None:
            continue
        found: list[Fragment] = []
        try:
            reader.read(unit.node, (), found)
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
        else:
            kept_fragments.extend(found)
    if not needs_libcst:
        fragments.extend(kept_fragments)  # every unit was read here: libcst does not run at all
    return FastResult(fragments, frozenset(handled), needs_libcst)


@dataclass
class Plan:
    """What the fast path did for a file, and what is left for libcst."""

    units: list[Unit] | None
    fast: FastResult | None

    @property
    def done(self) -> bool:
        """Nothing is left for libcst: ``fast.fragments`` are all the file's fragments."""
        return self.fast is not None and not self.fast.needs_libcst


def plan(
    source: str,
    path: str,
    *,
    sinks: tuple[str, ...] = (),
    call_names: frozenset[str] = frozenset(),
    tree: ast.Module | None = None,
    fast_path: bool = True,
) -> Plan:
    """Narrow ``source`` to its units and read the plain-literal ones with ``ast`` (no libcst here)."""
    from pinlint.extract.narrow import call_lines, plan_units
    from pinlint.extract.sinks import FUNCTION_SINKS, METHOD_SINKS, split_sinks

    function_sinks, method_sinks = split_sinks(sinks)
    interesting = (
        METHOD_SINKS
        | method_sinks
        | {name.rsplit(".", 1)[-1] for name in FUNCTION_SINKS | function_sinks}
        | {name.rsplit(".", 1)[-1] for name in call_names}
    )
    units = plan_units(source, interesting, tree)
    if units is None or not fast_path:
        return Plan(units, None)
    names = SinkNames(FUNCTION_SINKS | function_sinks, METHOD_SINKS | method_sinks, call_names)
    lines_with_calls = call_lines(source, frozenset(interesting), tree) if tree is not None else None
    return Plan(units, fast_fragments(source, units, path, names, lines_with_calls))
