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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from pinlint.bindings import PARAMETER, dotted_name
from pinlint.extract.calls import literal_argument
from pinlint.extract.sinks import (
    CALL_SENDING_LIBRARIES,
    FUNCTION_SINKS,
    METHOD_SINKS,
    PROCEDURE_PARAMETERS,
    PROCEDURE_SINKS,
    STATEMENT_SINKS,
    begins_with_keyword,
    procedure_statement,
    split_sinks,
    sql_arguments,
    sql_literal,
)
from pinlint.extract.values import ResolveImport, ResolveReturn, ValueReader
from pinlint.facts import Argument, Call
from pinlint.model import Fragment
from pinlint.pymodel import PythonModule, spans_a_line, statement_span
from pinlint.pystrings import Piece


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
        resolve_return: ResolveReturn | None = None,
    ) -> None:
        self.model = model
        self.lines = model.lines
        self.path = path
        self.functions = functions
        self.methods = methods
        self.call_names = call_names
        self.lines_with_calls = lines_with_calls
        self.result = PythonExtraction()
        self.values = ValueReader(model, path, resolve_import, resolve_return)
        self.groups = 0  # fragments that are alternatives of one argument share a group number
        self.found_wrappers: dict[tuple[str, bool], Wrapper] = {}  # (name, is a method) -> wrapper
        self.wrappers: dict[tuple[str, bool], Wrapper] | None = None  # those being read (the later passes)

    # --- calls ----------------------------------------------------------------------------
    def _fragments(
        self,
        value: ast.expr,
        call: ast.Call,
        sink: str,
        chain: tuple[ast.AST | None, ...],
        at: ast.stmt | None,
        sink_line: int = 0,
        shape: Callable[[Piece], Piece] | None = None,
    ) -> list[Fragment]:
        """The SQL fragments ``value`` may be, as an argument of ``call`` (one per possible value;
        alternatives of one argument share a ``group``); ``shape`` makes the statement the call
        sends from each value (``callproc``'s name)."""
        if isinstance(value, ast.List | ast.Tuple):
            fragments = []
            for element in value.elts:
                inner = element
                if isinstance(inner, ast.Tuple | ast.List) and inner.elts:
                    inner = inner.elts[0]  # RunSQL's (sql, params) pairs
                fragments.extend(self._fragments(inner, call, sink, chain, at, sink_line))
            return fragments
        try:
            values = self.values.values(value, chain, at)
        except RecursionError:  # an expression nested deeper than Python's stack: not read
            return []
        known = [found for found in values if found.literal is not None]
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
            piece = shape(found.piece) if shape is not None else found.piece
            fragment = piece.fragment(self.path, sink, sink_line or call.lineno, noqa_lines, found.via)
            fragment.group = group
            fragment.read_from = found.read_from
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
        if self.wrappers is not None:  # the pass that reads the calls of the module's own wrappers
            wrapper = self._wrapper_of(node)
            if wrapper is not None:
                self._sink(node, chain, at, wrapper.arguments(node), wrapper.keyword, wrapper)
            return
        positional = [arg for arg in node.args if not isinstance(arg, ast.Starred)]
        keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg is not None}
        arguments = sql_arguments(qualified, method, positional, keywords, self.functions, self.methods)
        last = qualified.rsplit(".", 1)[-1] if qualified else method
        is_fact = bool(last) and (last in self.call_names or qualified in self.call_names)
        is_fact = is_fact and bool(node.args or node.keywords)  # (no arguments: nothing to read)
        if arguments:
            keyword = "" if qualified in self.functions else STATEMENT_SINKS.get(method, "")
            self._sink(node, chain, at, arguments, keyword)
        elif method in PROCEDURE_SINKS and not self.model.packages & CALL_SENDING_LIBRARIES:
            self._procedure(node, chain, at)
        if is_fact:
            self.result.calls.append(self._call_fact(node, qualified, method, chain, at))

    def _sink(
        self,
        node: ast.Call,
        chain: tuple[ast.AST | None, ...],
        at: ast.stmt | None,
        arguments: list[ast.expr],
        keyword: str,
        through: Wrapper | None = None,
    ) -> None:
        """The fragments of a sink call's SQL arguments (``through`` a wrapper: named by the sink
        inside it); a parameter of the function around the call makes that function a wrapper
        (``Wrapper``), read in a later pass."""
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        dotted = dotted_name(node.func)
        display = dotted if dotted and dotted.count(".") <= 2 else (f"….{method}" if method else "call")
        sink, sink_line = (through.sink, through.sink_line) if through else (display, node.lineno)
        for argument in arguments:
            fragments = self._fragments(argument, node, sink, chain, at, sink_line)
            if keyword:  # ``cursor.copy("COPY ...")``, not ``shutil.copy("a", "b")``
                fragments = [fragment for fragment in fragments if begins_with_keyword(fragment.text, keyword)]
            self.result.fragments.extend(fragments)
            wrapper = wrapper_of_parameter(self.model, argument, chain, keyword, sink, sink_line)
            if wrapper is not None:
                self.found_wrappers.setdefault((wrapper.name, wrapper.method), wrapper)

    def _procedure(self, node: ast.Call, chain: tuple[ast.AST | None, ...], at: ast.stmt | None) -> None:
        """``cursor.callproc(name, parameters)``: the ``SELECT * FROM name(...)`` it sends, placed
        on the name's literal (``extract.sinks.procedure_statement``)."""
        if any(isinstance(argument, ast.Starred) for argument in node.args):
            return
        keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg is not None}
        name = node.args[0] if node.args else keywords.get("procname")
        if name is None:
            return
        parameters = node.args[1] if len(node.args) > 1 else None
        parameters = parameters or next((keywords[key] for key in PROCEDURE_PARAMETERS if key in keywords), None)
        arguments: list[tuple[str, tuple[int, int]]] | None = []
        if isinstance(parameters, ast.Tuple | ast.List):
            if any(isinstance(element, ast.Starred) for element in parameters.elts):
                arguments = None
            else:
                column = self.model.column
                arguments = [
                    (sql_literal(element) or "%s", (element.lineno, column(element.lineno, element.col_offset)))
                    for element in parameters.elts
                ]
        elif parameters is not None and not (isinstance(parameters, ast.Constant) and parameters.value is None):
            arguments = None  # a run-time sequence (or psycopg2's dict of named arguments)
        end_line = node.end_lineno or node.lineno
        end = (end_line, self.model.column(end_line, node.end_col_offset) - 1)
        dotted = dotted_name(node.func)
        sink = dotted if dotted and dotted.count(".") <= 2 else "….callproc"
        self.result.fragments.extend(
            self._fragments(name, node, sink, chain, at, shape=lambda piece: procedure_statement(piece, arguments, end))
        )

    def _wrapper_of(self, node: ast.Call) -> Wrapper | None:
        """The module's wrapper this call calls: ``name(...)`` of a module function, or
        ``self.name(...)``/``cls.name(...)`` of a method."""
        assert self.wrappers is not None
        func = node.func
        if isinstance(func, ast.Name):
            return self.wrappers.get((func.id, False))
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            return self.wrappers.get((func.attr, True))
        return None

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

    def read_wrapper_calls(self) -> None:
        """Read the calls of the wrappers the sinks revealed, then of the wrappers those reveal
        (up to ``MAX_WRAPPER_DEPTH`` layers): a wrapper's SQL argument is read as a sink's."""
        done: set[tuple[str, bool]] = set()
        for _ in range(MAX_WRAPPER_DEPTH):
            pending = {key: wrapper for key, wrapper in self.found_wrappers.items() if key not in done}
            if not pending:
                return
            done |= pending.keys()
            self.wrappers = pending
            self.lines_with_calls = self.model.lines_with_calls({name for name, _ in pending})
            if self.lines_with_calls:
                self.read(self.model.tree)


MAX_WRAPPER_DEPTH = 3  # wrappers of wrappers followed


@dataclass(frozen=True)
class Wrapper:
    """A function or method of the module that sends one of its parameters to a sink as SQL:
    ``def execute_query(self, sql): self.cur.execute(sql)`` makes ``self.execute_query("LISTEN x")``
    a sink."""

    name: str
    method: bool  # called as ``self.name(...)`` (its first parameter is the instance)
    parameter: str
    position: int | None  # among the positional arguments of a call (None: keyword-only)
    keyword: str  # the first word the SQL must have (``COPY`` for ``cursor.copy``), else ""
    sink: str  # the sink call inside it (through any wrappers it calls), as written
    sink_line: int

    def arguments(self, call: ast.Call) -> list[ast.expr]:
        for keyword in call.keywords:
            if keyword.arg == self.parameter:
                return [keyword.value]
        if any(isinstance(argument, ast.Starred) for argument in call.args):
            return []
        if self.position is not None and self.position < len(call.args):
            return [call.args[self.position]]
        return []


def wrapper_of_parameter(
    model: PythonModule,
    argument: ast.expr,
    chain: tuple[ast.AST | None, ...],
    keyword: str,
    sink: str,
    sink_line: int,
) -> Wrapper | None:
    """The wrapper that the function around a sink call is when the call's SQL argument is one of
    its parameters, never rebound; else None."""
    function = chain[-1]
    if not isinstance(argument, ast.Name) or not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    bindings = model.scopes.scope(function).bindings.get(argument.id, [])
    if len(bindings) != 1 or bindings[0].kind != PARAMETER:
        return None
    arguments = function.args
    positional = [parameter.arg for parameter in [*arguments.posonlyargs, *arguments.args]]
    decorators = {dotted_name(decorator) for decorator in function.decorator_list}
    method = _is_method(model, function) and "staticmethod" not in decorators
    if method:
        positional = positional[1:]
    position = positional.index(argument.id) if argument.id in positional else None
    if position is None and argument.id not in [parameter.arg for parameter in arguments.kwonlyargs]:
        return None  # ``self`` itself
    return Wrapper(function.name, method, argument.id, position, keyword, sink, sink_line)


def _is_method(model: PythonModule, function: ast.AST) -> bool:
    """Whether ``function`` is defined directly in a class body."""
    return any(isinstance(statement, ast.ClassDef) and function in statement.body for statement, _ in model.statements)


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
    resolve_return: ResolveReturn | None = None,
) -> PythonExtraction:
    """The SQL fragments reaching sinks in ``model``, and the calls named in ``call_names`` with
    their string arguments. ``sinks`` are the configured extra sinks (``pkg.func``, ``*.method``);
    ``resolve_import`` gives the values of a name imported from another module (see
    ``extract.values``), and ``resolve_return`` what a function of another module returns."""
    function_sinks, method_sinks = split_sinks(sinks)
    functions = FUNCTION_SINKS | function_sinks
    methods = METHOD_SINKS | STATEMENT_SINKS.keys() | method_sinks
    names = frozenset(call_names)
    lines_with_calls = model.lines_with_calls(interesting_names(functions, methods | PROCEDURE_SINKS, names))
    reader = _Reader(model, path, functions, methods, names, lines_with_calls, resolve_import, resolve_return)
    if lines_with_calls:
        reader.read(model.tree)
        reader.read_wrapper_calls()
    return reader.result
