"""Every call in a Python module with its arguments as literal values, for driver rules.

Works on CPython's ``ast``. A call's function is qualified through the module's imports
(``pg.connect`` -> ``psycopg2.connect``); a method call on an object whose type is unknown
keeps only its method name. Argument values are literals rendered with ``repr`` (``None``,
``0``, ``True``, ``'name'``) or ``DYNAMIC`` when they are computed at run time.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pinlint.source import LineIndex

DYNAMIC = "<dynamic>"


@dataclass(frozen=True)
class Argument:
    value: str  # repr of the literal, or DYNAMIC
    line: int
    column: int  # 1-based, characters
    end_line: int
    end_column: int  # exclusive
    text: str = ""  # a string's own text; for an f-string, its text up to the first {field}


@dataclass
class Call:
    name: str  # qualified function name, or "" when the callee is a method of an unknown object
    method: str  # the attribute name for ``x.method(...)`` calls, else ""
    display: str  # the callee as written, e.g. ``conn.cursor``
    line: int
    column: int
    end_line: int
    end_column: int
    positional: list[Argument] = field(default_factory=list)
    keywords: dict[str, Argument] = field(default_factory=dict)
    dict_keywords: dict[str, dict[str, Argument]] = field(default_factory=dict)  # kwargs={"k": v}
    star_kwargs: bool = False  # ``**options``: any keyword may be set
    in_function: bool = False  # inside a def or lambda (else it runs once, at import)
    receiver_origins: frozenset[str] = frozenset()  # what made ``x`` in ``x.method()``; see method_contexts()
    within: frozenset[str] = frozenset()  # context managers and decorators around it; see method_contexts()


@dataclass(frozen=True)
class Setting:
    """One entry of a settings structure: ``DATABASES["default"]["OPTIONS"]["options"]`` has the
    path ("DATABASES", "default", "OPTIONS", "options"); ``os.environ["PGOPTIONS"] = v`` has
    ("os.environ", "PGOPTIONS")."""

    path: tuple[str, ...]
    value: Argument


@dataclass
class ModuleCalls:
    imports: set[str] = field(default_factory=set)  # top-level package names imported anywhere
    calls: list[Call] = field(default_factory=list)
    settings: list[Setting] = field(default_factory=list)


def dotted_name(node: ast.expr) -> str:
    """``a.b.c`` for a chain of names and attributes, else ''."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def qualified_name(node: ast.expr, imports: dict[str, str]) -> str:
    """``pg.connect`` -> ``psycopg2.connect`` through the module's imports; '' for no dotted name."""
    dotted = dotted_name(node)
    if not dotted:
        return ""
    head, _, rest = dotted.partition(".")
    head = imports.get(head, head)
    return f"{head}.{rest}" if rest else head


@dataclass
class _Scan:
    imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)
    calls: list[tuple[ast.Call, bool]] = field(default_factory=list)  # (call, inside a function)
    assigns: list[ast.Assign] = field(default_factory=list)


def _scan(tree: ast.Module) -> _Scan:
    """Imports, calls (with their scope) and assignments, in one pass over the tree."""
    scan = _Scan()
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, in_function = stack.pop()
        if isinstance(node, ast.Call):
            scan.calls.append((node, in_function))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            scan.imports.append(node)
        elif isinstance(node, ast.Assign):
            scan.assigns.append(node)
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return scan


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def name_alternation(names: Iterable[str]) -> str:
    """A regex matching any of ``names``, written as a trie (``exec(?:ute(?:many)?|_driver_sql)``):
    re tests each character once instead of trying every name in turn (1.6x faster on SQLAlchemy).
    At a place where a name and a longer one both match, the longer one wins."""
    trie: dict[str, Any] = {}
    for name in set(names):
        node = trie
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def call_regex(names: Iterable[str]) -> re.Pattern[str]:
    """``name(`` for any of ``names``. No leading ``\\b``: re then skips ahead by the names' first
    letters (about twice as fast); ``matched_lines(..., word_start=True)`` checks the boundary instead.
    Built once per set of names (most files of a run ask for the same)."""
    return _call_regex_of(frozenset(names))


@lru_cache(maxsize=64)
def _call_regex_of(names: frozenset[str]) -> re.Pattern[str]:
    alternation = name_alternation(names)
    return re.compile(f"(?:{alternation})\\s*\\(") if alternation else re.compile(r"(?!x)x")


def matched_lines(source: str | LineIndex, pattern: re.Pattern[str], *, word_start: bool = False) -> list[int]:
    """The sorted (1-based) lines where ``pattern`` matches; with ``word_start``, only matches
    that do not continue a longer name (``execute(`` but not ``reexecute(``)."""
    index = source if isinstance(source, LineIndex) else LineIndex(source)
    text = index.text
    offsets = []
    for match in pattern.finditer(text):
        offset = match.start()
        if word_start and offset and (text[offset - 1].isalnum() or text[offset - 1] == "_"):
            continue
        offsets.append(offset)
    return index.lines_of(offsets)


_BLOCK_FIELDS = ("body", "handlers", "orelse", "finalbody", "cases")


def spans_a_line(lines: Sequence[int], start: int, end: int) -> bool:
    """True when one of the sorted ``lines`` is in ``start..end``."""
    index = bisect.bisect_left(lines, start)
    return index < len(lines) and lines[index] <= end


def _statements_on(tree: ast.Module, lines: Sequence[int] | None) -> list[tuple[ast.stmt, bool]]:
    """The statements (nested ones included) in source order, with whether each is inside a def;
    with ``lines`` (sorted), only those whose lines hold one of them. A statement without such a
    line is not entered: its nested statements lie within its own lines."""
    found: list[tuple[ast.stmt, bool]] = []
    if lines is not None and not lines:
        return found
    stack: list[tuple[ast.AST, bool]] = [(statement, False) for statement in reversed(tree.body)]
    while stack:
        node, in_function = stack.pop()
        if isinstance(node, ast.stmt | ast.excepthandler):
            if lines is not None and not spans_a_line(lines, node.lineno, node.end_lineno or node.lineno):
                continue
            if isinstance(node, ast.stmt):
                found.append((node, in_function))
        inner = in_function or isinstance(node, _FUNCTIONS)
        children = []
        for name in _BLOCK_FIELDS:
            block = getattr(node, name, None)
            if block:
                children.extend(block)
        stack.extend((child, inner) for child in reversed(children))
    return found


@lru_cache(maxsize=4)
def _statements(tree: ast.Module) -> list[tuple[ast.stmt, bool]]:
    """Every statement of the module (computed once per tree: several passes ask)."""
    return _statements_on(tree, None)


def _expressions(node: ast.stmt) -> list[ast.AST]:
    """The parts of a statement that are not nested statements (its test, targets, decorators...)."""
    parts: list[ast.AST] = []
    for name, value in ast.iter_fields(node):
        if name in _BLOCK_FIELDS:
            if name == "handlers":
                parts.extend(handler.type for handler in value if handler.type is not None)
            elif name == "cases":
                for case in value:
                    parts.append(case.pattern)
                    if case.guard is not None:
                        parts.append(case.guard)
            continue
        if isinstance(value, list):
            parts.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            parts.append(value)
    return parts


def _scan_lines(tree: ast.Module, source: str, wanted: Callable[[dict[str, str]], re.Pattern[str]]) -> _Scan:
    """Like ``_scan``, but looks for calls only in statements on whose lines ``wanted`` (built from
    the module's import aliases) finds a call-shaped match: most of a module is never walked."""
    scan = _Scan()
    statements = _statements(tree)
    for statement, _ in statements:
        if isinstance(statement, ast.Import | ast.ImportFrom):
            scan.imports.append(statement)
        elif isinstance(statement, ast.Assign):
            scan.assigns.append(statement)
    pattern = wanted(import_map(scan.imports))
    call_lines = matched_lines(source, pattern, word_start=True)
    for statement, in_function in _statements_on(tree, call_lines):
        inner = in_function or isinstance(statement, _FUNCTIONS)  # decorators and defaults too, as _scan
        stack: list[tuple[ast.AST, bool]] = [(part, inner) for part in _expressions(statement)]
        while stack:
            node, flag = stack.pop()
            if isinstance(node, ast.Call):
                scan.calls.append((node, flag))
            flag = flag or isinstance(node, ast.Lambda)
            stack.extend((child, flag) for child in ast.iter_child_nodes(node))
    return scan


def nodes_on_lines(tree: ast.Module, source: str, pattern: re.Pattern[str]) -> list[ast.AST]:
    """Every expression node of the statements on whose lines ``pattern`` matches (nested
    statements are judged by their own lines): a walk of the part of a module that can matter."""
    found: list[ast.AST] = []
    for statement, _ in _statements_on(tree, matched_lines(source, pattern)):
        for part in _expressions(statement):
            found.extend(ast.walk(part))
    return found


def import_map(nodes: Iterable[ast.AST]) -> dict[str, str]:
    """Local name -> imported dotted name, from the import statements among ``nodes``
    (``import a.b`` binds ``a``; relative and star imports are left out)."""
    imports: dict[str, str] = {}
    for node in nodes:
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


def _call_pattern(functions: frozenset[str], methods: frozenset[str]) -> Callable[[dict[str, str]], re.Pattern[str]]:
    def build(aliases: dict[str, str]) -> re.Pattern[str]:
        names = {name.rsplit(".", 1)[-1] for name in functions} | set(methods)
        names |= {
            local for local, target in aliases.items() if target in functions or target.rsplit(".", 1)[-1] in names
        }
        return call_regex(names)

    return build


def module_calls(
    tree: ast.Module,
    source: str,
    *,
    functions: frozenset[str] | None = None,
    methods: frozenset[str] | None = None,
    setting_roots: frozenset[str] | None = None,
    traced_methods: Mapping[str, frozenset[str]] | None = None,
) -> ModuleCalls:
    """The calls (and settings) of a module. With ``functions``/``methods``/``setting_roots``,
    only those are recorded: rendering every argument of every call is the costly part.
    Calls of ``traced_methods`` (method -> the packages a module must import for it to matter;
    empty: any module) also get their ``receiver_origins`` and ``within``."""
    traced_methods = traced_methods or {}
    lines = LineIndex(source)

    def column(line: int, offset: int | None) -> int:
        return lines.column(line, offset or 0) + 1

    def argument(node: ast.expr, start: ast.expr | ast.keyword | None = None) -> Argument:
        """The literal value of ``node``; the position runs from ``start`` (a keyword's name) to its end."""
        try:
            value = repr(ast.literal_eval(node))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            value = DYNAMIC
        first = start or node
        end_line = node.end_lineno or node.lineno
        text = ""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            text = str(node.values[0].value)
        return Argument(
            value,
            first.lineno,
            column(first.lineno, first.col_offset),
            end_line,
            column(end_line, node.end_col_offset),
            text,
        )

    result = ModuleCalls()
    if functions is None or methods is None:
        scan = _scan(tree)
    else:
        scan = _scan_lines(tree, source, _call_pattern(functions, methods))
    scan.calls.sort(key=lambda item: (item[0].lineno, item[0].col_offset))
    aliases = import_map(scan.imports)
    for node in scan.imports:
        if isinstance(node, ast.Import):
            result.imports.update(alias.name.split(".")[0] for alias in node.names)
        elif node.module and not node.level:
            result.imports.add(node.module.split(".")[0])
    traced: list[tuple[Call, ast.Call]] = []
    for call_node, in_function in scan.calls:
        dotted = dotted_name(call_node.func)
        head, _, rest = dotted.partition(".")
        name = ""
        if head in aliases:
            name = f"{aliases[head]}.{rest}" if rest else aliases[head]
        method = call_node.func.attr if isinstance(call_node.func, ast.Attribute) else ""
        wanted_function = functions is None or name in functions
        wanted_method = methods is None or method in methods
        if not (wanted_function or (method and wanted_method)):
            continue
        end_line = call_node.func.end_lineno or call_node.lineno
        call = Call(
            name=name,
            method=method,
            display=dotted or (f"….{method}" if method else "call"),
            line=call_node.lineno,
            column=column(call_node.lineno, call_node.col_offset),
            end_line=end_line,
            end_column=column(end_line, call_node.func.end_col_offset),
        )
        call.in_function = in_function
        call.positional = [argument(arg) for arg in call_node.args if not isinstance(arg, ast.Starred)]
        for keyword in call_node.keywords:
            if keyword.arg is None:
                call.star_kwargs = True
                continue
            call.keywords[keyword.arg] = argument(keyword.value, keyword)
            if isinstance(keyword.value, ast.Dict):
                entries = {}
                for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        entries[key.value] = argument(value)
                call.dict_keywords[keyword.arg] = entries
        result.calls.append(call)
        if method in traced_methods:
            traced.append((call, call_node))
    traced = [
        (call, node)
        for call, node in traced
        if not traced_methods[call.method] or traced_methods[call.method] & result.imports
    ]
    if traced:
        contexts = method_contexts(tree, aliases, frozenset(call.method for call, _ in traced))
        for call, call_node in traced:
            context = contexts.get((call_node.lineno, call_node.col_offset))
            if context is not None:
                call.receiver_origins, call.within = context.origins, context.within
    result.calls.sort(key=lambda call: (call.line, call.column))

    def flatten(prefix: tuple[str, ...], node: ast.expr, start: ast.expr | None = None) -> None:
        result.settings.append(Setting(prefix, argument(node, start)))
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    flatten((*prefix, key.value), value, key)

    if setting_roots is not None and not setting_roots:
        return result
    for statement in tree.body:  # module-level NAME = {...}: settings modules
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Dict):
            for target in statement.targets:
                if isinstance(target, ast.Name) and (setting_roots is None or target.id in setting_roots):
                    flatten((target.id,), statement.value)
    if setting_roots is not None and not any("." in root for root in setting_roots):
        return result
    for assign in scan.assigns:  # os.environ["NAME"] = value, anywhere
        for target in assign.targets:
            if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
                base = dotted_name(target.value)
                head, _, rest = base.partition(".")
                qualified = f"{aliases.get(head, head)}.{rest}" if rest else aliases.get(head, head)
                if isinstance(target.slice.value, str) and qualified:
                    result.settings.append(Setting((qualified, target.slice.value), argument(assign.value, target)))
    return result


def _origin(value: ast.expr | None, imports: dict[str, str]) -> str:
    """What made a value: the qualified name of the call that returned it (``psycopg2.connect``),
    ``.getconn`` for a method of an object pinlint does not know, '' for anything else."""
    while isinstance(value, ast.Await):
        value = value.value
    if not isinstance(value, ast.Call):
        return ""
    head = dotted_name(value.func).partition(".")[0]
    if head in imports:
        return qualified_name(value.func, imports)
    if isinstance(value.func, ast.Attribute):
        return f".{value.func.attr}"
    return dotted_name(value.func)


@dataclass(frozen=True)
class MethodContext:
    origins: frozenset[str]  # what made the object the method is called on
    within: frozenset[str]  # qualified names of the context managers and decorators around the call


def _guard(node: ast.expr, imports: dict[str, str]) -> str:
    """``transaction.atomic`` for ``with transaction.atomic():`` and ``@transaction.atomic(using=x)``."""
    return qualified_name(node.func if isinstance(node, ast.Call) else node, imports)


def method_contexts(
    tree: ast.Module, imports: dict[str, str], methods: frozenset[str]
) -> dict[tuple[int, int], MethodContext]:
    """For each call ``x.method(...)`` with ``method`` in ``methods`` (keyed by the call's line
    and column offset): the origins of ``x`` and the ``with`` blocks and decorated functions
    around the call.

    Origins come from every binding of the name in the call's own function, the functions
    around it, or the module; ``self.x`` from any ``self.x = ...`` in the module. Bindings are
    assignments, ``with ... as x`` and parameter annotations (the annotation's qualified name).
    An attribute chain that nothing binds (``Order.objects``) has its last attribute as origin
    (``.objects``). Flow-insensitive on purpose: a name bound to a connection anywhere in the
    scope counts."""
    bindings: dict[tuple[int, str], set[str]] = {}  # (scope id, name or dotted attribute) -> origins
    pending: list[tuple[ast.Call, tuple[int, ...], frozenset[str]]] = []

    def bind(scope: int, target: ast.expr, origin: str) -> None:
        if not origin:
            return
        if isinstance(target, ast.Name):
            bindings.setdefault((scope, target.id), set()).add(origin)
        elif isinstance(target, ast.Attribute) and dotted_name(target):
            bindings.setdefault((0, dotted_name(target)), set()).add(origin)

    no_guards: frozenset[str] = frozenset()
    stack: list[tuple[ast.AST, tuple[int, ...], frozenset[str]]] = [(tree, (0,), no_guards)]
    while stack:
        node, chain, within = stack.pop()
        scope = chain[-1]
        if isinstance(node, ast.Assign):
            origin = _origin(node.value, imports)
            for target in node.targets:
                bind(scope, target, origin)
        elif isinstance(node, ast.AnnAssign):
            bind(scope, node.target, _origin(node.value, imports) or qualified_name(node.annotation, imports))
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    bind(scope, item.optional_vars, _origin(item.context_expr, imports))
            inside = within | {_guard(item.context_expr, imports) for item in node.items}
            stack.extend((child, chain, inside) for child in node.body)
            stack.extend((item, chain, within) for item in node.items)
            continue
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods:
            pending.append((node, chain, within))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            inner = (*chain, id(node))
            if isinstance(node, ast.Lambda | ast.ClassDef):
                stack.extend((child, inner, within) for child in ast.iter_child_nodes(node))
                continue
            arguments = node.args
            for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
                if argument.annotation is not None:
                    bind(id(node), ast.Name(argument.arg), qualified_name(argument.annotation, imports))
            inside = within | {_guard(decorator, imports) for decorator in node.decorator_list}
            stack.extend((child, inner, inside) for child in node.body)
            stack.extend((child, chain, within) for child in (*node.decorator_list, node.args))
        else:
            stack.extend((child, chain, within) for child in ast.iter_child_nodes(node))

    found: dict[tuple[int, int], MethodContext] = {}
    for call, chain, within in pending:
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else call.func
        origins: set[str] = set()
        if isinstance(receiver, ast.Name):
            for scope in reversed(chain):
                if (scope, receiver.id) in bindings:
                    origins = bindings[(scope, receiver.id)]
                    break
        elif isinstance(receiver, ast.Attribute) and dotted_name(receiver):
            origins = bindings.get((0, dotted_name(receiver)), set()) or {f".{receiver.attr}"}
        else:
            origins = {_origin(receiver, imports)} - {""}
        found[(call.lineno, call.col_offset)] = MethodContext(frozenset(origins), within - {""})
    return found
