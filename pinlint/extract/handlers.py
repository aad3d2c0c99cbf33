"""Facts about Lambda handlers in one Python module: which functions are handlers, and
which connection factories run on every invocation of one.

Reads the module's model (``pinlint.pymodel``): its functions, imports and columns. A handler is a function
that a declaration names (see ``pinlint.declarations``), a framework route served on Lambda
(Chalice, Powertools, FastAPI or Flask behind an adapter or a declaration: ``pinlint.extract.routes``),
or, where nothing is declared, a module-level ``lambda_handler``/``handler`` taking
``(event, context)``. Which factory calls run on every invocation of one is answered over the
project's call graph by ``pinlint.index.reach`` (helpers in other modules, classes, lazy-init
guards); a call reached through another module is placed at the call in this module that leads
there, so its noqa comment and per-file result belong to the handler's file.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass

from pinlint.extract.routes import builds_served_app, route_handlers, route_methods
from pinlint.index.project import ProjectIndex
from pinlint.index.reach import Reached, path_text, per_invocation
from pinlint.index.summary import CallSite
from pinlint.paths import relative_to_root
from pinlint.pymodel import PythonModule

CONVENTION_NAMES = ("lambda_handler", "handler")


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
    via: str = ""  # ", through `a()` -> `b()`": the functions between the handler and the call
    site: str = ""  # " in common/db.py:11": where the factory call is, when it is in another module


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
    if (
        "add_resource" in model.source
        or "add_url_rule" in model.source
        or any(isinstance(node, ast.ClassDef) and node.name in declared for node in tree.body)
    ):
        return True  # class-based routes (Flask-RESTful resources)
    if builds_served_app(model, declared):
        return True  # an application factory's nested routes (`app = create_app()`)
    return any(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.decorator_list for node in tree.body)


def connections_in_handlers(
    model: PythonModule,
    *,
    path: str,
    source: bytes | str,
    index: ProjectIndex,
    factories: frozenset[str],
    cache_decorators: frozenset[str],
    declared: dict[str, str],
    use_convention: bool,
    root: str = "",
    opens_nothing: frozenset[tuple[str, str]] = frozenset(),
) -> list[FactoryCall]:
    """Factory calls that run per invocation of a handler of this module (the module ``path``,
    as the user named it), followed through the project's modules (``pinlint.index``)."""
    module = _Module(model)
    handlers = _handlers(module, declared, use_convention)
    if not handlers:
        return []
    absolute = os.path.abspath(path)
    index.add(absolute, source, model)
    chosen: dict[tuple[int, int], tuple[Reached, str, str]] = {}  # per call: the handler with the shortest path
    reaching: dict[tuple[int, int], set[str]] = {}  # per call: every handler that reaches it
    for handler, reason in handlers.items():
        reached = per_invocation(index, absolute, handler, factories=factories, cache_decorators=cache_decorators)
        for found in reached:
            if _given_what_opens_nothing(found.factory, found.site, opens_nothing):
                continue
            key = (found.origin.line, found.origin.column)
            reaching.setdefault(key, set()).add(handler)
            if key not in chosen or len(found.steps) < len(chosen[key][0].steps):
                chosen[key] = (found, handler, reason)
    results: list[FactoryCall] = []
    for key, (found, handler, reason) in chosen.items():
        origin = found.origin
        remote = found.path != absolute
        site = f" in {_shown(found.path, root)}:{found.site.line}" if remote else ""
        via = _others(len(reaching[key]) - 1)
        via += f", through {path_text(found.steps)}" if found.steps else ""
        if found.closed:
            via += f", and `{found.closed}` is closed each time"
        results.append(
            FactoryCall(
                factory=found.factory,
                line=origin.line,
                column=origin.column,
                end_line=origin.end_line,
                end_column=origin.end_column,
                handler=handler,
                reason=reason,
                via=via,
                site=site,
            )
        )
    return sorted(results, key=lambda fact: (fact.line, fact.column))


def _others(count: int) -> str:
    """`` and 8 other handlers``: how many more handlers of the module reach the same call."""
    return f" and {count} other handler{'s' if count > 1 else ''}" if count else ""


def _given_what_opens_nothing(factory: str, site: CallSite, opens_nothing: frozenset[tuple[str, str]]) -> bool:
    """Whether the factory call ``site`` is given an argument that makes it use the caller's
    connection or pool (``PgstacDB(connection=conn)``): then it opens nothing of its own."""
    if not opens_nothing:
        return False
    given = {slot for slot, _ in site.passes} | set(site.filled)
    return any((factory, slot) in opens_nothing for slot in given)


def _shown(path: str, root: str) -> str:
    """A module's path as the message shows it: relative to the project root, else as it is."""
    return relative_to_root(path, root) if root else path
