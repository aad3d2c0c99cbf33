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
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from pinlint.bindings import ASSIGN, PARAMETER, dotted_name
from pinlint.extract.calls import call_display, literal_argument
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
from pinlint.pymodel import PythonModule, expressions_of, name_alternation, spans_a_line, statement_span
from pinlint.pystrings import Piece

# The first words of SQL statements: a string literal that starts with one may be SQL for a wrapper
SQL_STATEMENT_WORDS = frozenset(
    {
        *("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "SET", "RESET", "SHOW", "LISTEN", "UNLISTEN", "NOTIFY"),
        *("PREPARE", "EXECUTE", "DEALLOCATE", "DECLARE", "CREATE", "ALTER", "DROP", "LOCK", "DISCARD", "LOAD"),
        *("DO", "CALL", "GET", "BEGIN", "START", "COPY", "TRUNCATE", "VACUUM", "ANALYZE", "GRANT", "FLUSH", "HANDLER"),
    }
)


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
        resolve_wrapper: ResolveWrapper | None = None,
        resolve_return: ResolveReturn | None = None,
        *,
        read_fragments: bool = True,
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
        self.wrappers_done: set[tuple[str, bool]] = set()
        self.resolve_wrapper = resolve_wrapper
        self.remote: dict[tuple[str, str, str], Wrapper | None] | None = None  # the pass over imported wrappers
        self.read_fragments = read_fragments  # False: only find the module's wrappers (``module_wrappers``)
        self.sql_lines: list[int] = []  # where string literals holding SQL are (the pass over imported wrappers)
        self.sql_callees: set[str] = set()  # the names called there (``send`` of ``send("LISTEN x")``)

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
        sink_place: str = "",
    ) -> list[Fragment]:
        """The SQL fragments ``value`` may be, as an argument of ``call`` (one per possible value;
        alternatives of one argument share a ``group``); ``shape`` makes the statement the call
        sends from each value (``callproc``'s name); ``sink_place`` says where a sink in another
        module is."""
        if isinstance(value, ast.List | ast.Tuple):
            fragments = []
            for element in value.elts:
                inner = element
                if isinstance(inner, ast.Tuple | ast.List) and inner.elts:
                    inner = inner.elts[0]  # RunSQL's (sql, params) pairs
                fragments.extend(self._fragments(inner, call, sink, chain, at, sink_line, shape, sink_place))
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
            fragment.sink_place = sink_place
            fragment.call_end, fragment.returned_in = found.call_end, found.returned_in
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
            display=dotted_name(node.func) or call_display(node.func),
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
        if self.wrappers is not None:  # the passes that read the calls of wrappers
            wrapper = self._remote_wrapper(node, chain) if self.remote is not None else self._wrapper_of(node)
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
        place = through.place if through else ""
        if place:  # (the line of a call in this file: the message says where the sink is)
            sink_line = node.lineno
        for argument in arguments:
            if self.read_fragments:
                fragments = self._fragments(argument, node, sink, chain, at, sink_line, sink_place=place)
                if keyword:  # ``cursor.copy("COPY ...")``, not ``shutil.copy("a", "b")``
                    fragments = [fragment for fragment in fragments if begins_with_keyword(fragment.text, keyword)]
                self.result.fragments.extend(fragments)
            inner = (through.qualname or through.name, *through.inner) if through is not None and not place else ()
            wrapper = wrapper_of_parameter(self.model, argument, chain, keyword, sink, sink_line, place, inner)
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
        done = self.wrappers_done
        for _ in range(MAX_WRAPPER_DEPTH):
            pending = {key: wrapper for key, wrapper in self.found_wrappers.items() if key not in done}
            if not pending:
                break
            done.update(pending)
            self.wrappers = pending
            self.lines_with_calls = self.model.lines_with_calls({name for name, _ in pending})
            if self.lines_with_calls:
                self.read(self.model.tree)
        self.wrappers = None

    def read_remote_wrapper_calls(self) -> None:
        """Read the calls of wrappers that other modules of the project define (``resolve_wrapper``),
        on the lines that hold SQL text or use a name bound there, then the calls of the module's
        own wrappers that pass their parameter on to them."""
        if self.resolve_wrapper is None:
            return
        self.sql_lines = _lines_with_sql_text(self.model)
        if self.values.resolve_import is not None:  # and those handing on a name imported from the project
            self.sql_lines = sorted({*self.sql_lines, *_lines_passing_imported_names(self.model)})
        if not self.sql_lines:
            return
        self.sql_callees = _callees_on(self.model, self.sql_lines)
        lines = set(self.sql_lines)
        senders = [  # the module's functions called with SQL: they may hand their parameter on
            (start, end)
            for statement, _ in self.model.statements
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and statement.name in self.sql_callees
            for start, end in [statement_span(statement)]
        ]
        if senders:
            imported = set(self.model.imports)
            for statement in self.model.import_statements:  # and the names relative imports bind
                if isinstance(statement, ast.ImportFrom) and statement.level:
                    imported.update(alias.asname or alias.name for alias in statement.names)
            heads = re.compile(rf"\b(?:{name_alternation(imported)})\s*[.(]") if imported else None
            for line in self.model.lines_matching(heads, word_start=True) if heads is not None else []:
                if any(start <= line <= end for start, end in senders):
                    lines.add(line)
        self.wrappers, self.remote = {}, {}
        self.lines_with_calls = sorted(lines)
        self.read(self.model.tree)
        self.wrappers, self.remote = None, None
        self.read_wrapper_calls()

    def _remote_wrapper(self, node: ast.Call, chain: tuple[ast.AST | None, ...]) -> Wrapper | None:
        """The wrapper of another module this call calls: ``name(...)`` or ``module.name(...)`` of an
        import, or ``x.method(...)`` / ``Class().method(...)`` of an instance of an imported class."""
        assert self.remote is not None and self.resolve_wrapper is not None
        func = node.func
        method = func.attr if isinstance(func, ast.Attribute) else ""
        if method in self.methods or self.model.qualify(func) in self.functions:
            return None  # a sink itself, read already
        if not spans_a_line(self.sql_lines, node.lineno, node.end_lineno or node.lineno) and not (
            isinstance(chain[-1], ast.FunctionDef | ast.AsyncFunctionDef)
            and chain[-1].name in self.sql_callees
            and any(
                wrapper_of_parameter(self.model, argument, chain, "", "", 0)
                for argument in [*node.args, *(keyword.value for keyword in node.keywords)]
            )
        ):
            return None  # neither SQL here nor a parameter handed on by a function called with SQL
        callee = self._imported_callee(func, chain)
        if callee is None:
            return None
        if callee not in self.remote:
            self.remote[callee] = self.resolve_wrapper(*callee)
        return self.remote[callee]

    def _imported_callee(self, func: ast.expr, chain: tuple[ast.AST | None, ...]) -> tuple[str, str, str] | None:
        """(an imported name, the attributes after it, the method called on what calling that makes,
        or "") for a callee that goes through a module-level import; None otherwise."""
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):  # ``Database().run(...)``
            made = self._imported_callee(func.value.func, chain)
            return (made[0], made[1], func.attr) if made is not None and not made[2] else None
        dotted = dotted_name(func)
        head, _, rest = dotted.partition(".")
        if not head:
            return None
        if self.values.is_imported(head, chain):
            return head, rest, ""
        found = self.values.bound_scope(head, chain) if rest and "." not in rest else None
        if found is None or len(found[0]) != 1 or found[0][0].kind != ASSIGN:
            return None
        value = found[0][0].value  # ``db = Database()`` then ``db.run(...)``
        if not isinstance(value, ast.Call):
            return None
        made = self._imported_callee(value.func, found[1])
        return (made[0], made[1], rest) if made is not None and not made[2] else None


MAX_WRAPPER_DEPTH = 3  # wrappers of wrappers followed (in a module, and across modules)


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
    qualname: str = ""  # how other modules name it (``execute_query``, ``Database.run``); "" for a nested def
    place: str = ""  # where the sink is when it is in another module: " in common/db.py:12 through `run()`"
    inner: tuple[str, ...] = ()  # the module's wrappers it sends through, outermost first (``execute_query``)

    def arguments(self, call: ast.Call) -> list[ast.expr]:
        for keyword in call.keywords:
            if keyword.arg == self.parameter:
                return [keyword.value]
        if any(isinstance(argument, ast.Starred) for argument in call.args):
            return []
        if self.position is not None and self.position < len(call.args):
            return [call.args[self.position]]
        return []


# (a name the module imports, the attributes written after it, the method called on what calling
# that makes, or "") -> the wrapper of another module of the project the callee is, its ``place`` set
ResolveWrapper = Callable[[str, str, str], "Wrapper | None"]


def wrapper_of_parameter(
    model: PythonModule,
    argument: ast.expr,
    chain: tuple[ast.AST | None, ...],
    keyword: str,
    sink: str,
    sink_line: int,
    place: str = "",
    inner: tuple[str, ...] = (),
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
    owner = _owner_class(model, function)
    method = owner is not None and "staticmethod" not in decorators
    if method:
        positional = positional[1:]
    position = positional.index(argument.id) if argument.id in positional else None
    if position is None and argument.id not in [parameter.arg for parameter in arguments.kwonlyargs]:
        return None  # ``self`` itself
    body = model.tree.body
    qualname = function.name if function in body else ""
    if owner is not None and owner in body and "classmethod" not in decorators:
        qualname = f"{owner.name}.{function.name}"
    return Wrapper(function.name, method, argument.id, position, keyword, sink, sink_line, qualname, place, inner)


def _owner_class(model: PythonModule, function: ast.AST) -> ast.ClassDef | None:
    """The class in whose body ``function`` is defined directly, if any."""
    for statement, _ in model.statements:
        if isinstance(statement, ast.ClassDef) and function in statement.body:
            return statement
    return None


# The start of a string literal that holds SQL: a statement's first keyword, in capitals or in small letters
_SQL_TEXT = re.compile(
    r"[\"']\s*(?:"
    + name_alternation(SQL_STATEMENT_WORDS)
    + "|"
    + name_alternation(word.lower() for word in SQL_STATEMENT_WORDS)
    + r")\s"
)


def _lines_with_sql_text(model: PythonModule) -> list[int]:
    """The lines where a string literal holding SQL starts, and those that use a name such a
    literal is bound to (``LOCK = "SELECT ..."``, then ``run(LOCK)``)."""
    lines = model.lines_matching(_SQL_TEXT)
    if not lines:
        return []
    names: set[str] = set()
    for statement, _ in model.statements_on(lines):
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        if isinstance(statement, ast.AnnAssign | ast.AugAssign):
            targets = [statement.target]
        names.update(target.id for target in targets if isinstance(target, ast.Name))
    if names:
        lines = sorted({*lines, *model.lines_matching(re.compile(rf"\b(?:{name_alternation(names)})\b"))})
    return lines


def _lines_passing_imported_names(model: PythonModule) -> list[int]:
    """The lines where a name that a ``from ... import`` binds is a call's argument, or the
    container of one (``run(LOCK_SQL)``, ``run(QUERIES["lock"])``): its text may be SQL."""
    names = {
        alias.asname or alias.name
        for statement in model.import_statements
        if isinstance(statement, ast.ImportFrom)
        for alias in statement.names
        if alias.name != "*"
    }
    if not names:
        return []
    return model.lines_matching(re.compile(rf"[(,]\s*(?:{name_alternation(names)})\s*[,)\[]"))


def _callees_on(model: PythonModule, lines: list[int]) -> set[str]:
    """The last names of the callees of the calls in the statements on ``lines``."""
    found: set[str] = set()
    for statement, _ in model.statements_on(lines):
        for part in expressions_of(statement):
            for node in ast.walk(part):
                if isinstance(node, ast.Call):
                    func = node.func
                    found.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return found


def may_send_sql_text(text: str) -> bool:
    """Whether ``text`` holds a string literal that starts like an SQL statement (``_SQL_TEXT``)."""
    return _SQL_TEXT.search(text) is not None


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
    resolve_wrapper: ResolveWrapper | None = None,
    resolve_return: ResolveReturn | None = None,
) -> PythonExtraction:
    """The SQL fragments reaching sinks in ``model``, and the calls named in ``call_names`` with
    their string arguments. ``sinks`` are the configured extra sinks (``pkg.func``, ``*.method``);
    ``resolve_import`` gives the values of a name imported from another module (see
    ``extract.values``), ``resolve_wrapper`` the wrapper another module of the project defines
    that a callee names (see ``ResolveWrapper``), and ``resolve_return`` what a function of another
    module returns."""
    function_sinks, method_sinks = split_sinks(sinks)
    functions = FUNCTION_SINKS | function_sinks
    methods = METHOD_SINKS | STATEMENT_SINKS.keys() | method_sinks
    names = frozenset(call_names)
    lines_with_calls = model.lines_with_calls(interesting_names(functions, methods | PROCEDURE_SINKS, names))
    reader = _Reader(
        model, path, functions, methods, names, lines_with_calls, resolve_import, resolve_wrapper, resolve_return
    )
    if lines_with_calls:
        reader.read(model.tree)
        reader.read_wrapper_calls()
    reader.read_remote_wrapper_calls()
    return reader.result


# a method sink called with a bare name as its first argument or a keyword (``.execute(sql, params)``)
_METHOD_SINK_CALL = re.compile(
    rf"\.\s*(?:{name_alternation(METHOD_SINKS | STATEMENT_SINKS.keys())})\s*\(\s*(?:\w+\s*=\s*)?[^\W\d]\w*\s*[,)]"
)
_SINK_LIBRARIES = frozenset(name.split(".", 1)[0] for name in FUNCTION_SINKS)


def module_wrappers(model: PythonModule) -> dict[str, Wrapper]:
    """The module's functions and methods that other modules can call, which send a parameter to
    one of the built-in sinks (directly or through the module's own wrappers), by qualified name.
    No SQL is read: this is what the project index records of a module (``pinlint.index.summary``)."""
    methods = METHOD_SINKS | STATEMENT_SINKS.keys()
    if _METHOD_SINK_CALL.search(model.source) is None and not any(
        dotted.split(".", 1)[0] in _SINK_LIBRARIES for dotted in model.imports.values()
    ):
        return {}  # no sink is handed a name: no wrapper (most modules, decided by one quick search)
    lines_with_calls = model.lines_with_calls(interesting_names(FUNCTION_SINKS, methods, ()))
    if not lines_with_calls:
        return {}
    reader = _Reader(model, "", FUNCTION_SINKS, methods, frozenset(), lines_with_calls, read_fragments=False)
    reader.read(model.tree)
    reader.read_wrapper_calls()
    return {wrapper.qualname: wrapper for wrapper in reader.found_wrappers.values() if wrapper.qualname}
