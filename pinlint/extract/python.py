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

It also records the connection calls the connect-option rule reads: the ``Call``s named in
``call_names``, each string argument with its fragment.

Only the statements on whose lines a call of interest may start are walked (a text search over
the file, ``PythonModule.lines_with_calls``); the model's scopes are built once per module, on
the first name that needs one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from pinlint.bindings import dotted_name
from pinlint.extract.calls import literal_argument
from pinlint.extract.sinks import (
    FUNCTION_SINKS,
    METHOD_SINKS,
    STATEMENT_SINKS,
    begins_with_keyword,
    split_sinks,
    sql_arguments,
)
from pinlint.extract.values import ResolveImport, ValueReader
from pinlint.facts import Argument, Call
from pinlint.model import Fragment
from pinlint.pymodel import PythonModule, spans_a_line, statement_span


@dataclass
class PythonExtraction:
    fragments: list[Fragment] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)


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
        resolve_import: ResolveImport | None = None,
    ) -> None:
        self.model = model
        self.lines = model.lines
        self.path = path
        self.functions = functions
        self.methods = methods
        self.call_names = call_names
        self.lines_with_calls = lines_with_calls
        self.result = PythonExtraction()
        self.values = ValueReader(model, resolve_import)
        self.groups = 0  # fragments that are alternatives of one argument share a group number

    # --- calls ----------------------------------------------------------------------------
    def _fragments(
        self, value: ast.expr, call: ast.Call, sink: str, chain: tuple[ast.AST | None, ...], at: ast.stmt | None
    ) -> list[Fragment]:
        """The SQL fragments ``value`` may be, as an argument of ``call`` (one per possible value;
        alternatives of one argument share a ``group``)."""
        if isinstance(value, ast.List | ast.Tuple):
            fragments = []
            for element in value.elts:
                inner = element
                if isinstance(inner, ast.Tuple | ast.List) and inner.elts:
                    inner = inner.elts[0]  # RunSQL's (sql, params) pairs
                fragments.extend(self._fragments(inner, call, sink, chain, at))
            return fragments
        known = [found for found in self.values.values(value, chain, at) if found.literal is not None]
        group = 0
        if len(known) > 1:
            self.groups += 1
            group = self.groups
        fragments = []
        for found in known:
            literal = found.literal
            assert literal is not None
            noqa_lines = {literal.end_lineno or literal.lineno, call.lineno}
            if found.via:
                noqa_lines.add(literal.lineno)
            fragment = found.piece.fragment(self.path, sink, call.lineno, noqa_lines, found.via)
            fragment.group = group
            fragment.conditions = found.conditions if group else ()
            fragments.append(fragment)
        return fragments

    def _call_fact(
        self, node: ast.Call, qualified: str, method: str, chain: tuple[ast.AST | None, ...], at: ast.stmt | None
    ) -> Call:
        """The call with its arguments; each string argument also has its fragment."""
        sink = qualified or method

        def argument(value: ast.expr, start: ast.expr | ast.keyword | None = None) -> Argument:
            fragments = self._fragments(value, node, sink, chain, at)
            found = literal_argument(self.model, value, start)
            return replace(found, fragment=fragments[0]) if fragments else found

        model = self.model
        end_line = node.func.end_lineno or node.lineno
        call = Call(
            name=model.qualify(node.func, imported_only=True),
            method=method,
            display=dotted_name(node.func) or (f"….{method}" if method else "call"),
            line=node.lineno,
            column=model.column(node.lineno, node.col_offset),
            end_line=end_line,
            end_column=model.column(end_line, node.func.end_col_offset),
        )
        call.positional = [argument(value) for value in node.args if not isinstance(value, ast.Starred)]
        for keyword in node.keywords:
            if keyword.arg is None:
                call.star_kwargs = True
                continue
            call.keywords[keyword.arg] = argument(keyword.value, keyword)
            if isinstance(keyword.value, ast.Dict):
                call.dict_keywords[keyword.arg] = {
                    key.value: argument(value)
                    for key, value in zip(keyword.value.keys, keyword.value.values, strict=True)
                    if isinstance(key, ast.Constant) and isinstance(key.value, str)
                }
        return call

    def _call(self, node: ast.Call, chain: tuple[ast.AST | None, ...], at: ast.stmt | None) -> None:
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
                fragments = self._fragments(argument, node, display, chain, at)
                if keyword:  # ``cursor.copy("COPY ...")``, not ``shutil.copy("a", "b")``
                    fragments = [fragment for fragment in fragments if begins_with_keyword(fragment.text, keyword)]
                self.result.fragments.extend(fragments)
        if is_fact:
            self.result.calls.append(self._call_fact(node, qualified, method, chain, at))

    def read(self, node: ast.AST, chain: tuple[ast.AST | None, ...] = (None,)) -> None:
        """Read ``node``'s sink calls; statements on whose lines no call of interest starts are skipped."""
        stack: list[tuple[ast.AST, tuple[ast.AST | None, ...], ast.stmt | None]] = [(node, chain, None)]
        while stack:
            current, scopes, at = stack.pop()
            if isinstance(current, ast.stmt):
                start, end = statement_span(current)
                if not spans_a_line(self.lines_with_calls, start, end):
                    continue
                at = current
            if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef):
                scopes = (*scopes, current)  # (its decorators and defaults too, as before)
            if isinstance(current, ast.Call):
                self._call(current, scopes, at)
            stack.extend((child, scopes, at) for child in reversed(list(ast.iter_child_nodes(current))))


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
    resolve_import: ResolveImport | None = None,
) -> PythonExtraction:
    """The SQL fragments reaching sinks in ``model``, and the calls named in ``call_names`` with
    their string arguments. ``sinks`` are the configured extra sinks (``pkg.func``, ``*.method``);
    ``resolve_import`` gives the values of a name imported from another module (see
    ``extract.values``)."""
    function_sinks, method_sinks = split_sinks(sinks)
    functions = FUNCTION_SINKS | function_sinks
    methods = METHOD_SINKS | STATEMENT_SINKS.keys() | method_sinks
    names = frozenset(call_names)
    lines_with_calls = model.lines_with_calls(interesting_names(functions, methods, names))
    reader = _Reader(model, path, functions, methods, names, lines_with_calls, resolve_import)
    if lines_with_calls:
        reader.read(model.tree)
    return reader.result
