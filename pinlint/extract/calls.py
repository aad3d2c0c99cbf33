"""Driver-call facts of a Python module: the calls a driver rule looks at, with their arguments
as literal values, and the settings structures a settings rule looks at. Read from the module's
model (``pinlint.pymodel``): its statements, imports and line index.

A call's function is qualified through the module's imports (``pg.connect`` -> ``psycopg2.connect``);
a method call on an object whose type is unknown keeps only its method name. Argument values are
literals rendered with ``repr`` (``None``, ``0``, ``True``, ``'name'``) or ``DYNAMIC`` when they are
computed at run time.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pinlint.bindings import ANNOTATED, PARAMETER, Binding, dotted_name
from pinlint.facts import DYNAMIC, Argument, Call, ModuleCalls, Setting
from pinlint.pymodel import FUNCTIONS, PythonModule, call_regex, expressions_of, qualified_name

# The fact types live in pinlint.facts; they are re-exported here for the readers that name them
# by this module (the rule kinds).
__all__ = [
    "DYNAMIC",
    "Argument",
    "Call",
    "MethodContext",
    "ModuleCalls",
    "Setting",
    "literal_argument",
    "method_contexts",
    "module_calls",
]


@dataclass
class _Scan:
    calls: list[tuple[ast.Call, bool]] = field(default_factory=list)  # (call, inside a function)
    assigns: list[ast.Assign] = field(default_factory=list)


def _scan(tree: ast.Module) -> _Scan:
    """Calls (with their scope) and assignments, in one pass over the tree."""
    scan = _Scan()
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, in_function = stack.pop()
        if isinstance(node, ast.Call):
            scan.calls.append((node, in_function))
        elif isinstance(node, ast.Assign):
            scan.assigns.append(node)
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return scan


def _scan_lines(model: PythonModule, wanted: Callable[[dict[str, str]], re.Pattern[str]]) -> _Scan:
    """Like ``_scan``, but looks for calls only in statements on whose lines ``wanted`` (built from
    the module's import aliases) finds a call-shaped match: most of a module is never walked."""
    scan = _Scan()
    scan.assigns = [statement for statement, _ in model.statements if isinstance(statement, ast.Assign)]
    call_lines = model.lines_matching(wanted(model.imports), word_start=True)
    for statement, in_function in model.statements_on(call_lines):
        inner = in_function or isinstance(statement, FUNCTIONS)  # decorators and defaults too, as _scan
        stack: list[tuple[ast.AST, bool]] = [(part, inner) for part in expressions_of(statement)]
        while stack:
            node, flag = stack.pop()
            if isinstance(node, ast.Call):
                scan.calls.append((node, flag))
            flag = flag or isinstance(node, ast.Lambda)
            stack.extend((child, flag) for child in ast.iter_child_nodes(node))
    return scan


def _call_pattern(functions: frozenset[str], methods: frozenset[str]) -> Callable[[dict[str, str]], re.Pattern[str]]:
    def build(aliases: dict[str, str]) -> re.Pattern[str]:
        names = {name.rsplit(".", 1)[-1] for name in functions} | set(methods)
        names |= {
            local for local, target in aliases.items() if target in functions or target.rsplit(".", 1)[-1] in names
        }
        return call_regex(names)

    return build


MAX_DISPLAY = 60  # characters of a chained callee shown before its middle is elided


def call_display(func: ast.expr) -> str:
    """How a finding names a callee that is not a plain dotted name: a chain through calls and
    subscripts, with their arguments elided (``Item.objects.filter(…).iterator``), the part after its
    first call elided past MAX_DISPLAY characters (``Item.objects.filter….iterator``); ``….name``
    when the chain does not start at a name (a literal, a comprehension...)."""
    parts: list[str] = []
    node: ast.expr = func
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(f".{node.attr}")
            node = node.value
        elif isinstance(node, ast.Call):
            parts.append("(…)")
            node = node.func
        elif isinstance(node, ast.Subscript):
            parts.append("[…]")
            node = node.value
        else:
            break
    method = func.attr if isinstance(func, ast.Attribute) else ""
    if not isinstance(node, ast.Name) or not parts:
        return f"….{method}" if method else "call"
    ordered = parts[::-1]
    shown = node.id + "".join(ordered)
    if len(shown) <= MAX_DISPLAY:
        return shown
    lead = node.id
    for part in ordered[:-1]:
        if not part.startswith("."):
            break
        lead += part
    return f"{lead}….{method}" if method else f"{lead}…"


def literal_argument(model: PythonModule, node: ast.expr, start: ast.expr | ast.keyword | None = None) -> Argument:
    """The literal value of ``node`` (``repr``, else ``DYNAMIC``); its place runs from ``start``
    (a keyword's name) to the end of ``node``."""
    column = model.column
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


def module_calls(
    model: PythonModule,
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
    tree = model.tree
    column = model.column

    def argument(node: ast.expr, start: ast.expr | ast.keyword | None = None) -> Argument:
        return literal_argument(model, node, start)

    result = ModuleCalls()
    if functions is None or methods is None:
        scan = _scan(tree)
    else:
        scan = _scan_lines(model, _call_pattern(functions, methods))
    scan.calls.sort(key=lambda item: (item[0].lineno, item[0].col_offset))
    result.imports.update(model.packages)
    traced: list[tuple[Call, ast.Call]] = []
    for call_node, in_function in scan.calls:
        dotted = dotted_name(call_node.func)
        name = model.qualify(call_node.func, imported_only=True)
        method = call_node.func.attr if isinstance(call_node.func, ast.Attribute) else ""
        wanted_function = functions is None or name in functions
        wanted_method = methods is None or method in methods
        if not (wanted_function or (method and wanted_method)):
            continue
        end_line = call_node.func.end_lineno or call_node.lineno
        call = Call(
            name=name,
            method=method,
            display=dotted or call_display(call_node.func),
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
        contexts = method_contexts(model, frozenset(call.method for call, _ in traced))
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
                qualified = model.qualify(target.value)
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


def _switched_off(node: ast.AST, name: str) -> bool:
    """Whether ``node`` (a call's keywords, or a class body's assignments) sets ``name`` to False."""
    if isinstance(node, ast.Call):
        values = [keyword.value for keyword in node.keywords if keyword.arg == name]
    elif isinstance(node, ast.ClassDef):
        values = [
            statement.value
            for statement in node.body
            if isinstance(statement, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == name for target in statement.targets)
        ]
    else:
        return False
    return any(isinstance(value, ast.Constant) and value.value is False for value in values)


def _switched_on(call: ast.Call, name: str) -> bool:
    return any(
        keyword.arg == name and isinstance(keyword.value, ast.Constant) and keyword.value.value is True
        for keyword in call.keywords
    )


def functions_run_by_calls(model: PythonModule) -> dict[str, frozenset[str]]:
    """The module-level functions handed by name to a call (``RunPython(backfill)``), each with
    the qualified names of the calls that take it: the function's body runs within those calls, as
    it runs within a ``with`` block or a decorator.

    ``atomic = False`` on the class whose body holds the call (Django's ``Migration.atomic``)
    means the function runs outside the transaction that call would give it, unless the call
    itself says ``atomic=True``: then it is not within the call."""
    defined = {node.name for node in model.tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    if not defined:
        return {}
    found: dict[str, set[str]] = {}
    stack: list[tuple[ast.AST, ast.ClassDef | None]] = [(model.tree, None)]
    while stack:
        node, owner = stack.pop()
        if isinstance(node, ast.ClassDef):
            owner = node
        if isinstance(node, ast.Call):
            passed = [*node.args, *(keyword.value for keyword in node.keywords)]
            names = [argument.id for argument in passed if isinstance(argument, ast.Name) and argument.id in defined]
            guard = _guard(node, model.imports) if names else ""
            off = owner is not None and _switched_off(owner, "atomic") and not _switched_on(node, "atomic")
            if guard and not off:
                for name in names:
                    found.setdefault(name, set()).add(guard)
        stack.extend((child, owner) for child in ast.iter_child_nodes(node))
    return {name: frozenset(guards) for name, guards in found.items()}


def _binding_origin(binding: Binding, imports: dict[str, str]) -> str:
    """What made the object of one binding: the call its value came from, else (an annotated
    assignment or parameter) its annotation's qualified name."""
    if binding.kind == PARAMETER:
        return qualified_name(binding.annotation, imports) if binding.annotation is not None else ""
    made = _origin(binding.value, imports)
    if not made and binding.kind == ANNOTATED and binding.annotation is not None:
        return qualified_name(binding.annotation, imports)
    return made


def method_contexts(model: PythonModule, methods: frozenset[str]) -> dict[tuple[int, int], MethodContext]:
    """For each call ``x.method(...)`` with ``method`` in ``methods`` (keyed by the call's line
    and column offset): the origins of ``x`` and the ``with`` blocks and decorated functions
    around the call, and the calls a module-level function is handed to (``functions_run_by_calls``).

    Origins come from the bindings of the name (the model's scopes, see ``pinlint.bindings``) in
    the call's own function, the scopes around it, or the module; ``self.x`` from any ``self.x = ...``
    in the module. Bindings are assignments, ``with ... as x`` and parameter annotations (the
    annotation's qualified name). An attribute chain that nothing binds (``Order.objects``) has its
    last attribute as origin (``.objects``). Flow-insensitive on purpose: a name bound to a
    connection anywhere in the scope counts."""
    imports = model.imports
    scopes = model.scopes
    pending: list[tuple[ast.Call, tuple[ast.AST | None, ...], frozenset[str]]] = []

    def origin(binding: Binding) -> str:
        return _binding_origin(binding, imports)

    no_guards: frozenset[str] = frozenset()
    run_by = functions_run_by_calls(model)
    chain0: tuple[ast.AST | None, ...] = (None,)
    stack: list[tuple[ast.AST, tuple[ast.AST | None, ...], frozenset[str]]] = [(model.tree, chain0, no_guards)]
    while stack:
        node, chain, within = stack.pop()
        if isinstance(node, ast.With | ast.AsyncWith):
            inside = within | {_guard(item.context_expr, imports) for item in node.items}
            stack.extend((child, chain, inside) for child in node.body)
            stack.extend((item, chain, within) for item in node.items)
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods:
            pending.append((node, chain, within))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            inner = (*chain, node)
            if isinstance(node, ast.Lambda | ast.ClassDef):
                stack.extend((child, inner, within) for child in ast.iter_child_nodes(node))
                continue
            inside = within | {_guard(decorator, imports) for decorator in node.decorator_list}
            if chain == chain0:
                inside |= run_by.get(node.name, no_guards)
            stack.extend((child, inner, inside) for child in node.body)
            stack.extend((child, chain, within) for child in (*node.decorator_list, node.args))
        else:
            stack.extend((child, chain, within) for child in ast.iter_child_nodes(node))

    found: dict[tuple[int, int], MethodContext] = {}
    for call, chain, within in pending:
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else call.func
        origins: set[str] = set()
        if isinstance(receiver, ast.Name):
            origins = scopes.origins(receiver.id, chain, origin)
        elif isinstance(receiver, ast.Attribute) and dotted_name(receiver):
            origins = scopes.attribute_origins(dotted_name(receiver), origin) or {f".{receiver.attr}"}
        else:
            origins = {_origin(receiver, imports)} - {""}
        found[(call.lineno, call.col_offset)] = MethodContext(frozenset(origins), within - {""})
    return found
