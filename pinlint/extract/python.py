"""The SQL that reaches a database from a Python module, read from its model (``pinlint.pymodel``).

Only strings that reach a sink are read: the SQL argument of a DB-API or driver call
(``cur.execute``, asyncpg ``fetch``...), SQLAlchemy ``text()``, Django ``RunSQL`` and
``Manager.raw``, pandas ``read_sql``, the RDS Data API, and sinks named in the config (see
``extract.sinks``). A sink's argument may be a literal of any kind (str, bytes, f-string,
implicit concatenation), a ``+`` sum, a ``%`` or ``.format()`` template (dynamic parts become
holes), or a name bound once to such a value in the same function or module (the model's
``scopes``, see ``pinlint.bindings``).
Each literal is decoded character by character (``pinlint.pystrings``), so every character of a
``Fragment`` maps back to its line and column. Docstrings, comments, log messages and other
strings are never looked at.

It also records the connection calls the connect-option rule reads (``CallFact``): calls named in
``call_names`` with their string arguments as fragments.

Only the statements on whose lines a call of interest may start are walked (a text search over
the file, ``PythonModule.lines_with_calls``); the model's scopes are built once per module, on
the first name that needs one.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pinlint.bindings import dotted_name
from pinlint.extract.sinks import (
    FUNCTION_SINKS,
    METHOD_SINKS,
    STATEMENT_SINKS,
    begins_with_keyword,
    split_sinks,
    sql_arguments,
)
from pinlint.facts import CallFact
from pinlint.model import Fragment
from pinlint.pymodel import PythonModule, spans_a_line, statement_span
from pinlint.pystrings import Piece, with_fields_as_holes

ImportedString = Callable[[str], str | None]  # an imported name -> the string literal its module binds it to
MAX_NAME_DEPTH = 8  # names followed from a sink to its string (a cycle of names ends there)


@dataclass
class PythonExtraction:
    fragments: list[Fragment] = field(default_factory=list)
    calls: list[CallFact] = field(default_factory=list)


class _Reader:
    """Reads the sink calls (and connection calls) of one module."""

    def __init__(
        self,
        model: PythonModule,
        path: str,
        functions: frozenset[str],
        methods: frozenset[str],
        call_names: frozenset[str],
        lines_with_calls: list[int],
        imported: ImportedString | None = None,
    ) -> None:
        self.imported = imported
        self.model = model
        self.lines = model.lines
        self.path = path
        self.functions = functions
        self.methods = methods
        self.call_names = call_names
        self.lines_with_calls = lines_with_calls
        self.result = PythonExtraction()

    # --- places ---------------------------------------------------------------------------
    def _start(self, node: ast.expr) -> tuple[int, int]:
        """1-based (line, character column) where ``node`` begins (as in ``ast``, and libcst: a
        node's own parentheses are not part of it, its children's are)."""
        return node.lineno, self.lines.column(node.lineno, node.col_offset) + 1

    # --- values ---------------------------------------------------------------------------
    def _resolve(
        self, value: object, chain: tuple[ast.AST | None, ...], depth: int = 0
    ) -> tuple[Piece, ast.expr | None, str] | None:
        """The string ``value`` stands for (a Piece with positions, dynamic parts as holes), the node
        holding it, and the name it came through; None when the code shows no string."""
        if depth > MAX_NAME_DEPTH:
            return None
        if isinstance(value, ast.JoinedStr):
            return self.model.string(value), value, ""
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
            if not isinstance(value.value, str | bytes):
                return None
            return self.model.string(value), value, ""
        if isinstance(value, ast.Name):
            bound = self.model.scopes.sql_value(value.id, chain)
            if bound is None:
                return self._imported(value)
            found = self._resolve(bound[0], bound[1], depth + 1)
            if found is None:
                return None
            return found[0], found[1], found[2] or value.id
        return None  # a call result, an attribute...: no string the code shows

    def _imported(self, name: ast.Name) -> tuple[Piece, ast.expr | None, str] | None:
        """A string constant another module of the project binds, imported here (``imported``):
        its text, every character placed where this module names it."""
        text = self.imported(name.id) if self.imported is not None else None
        if not text:
            return None
        line, column = self._start(name)
        piece = Piece(text, [line] * len(text), [column] * len(text))
        return piece, name, self.model.imports.get(name.id, name.id)

    def _sum(
        self,
        left: tuple[Piece, ast.expr | None, str] | None,
        right: tuple[Piece, ast.expr | None, str] | None,
        left_node: object,
        right_node: object,
        node: ast.BinOp | None,
    ) -> tuple[Piece, ast.expr | None, str] | None:
        """``left + right``: an unknown side becomes a hole where it begins."""
        if left is None and right is None:
            return None
        piece = Piece()
        for side, side_node in ((left, left_node), (right, right_node)):
            if side is not None:
                piece.extend(side[0])
            elif isinstance(side_node, ast.expr):
                piece.extend(Piece.hole(*self._start(side_node)))
        known = left or right
        assert known is not None
        return piece, node if node is not None else known[1], known[2]

    # --- calls ----------------------------------------------------------------------------
    def _fragments(
        self, value: ast.expr, call: ast.Call, sink: str, chain: tuple[ast.AST | None, ...]
    ) -> list[Fragment]:
        if isinstance(value, ast.List | ast.Tuple):
            fragments = []
            for element in value.elts:
                inner = element
                if isinstance(inner, ast.Tuple | ast.List) and inner.elts:
                    inner = inner.elts[0]  # RunSQL's (sql, params) pairs
                fragments.extend(self._fragments(inner, call, sink, chain))
            return fragments
        resolved = self._resolve(value, chain)
        if resolved is None:
            return []
        piece, literal, via_name = resolved
        if literal is None:
            return []
        noqa_lines = {literal.end_lineno or literal.lineno, call.lineno}
        if via_name:
            noqa_lines.add(literal.lineno)
        return [piece.fragment(self.path, sink, call.lineno, noqa_lines, via_name)]

    def _call_fact(self, node: ast.Call, name: str, chain: tuple[ast.AST | None, ...]) -> CallFact:
        positional: list[Fragment] = []
        keywords: dict[str, Fragment] = {}
        dict_keywords: dict[str, dict[str, Fragment]] = {}
        for argument in node.args:
            if not isinstance(argument, ast.Starred):
                fragments = self._fragments(argument, node, name, chain)
                if fragments:
                    positional.append(fragments[0])
        for keyword in node.keywords:
            if keyword.arg is None:
                continue
            if isinstance(keyword.value, ast.Dict):
                entries: dict[str, Fragment] = {}
                for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        fragments = self._fragments(value, node, name, chain)
                        if fragments:
                            entries[key.value] = fragments[0]
                dict_keywords[keyword.arg] = entries
                continue
            fragments = self._fragments(keyword.value, node, name, chain)
            if fragments:
                keywords[keyword.arg] = fragments[0]
        return CallFact(name, node.lineno, positional, keywords, dict_keywords)

    def _call(self, node: ast.Call, chain: tuple[ast.AST | None, ...]) -> None:
        qualified = self.model.qualify(node.func)
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        positional = [arg for arg in node.args if not isinstance(arg, ast.Starred)]
        keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg is not None}
        arguments = sql_arguments(qualified, method, positional, keywords, self.functions, self.methods)
        last = qualified.rsplit(".", 1)[-1] if qualified else method
        is_fact = bool(last) and (last in self.call_names or qualified in self.call_names)
        is_fact = is_fact and bool(node.args or node.keywords)  # (no arguments: nothing to read)
        if arguments:
            dotted = dotted_name(node.func)
            display = dotted if dotted and dotted.count(".") <= 2 else (f"….{method}" if method else "call")
            keyword = "" if qualified in self.functions else STATEMENT_SINKS.get(method, "")
            for argument in arguments:
                fragments = self._fragments(argument, node, display, chain)
                if keyword:  # ``cursor.copy("COPY ...")``, not ``shutil.copy("a", "b")``
                    fragments = [fragment for fragment in fragments if begins_with_keyword(fragment.text, keyword)]
                self.result.fragments.extend(fragments)
        if is_fact:
            self.result.calls.append(self._call_fact(node, qualified or last, chain))

    def read(self, node: ast.AST, chain: tuple[ast.AST | None, ...] = (None,)) -> None:
        """Read ``node``'s sink calls; statements on whose lines no call of interest starts are skipped."""
        stack: list[tuple[ast.AST, tuple[ast.AST | None, ...]]] = [(node, chain)]
        while stack:
            current, scopes = stack.pop()
            if isinstance(current, ast.stmt):
                start, end = statement_span(current)
                if not spans_a_line(self.lines_with_calls, start, end):
                    continue
            if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef):
                scopes = (*scopes, current)  # (its decorators and defaults too, as before)
            if isinstance(current, ast.Call):
                self._call(current, scopes)
            stack.extend((child, scopes) for child in reversed(list(ast.iter_child_nodes(current))))


def interesting_names(
    function_sinks: Iterable[str], method_sinks: Iterable[str], call_names: Iterable[str]
) -> set[str]:
    """The call names whose lines the reader walks: every sink, and the connection calls."""
    return {*method_sinks, *(name.rsplit(".", 1)[-1] for name in [*function_sinks, *call_names])}


def extract_python(
    model: PythonModule,
    path: str,
    *,
    sinks: Iterable[str] = (),
    call_names: Iterable[str] = (),
    imported: ImportedString | None = None,
) -> PythonExtraction:
    """The SQL fragments reaching sinks in ``model``, and the calls named in ``call_names`` with
    their string arguments. ``sinks`` are the configured extra sinks (``pkg.func``, ``*.method``);
    ``imported`` answers the string an imported name stands for (pinlint.index), or None."""
    function_sinks, method_sinks = split_sinks(sinks)
    functions = FUNCTION_SINKS | function_sinks
    methods = METHOD_SINKS | STATEMENT_SINKS.keys() | method_sinks
    names = frozenset(call_names)
    lines_with_calls = model.lines_with_calls(interesting_names(functions, methods, names))
    reader = _Reader(model, path, functions, methods, names, lines_with_calls, imported)
    if lines_with_calls:
        reader.read(model.tree)
    return reader.result
