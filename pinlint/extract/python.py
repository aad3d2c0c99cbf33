"""Extract the SQL that reaches a database from Python source, with libcst.

Only strings that reach a sink are read: the SQL argument of a DB-API or driver call
(``cur.execute``, asyncpg ``fetch``...), SQLAlchemy ``text()``, Django ``RunSQL`` and
``Manager.raw``, pandas ``read_sql``, the RDS Data API, and sinks named in the config.
A sink's argument may be a literal of any kind, a concatenation, an f-string or a
%/format() template (dynamic parts become holes), or a name bound once to such a value in
the same function or module. Docstrings, comments, log messages and other strings are
never looked at. The code is parsed, never imported or run.

It also records calls that Python-level matchers ask for (``CallFact``), e.g. connect calls.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from pinlint.extract.fast import Plan, follow_name, imports_of, plan
from pinlint.extract.narrow import render
from pinlint.extract.sinks import (
    FUNCTION_SINKS,
    METHOD_SINKS,
    ExtractionError,
    split_sinks,
    sql_arguments,
)
from pinlint.matchers import CallFact
from pinlint.model import Fragment
from pinlint.pystrings import Piece, decode, split_prefix, with_fields_as_holes

MAX_NAME_DEPTH = 8


@dataclass
class PythonExtraction:
    fragments: list[Fragment] = field(default_factory=list)
    calls: list[CallFact] = field(default_factory=list)


def _dotted(node: cst.BaseExpression) -> str:
    """``a.b.c`` for a chain of names, else ''."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else ""
    return ""


def _import_name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_import_name(node.value)}.{node.attr.value}"
    return ""


class _Bindings(cst.CSTVisitor):
    """First pass: imports, and every binding of every name per scope (module or function)."""

    def __init__(self) -> None:
        self.imports: dict[str, str] = {}
        self.scopes: dict[cst.CSTNode, dict[str, list[cst.BaseExpression | None]]] = {}
        self.stack: list[cst.CSTNode] = []

    def _bind(self, name: str, value: cst.BaseExpression | None) -> None:
        self.scopes[self.stack[-1]].setdefault(name, []).append(value)

    def visit_Module(self, node: cst.Module) -> None:
        self.stack.append(node)
        self.scopes[node] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._bind(node.name.value, None)
        self.stack.append(node)
        self.scopes[node] = {}
        for param in [*node.params.params, *node.params.kwonly_params, *node.params.posonly_params]:
            self._bind(param.name.value, None)
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                self._bind(star.name.value, None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._bind(node.name.value, None)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _import_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.imports[alias.asname.name.value] = full
                self._bind(alias.asname.name.value, None)
            else:
                top = full.split(".")[0]
                self.imports.setdefault(top, top)
                self._bind(top, None)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is None or node.relative or isinstance(node.names, cst.ImportStar):
            return
        module = _import_name(node.module)
        for alias in node.names:
            name = _import_name(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.imports[local] = f"{module}.{name}"
            self._bind(local, None)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._bind(target.target.value, node.value)
            else:
                for name in _names_in(target.target):
                    self._bind(name, None)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name):
            self._bind(node.target.value, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        scope = self.scopes.get(self.stack[-1], {}) if self.stack else {}
        if isinstance(node.target, cst.Name) and isinstance(node.operator, cst.AddAssign):
            values = scope.get(node.target.value, [])
            if len(values) == 1 and values[0] is not None:
                # ``sql = "SELECT ..."`` then ``sql += more``: one value, built in steps.
                values[0] = cst.BinaryOperation(left=values[0], operator=cst.Add(), right=node.value)
                return
        for name in _names_in(node.target):
            self._bind(name, None)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        for name in _names_in(node.target):
            self._bind(name, None)

    def visit_For(self, node: cst.For) -> None:
        for name in _names_in(node.target):
            self._bind(name, None)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            for name in _names_in(node.asname.name):
                self._bind(name, None)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            for name in _names_in(node.name.name):
                self._bind(name, None)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        for name in _names_in(node.target):
            self._bind(name, None)


def _names_in(node: cst.CSTNode) -> Iterable[str]:
    if isinstance(node, cst.Name):
        yield node.value
    elif isinstance(node, (cst.Tuple, cst.List)):
        for element in node.elements:
            yield from _names_in(element.value)
    elif isinstance(node, cst.StarredElement):
        yield from _names_in(node.value)


class _SinkVisitor(cst.CSTVisitor):
    """Second pass: find sink calls and requested calls, resolve their string arguments."""

    def __init__(
        self,
        path: str,
        bindings: _Bindings,
        positions: Mapping[cst.CSTNode, CodeRange],
        extra_function_sinks: frozenset[str],
        extra_method_sinks: frozenset[str],
        call_names: frozenset[str],
    ) -> None:
        self.path = path
        self.original_line: Callable[[int], int] | None = None  # kept line -> line in the file
        self.bindings = bindings
        self.positions = positions
        self.function_sinks = FUNCTION_SINKS | extra_function_sinks
        self.method_sinks = METHOD_SINKS | extra_method_sinks
        self.call_names = call_names
        self.chain: list[cst.CSTNode] = []
        self.functions: list[str] = []
        self.result = PythonExtraction()

    # --- scopes -----------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self.chain.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.chain.append(node)
        self.functions.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.chain.pop()
        self.functions.pop()

    # --- positions ----------------------------------------------------------------
    def _start(self, node: cst.CSTNode) -> tuple[int, int]:
        position = self.positions[node].start
        if self.original_line is not None:
            return self.original_line(position.line), position.column + 1
        return position.line, position.column + 1

    def _end_line(self, node: cst.CSTNode) -> int:
        line = int(self.positions[node].end.line)
        return self.original_line(line) if self.original_line is not None else line

    # --- values -------------------------------------------------------------------
    def _literal(self, node: cst.SimpleString) -> Piece:
        prefix, quote, body = split_prefix(node.value)
        line, column = self._start(node)
        return decode(body, line, column + len(prefix) + len(quote), raw="r" in prefix)

    def _fstring(self, node: cst.FormattedString) -> Piece:
        raw = "r" in node.start.lower()
        piece = Piece()
        for part in node.parts:
            line, column = self._start(part)
            if isinstance(part, cst.FormattedStringText):
                piece.extend(decode(part.value, line, column, raw=raw, fstring_text=True))
            else:
                piece.extend(Piece.hole(line, column))
        return piece

    def _resolve(
        self, node: cst.BaseExpression, chain: list[cst.CSTNode], depth: int = 0
    ) -> tuple[Piece, cst.BaseExpression, str] | None:
        """The string value of ``node``, the node holding the literal, and the name it came through.
        ``depth`` counts names followed (a cycle of names ends there), not the parts of a string."""
        if depth > MAX_NAME_DEPTH:
            return None
        if isinstance(node, cst.SimpleString):
            return self._literal(node), node, ""
        if isinstance(node, cst.FormattedString):
            return self._fstring(node), node, ""
        if isinstance(node, cst.ConcatenatedString):
            left = self._resolve(node.left, chain, depth)
            right = self._resolve(node.right, chain, depth)
            if left is None or right is None:
                return None
            piece = Piece()
            piece.extend(left[0])
            piece.extend(right[0])
            return piece, node, ""
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.Add):
                left = self._resolve(node.left, chain, depth)
                right = self._resolve(node.right, chain, depth)
                if left is None and right is None:
                    return None
                piece = Piece()
                for side, side_node in ((left, node.left), (right, node.right)):
                    if side is None:
                        piece.extend(Piece.hole(*self._start(side_node)))
                    else:
                        piece.extend(side[0])
                holder = node if node in self.positions else (left or right or (None, node))[1]
                return piece, holder, (left or right or (None, None, ""))[2]
            if isinstance(node.operator, cst.Modulo):
                left = self._resolve(node.left, chain, depth)
                if left is None:
                    return None
                return with_fields_as_holes(left[0], "percent"), left[1], left[2]
            return None
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
            base = self._resolve(node.func.value, chain, depth)
            if base is None:
                return None
            return with_fields_as_holes(base[0], "brace"), base[1], base[2]
        if isinstance(node, cst.Name):
            return follow_name(node.value, chain, self.bindings.scopes, None, self._resolve, depth)
        return None

    # --- calls --------------------------------------------------------------------
    def _qualified(self, func: cst.BaseExpression) -> str:
        dotted = _dotted(func)
        if not dotted:
            return ""
        head, _, rest = dotted.partition(".")
        if head in self.bindings.imports:
            head = self.bindings.imports[head]
        return f"{head}.{rest}" if rest else head

    def _sink_arguments(self, node: cst.Call, qualified: str) -> list[cst.BaseExpression]:
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else ""
        positional = [arg.value for arg in node.args if arg.keyword is None and arg.star == ""]
        keywords = {arg.keyword.value: arg.value for arg in node.args if arg.keyword is not None}
        return sql_arguments(qualified, method, positional, keywords, self.function_sinks, self.method_sinks)

    def _fragment(self, value: cst.BaseExpression, call: cst.Call, sink: str) -> list[Fragment]:
        if isinstance(value, (cst.List, cst.Tuple)):
            fragments = []
            for element in value.elements:
                inner = element.value
                if isinstance(inner, (cst.Tuple, cst.List)) and inner.elements:
                    inner = inner.elements[0].value  # RunSQL's (sql, params) pairs
                fragments.extend(self._fragment(inner, call, sink))
            return fragments
        resolved = self._resolve(value, self.chain)
        if resolved is None:
            return []
        piece, literal, via_name = resolved
        call_line = self._start(call)[0]
        noqa_lines = {self._end_line(literal), call_line}
        if via_name:
            noqa_lines.add(self._start(literal)[0])
        function = self.functions[-1] if self.functions else ""
        return [piece.fragment(self.path, sink, call_line, noqa_lines, via_name, function)]

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self._qualified(node.func)
        dotted = _dotted(node.func)
        display = (
            dotted
            if dotted and dotted.count(".") <= 2
            else (f"….{node.func.attr.value}" if isinstance(node.func, cst.Attribute) else "call")
        )
        for argument in self._sink_arguments(node, qualified):
            self.result.fragments.extend(self._fragment(argument, node, display))
        last = (
            qualified.rsplit(".", 1)[-1]
            if qualified
            else (node.func.attr.value if isinstance(node.func, cst.Attribute) else "")
        )
        if last and (last in self.call_names or qualified in self.call_names) and node.args:
            self.result.calls.append(self._call_fact(node, qualified or last))  # (no arguments: nothing to read)

    def _call_fact(self, node: cst.Call, name: str) -> CallFact:
        positional: list[Fragment] = []
        keywords: dict[str, Fragment] = {}
        dict_keywords: dict[str, dict[str, Fragment]] = {}
        for argument in node.args:
            if argument.star:
                continue
            if isinstance(argument.value, cst.Dict) and argument.keyword is not None:
                entries: dict[str, Fragment] = {}
                for element in argument.value.elements:
                    if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
                        key = element.key.evaluated_value
                        fragments = self._fragment(element.value, node, name)
                        if isinstance(key, str) and fragments:
                            entries[key] = fragments[0]
                dict_keywords[argument.keyword.value] = entries
                continue
            fragments = self._fragment(argument.value, node, name)
            if not fragments:
                continue
            if argument.keyword is None:
                positional.append(fragments[0])
            else:
                keywords[argument.keyword.value] = fragments[0]
        return CallFact(name, self._start(node)[0], positional, keywords, dict_keywords)


MAX_RELEVANT_CHARS = 1_000_000  # libcst takes about 10 s per MB: beyond this, skip with a warning
MAX_NESTING = 120  # deeper code makes libcst's recursive parser and visitors overflow
_BRACKETS_RE = re.compile(r"[()\[\]{}]")
_LONG_LINE_RE = re.compile(r"^[^\n]{20000}", re.MULTILINE)


def _too_deep(source: str) -> str:
    """A reason to skip ``source`` when it nests deeper than libcst can take, else ''.

    libcst's native parser can crash the process (stack overflow) on thousands of nested
    brackets, and its visitors recurse once per level. Most files are cleared by a cheap
    bracket count; a suspicious one (deep brackets, or a very long line that may hold an
    operator chain) is measured with CPython's own parser first.
    """
    depth = deepest = 0
    for match in _BRACKETS_RE.finditer(source):
        depth += 1 if match.group() in "([{" else -1
        deepest = max(deepest, depth)
    if deepest <= MAX_NESTING and not _LONG_LINE_RE.search(source):
        return ""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        if "nested" in str(error.msg):
            return f"too deeply nested for the Python parser (line {error.lineno}); skipped"
        return ""  # maybe newer syntax than this interpreter knows: let libcst decide
    except (RecursionError, MemoryError):
        return "too deeply nested for the Python parser; skipped"
    stack: list[tuple[ast.AST, int, int]] = [(tree, 0, 1)]
    while stack:
        node, level, line = stack.pop()
        line = getattr(node, "lineno", line)
        if level > MAX_NESTING:
            return f"expressions nested more than {MAX_NESTING} levels deep (line {line}); skipped"
        stack.extend((child, level + 1, line) for child in ast.iter_child_nodes(node))
    return ""


def _syntax_error(source: str, error: cst.ParserSyntaxError) -> str:
    """One line for a file that does not parse; CPython's own message when it agrees."""
    try:
        ast.parse(source)
    except SyntaxError as python_error:
        return f"syntax error at line {python_error.lineno}: {python_error.msg}; skipped"
    except (RecursionError, MemoryError, ValueError):
        pass
    message = error.message.split("error: ", 1)[-1]
    return f"syntax error at line {error.raw_line}: {message}; skipped"


def extract_python(
    source: str,
    path: str,
    *,
    sinks: Iterable[str] = (),
    call_names: Iterable[str] = (),
    tree: ast.Module | None = None,
    fast_path: bool = True,
    planned: Plan | None = None,
) -> PythonExtraction:
    """Parse ``source`` and return the SQL fragments reaching sinks, and the requested calls.
    ``tree`` is ``ast.parse(source)`` when the caller has it already. Units whose sink calls all
    pass plain literals are read with ``ast`` (``fast_path``); libcst reads the rest. ``planned``
    is what ``fast.plan`` returned for the same arguments, when the caller has it already."""
    sinks = tuple(sinks)
    call_names = frozenset(call_names)
    function_sinks, method_sinks = split_sinks(sinks)
    if planned is None:
        planned = plan(source, path, sinks=sinks, call_names=call_names, tree=tree, fast_path=fast_path)
    units = planned.units
    fast: list[Fragment] = planned.fast.fragments if planned.fast else []
    handled: frozenset[int] = planned.fast.handled if planned.fast else frozenset()
    if planned.done:
        return PythonExtraction(fragments=fast)  # every sink call was a plain literal: no libcst
    narrowed = render(source, units, handled)
    source = narrowed.text
    if len(source) > MAX_RELEVANT_CHARS:
        size = len(source) / 1_000_000
        raise ExtractionError(
            f"{size:.1f} MB of code around database calls (generated?) is more than pinlint analyses "
            f"({MAX_RELEVANT_CHARS // 1_000_000} MB); skipped"
        )
    problem = _too_deep(source)
    if problem:
        raise ExtractionError(problem)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise ExtractionError(_syntax_error(source, error)) from None
    except RecursionError:
        raise ExtractionError("too deeply nested for the Python parser; skipped") from None
    try:
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
        bindings = _Bindings()
        if handled and units is not None:
            bindings.imports.update(imports_of(units))  # imports inside the units read with ast
        wrapper.module.visit(bindings)
        visitor = _SinkVisitor(path, bindings, positions, function_sinks, method_sinks, frozenset(call_names))
        visitor.original_line = narrowed.original_line
        wrapper.module.visit(visitor)
    except RecursionError:
        raise ExtractionError("too deeply nested for the Python parser; skipped") from None
    if fast:
        visitor.result.fragments = sorted(
            [*fast, *visitor.result.fragments], key=lambda fragment: fragment.source_map.position(0)
        )
    return visitor.result
