"""Facts about Lambda handlers in one Python module: which functions are handlers, and
which connection factories run on every invocation of one.

Reads the module's model (``pinlint.pymodel``): its functions, imports and columns. A handler is a function
that a declaration names (see ``pinlint.declarations``), a framework route served on Lambda
(Chalice, Powertools, FastAPI or Flask behind an adapter or a declaration: ``pinlint.extract.routes``),
or, where nothing is declared, a module-level ``lambda_handler``/``handler`` taking
``(event, context)``. A factory call counts when it runs inside the handler, in a nested
function the handler calls, or in a module-level function it calls (two levels deep);
it does not count at module scope, when its result is stored in a module-level global
(``global conn`` / a module-level dict or object), or inside a ``functools.cache``d or
``lru_cache``d function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from pinlint.extract.routes import route_handlers, route_methods
from pinlint.pymodel import PythonModule

CONVENTION_NAMES = ("lambda_handler", "handler")
MAX_DEPTH = 2


@dataclass(frozen=True)
class FactoryCall:
    """A connection factory call that runs per invocation of ``handler``."""

    factory: str
    line: int
    column: int
    end_line: int
    end_column: int
    handler: str
    reason: str
    via: str = ""  # the module function that makes the call, when it is not the handler itself


class _Module:
    """The handler analysis' view of a module: its model, and its module-level functions and names."""

    def __init__(self, model: PythonModule) -> None:
        self.model = model
        self.tree = model.tree
        self.functions = {
            node.name: node for node in self.tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.module_names = {
            target.id
            for node in self.tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
        }

    def qualify(self, node: ast.expr) -> str:
        return self.model.qualify(node)


def _is_cached(module: _Module, function: ast.FunctionDef | ast.AsyncFunctionDef, cache: frozenset[str]) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if module.qualify(target) in cache:
            return True
    return False


def _own_nodes(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[tuple[ast.AST, list[ast.AST]]]:
    """Nodes of ``function``'s body with their ancestors, not entering nested defs/classes/lambdas."""
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(statement, []) for statement in reversed(function.body)]
    while stack:
        node, ancestors = stack.pop()
        yield node, ancestors
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        children = list(ast.iter_child_nodes(node))
        stack.extend((child, [*ancestors, node]) for child in reversed(children))


def _stored_globally(module: _Module, ancestors: list[ast.AST], global_names: set[str], local_names: set[str]) -> bool:
    """The call's value is assigned to a module-level name, or into a module-level object."""
    for node in reversed(ancestors):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
            targets = [node.target]
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in global_names:
                return True
            base = target
            while isinstance(base, ast.Attribute | ast.Subscript):
                base = base.value
            if not isinstance(base, ast.Name) or base is target:
                continue
            if base.id in global_names or (base.id in module.module_names and base.id not in local_names):
                return True
        return False
    return False


def _factory_calls(
    module: _Module,
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    factories: frozenset[str],
    cache: frozenset[str],
    depth: int,
    visiting: set[str],
) -> Iterator[tuple[ast.Call, str]]:
    """(factory call, the function it is in) for calls that run when ``function`` runs."""
    if _is_cached(module, function, cache):
        return
    nodes = list(_own_nodes(function))
    scopes = module.model.scopes
    global_names = scopes.scope(function).globals
    local_names = scopes.local_names(function)
    nested = {
        node.name: node
        for node, _ in nodes
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node is not function
    }
    for node, ancestors in nodes:
        if not isinstance(node, ast.Call):
            continue
        name = module.qualify(node.func)
        if name in factories:
            if not _stored_globally(module, ancestors, global_names, local_names):
                yield node, function.name
            continue
        if not isinstance(node.func, ast.Name):
            continue
        callee = nested.get(node.func.id)
        if callee is None and node.func.id not in local_names and depth < MAX_DEPTH:
            callee = module.functions.get(node.func.id)
        if callee is not None and callee.name not in visiting:
            next_depth = depth if callee.name in nested else depth + 1
            yield from _factory_calls(module, callee, factories, cache, next_depth, visiting | {callee.name})


def _convention_handlers(module: _Module) -> dict[str, str]:
    found = {}
    for name in CONVENTION_NAMES:
        function = module.functions.get(name)
        if function is not None and len(function.args.posonlyargs) + len(function.args.args) == 2:
            found[name] = f"named like a Lambda handler `{name}(event, context)`"
    return found


def _handlers(module: _Module, declared: dict[str, str], use_convention: bool) -> dict[str, str]:
    """Declared functions, framework routes (pinlint.extract.routes), and where nothing is
    declared, the convention's ``lambda_handler``/``handler``."""
    handlers = {name: reason for name, reason in declared.items() if name in module.functions}
    routes = route_handlers(module.model, declared)
    module.functions.update(route_methods(module.model, routes))  # class-based routes, as `Class.method`
    for name, reason in routes.items():
        handlers.setdefault(name, reason)
    if use_convention:
        for name, reason in _convention_handlers(module).items():
            handlers.setdefault(name, reason)
    return handlers


def handler_functions(model: PythonModule, declared: dict[str, str], use_convention: bool) -> dict[str, str]:
    """The handler functions of this module, each with why it is one."""
    return _handlers(_Module(model), declared, use_convention)


def has_handler_candidates(model: PythonModule, declared: dict[str, str], use_convention: bool) -> bool:
    """Cheap check before the analysis: can this module define a handler at all?"""
    tree = model.tree
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    if names & set(declared):
        return True
    if use_convention and names & set(CONVENTION_NAMES):
        return True
    if "add_resource" in model.source or any(
        isinstance(node, ast.ClassDef) and node.name in declared for node in tree.body
    ):
        return True  # class-based routes (Flask-RESTful resources)
    return any(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.decorator_list for node in tree.body)


def connections_in_handlers(
    model: PythonModule,
    *,
    factories: frozenset[str],
    cache_decorators: frozenset[str],
    declared: dict[str, str],
    use_convention: bool,
) -> list[FactoryCall]:
    """Factory calls that run per invocation of a handler of this module."""
    module = _Module(model)
    handlers = _handlers(module, declared, use_convention)
    results: dict[tuple[int, int], FactoryCall] = {}
    for handler, reason in handlers.items():
        function = module.functions.get(handler)
        if function is None:
            continue
        for call, owner in _factory_calls(module, function, factories, cache_decorators, 0, {handler}):
            key = (call.lineno, call.col_offset)
            if key in results:
                continue
            end_line = call.func.end_lineno or call.lineno
            end_offset = call.func.end_col_offset or call.col_offset
            results[key] = FactoryCall(
                factory=module.qualify(call.func),
                line=call.lineno,
                column=model.column(call.lineno, call.col_offset),
                end_line=end_line,
                end_column=model.column(end_line, end_offset),
                handler=handler,
                reason=reason,
                via="" if owner == function.name else owner,  # a method handler is `Class.method`
            )
    return sorted(results.values(), key=lambda fact: (fact.line, fact.column))
