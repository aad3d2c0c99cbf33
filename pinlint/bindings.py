"""The scopes of a Python module and every binding of every name in them, built in one pass.

The shape is pyflakes': a ``Scope`` per module, function, lambda and class, each holding the
``Binding``s made in it, in source order. A binding says what made it (``kind``: an assignment,
an import, a parameter, a loop target...), the node that made it, and the value or annotation
when the code shows one. Comprehensions open no scope (their targets bind where they are), and a
``global`` statement is recorded on its function's scope. Attribute targets (``self.conn = ...``)
are recorded for the module as a whole under their dotted name. Each scope is read when a reader
first asks for it, in one pass over its own statements.

Two readers ask different questions of the same bindings:

* the SQL reader (``extract.values``) asks which bindings a name has in a scope (``sql_bindings``:
  a class body binds in the function or module around it, lambdas are left out) and follows
  them along the scope's statements itself;
* the driver rules (``extract.calls``) ask what made the object a method is called on
  (``origins``): assignments, ``with ... as x`` and parameter annotations, flow-insensitive.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

# what made a binding
ASSIGN = "assign"  # ``x = value`` (x itself the target)
UNPACK = "unpack"  # ``a, b = value``, ``a.b, c = ...``: a name inside a target tuple
ANNOTATED = "annotated"  # ``x: T = value`` or ``x: T``
AUGMENTED = "augmented"  # ``x += value``
LOOP = "loop"  # ``for x in ...``
WITH = "with"  # ``with value as x`` (x itself the target)
WITH_UNPACK = "with-unpack"  # ``with value as (a, b)``
EXCEPT = "except"  # ``except E as x``
IMPORT = "import"  # ``import a.b`` (binds ``a``), ``from m import x``
RELATIVE_IMPORT = "relative-import"  # ``from . import x``, ``from m import *`` (no name is known)
DEFINITION = "definition"  # ``def x``, ``class x``
PARAMETER = "parameter"  # a parameter of a def (annotation when it has one)
STAR_PARAMETER = "star-parameter"  # ``*args``, ``**kwargs``
WALRUS = "walrus"  # ``(x := value)``
COMPREHENSION = "comprehension"  # ``for x in`` inside a comprehension


@dataclass(frozen=True)
class Binding:
    name: str
    kind: str
    node: ast.AST  # the statement or expression that binds
    value: ast.expr | None = None  # the bound value (an assignment's, a ``with`` item's context expression)
    annotation: ast.expr | None = None


@dataclass
class Scope:
    node: ast.AST | None  # None for the module
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    sequence: list[Binding] = field(default_factory=list)  # every binding, in source order
    globals: set[str] = field(default_factory=set)
    children: list[ast.AST] = field(default_factory=list)  # the defs, lambdas and classes directly in it


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TRY: tuple[type, ...] = (ast.Try, getattr(ast, "TryStar", ast.Try))


class ModuleScopes:
    """Every scope of a module (keyed by its node; the module's key is None) and its bindings.

    A scope is read the first time a reader asks for it, in one pass over its own statements (a
    nested def, lambda or class is a scope of its own, read when asked for): most functions of a
    module are never asked about."""

    def __init__(self, tree: ast.Module, statements: Sequence[ast.stmt] | None = None) -> None:
        self.tree = tree
        self.statements = statements  # every statement of the module, nested ones too (the model's list)
        self.scopes: dict[ast.AST | None, Scope] = {}
        self._attributes: dict[str, list[Binding]] | None = None
        self._sql: dict[ast.AST | None, list[Binding]] = {}
        self._sql_names: dict[ast.AST | None, dict[str, list[Binding]]] = {}

    def scope(self, node: ast.AST | None) -> Scope:
        """The scope of the module (None), or of a def, lambda or class node."""
        found = self.scopes.get(node)
        if found is None:
            found = self._read(node)
        return found

    # --- reading a scope ------------------------------------------------------------------------
    def _read(self, node: ast.AST | None) -> Scope:
        scope = self.scopes[node] = Scope(node)
        if node is None:
            for statement in self.tree.body:
                self._statement(statement, scope)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            arguments = node.args
            for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
                self._bind(scope, Binding(argument.arg, PARAMETER, argument, annotation=argument.annotation))
            if isinstance(node, ast.Lambda):
                self._expression(node.body, scope)
            else:
                for star in (arguments.vararg, arguments.kwarg):
                    if star is not None:
                        self._bind(scope, Binding(star.arg, STAR_PARAMETER, star))
                for statement in node.body:
                    self._statement(statement, scope)
        elif isinstance(node, ast.ClassDef):
            for statement in node.body:
                self._statement(statement, scope)
        return scope

    def _bind(self, scope: Scope, binding: Binding) -> None:
        scope.bindings.setdefault(binding.name, []).append(binding)
        scope.sequence.append(binding)

    def _targets(
        self, target: ast.AST, scope: Scope, node: ast.AST, direct: str, nested: str, value: ast.expr | None
    ) -> None:
        """Bind the names of an assignment target: ``direct`` for a name that is the whole target,
        ``nested`` for one inside a tuple or list."""
        if isinstance(target, ast.Name):
            self._bind(scope, Binding(target.id, direct, node, value))
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._targets(element, scope, node, nested, nested, None)
        elif isinstance(target, ast.Starred):
            self._targets(target.value, scope, node, nested, nested, None)

    def _statement(self, node: ast.AST, scope: Scope) -> None:
        if isinstance(node, _DEFS):
            self._bind(scope, Binding(node.name, DEFINITION, node))
            arguments = node.args
            for child in (*node.decorator_list, *arguments.defaults, *arguments.kw_defaults):
                if child is not None:
                    self._expression(child, scope)
            scope.children.append(node)
            return
        if isinstance(node, ast.ClassDef):
            self._bind(scope, Binding(node.name, DEFINITION, node))
            for child in (*node.decorator_list, *node.bases, *(keyword.value for keyword in node.keywords)):
                self._expression(child, scope)
            scope.children.append(node)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                self._bind(scope, Binding(alias.asname or alias.name.split(".")[0], IMPORT, node))
        elif isinstance(node, ast.ImportFrom):
            known = node.module is not None and not node.level and node.names[0].name != "*"
            for alias in node.names:
                if alias.name != "*":
                    self._bind(scope, Binding(alias.asname or alias.name, IMPORT if known else RELATIVE_IMPORT, node))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                self._targets(target, scope, node, ASSIGN, UNPACK, node.value)
        elif isinstance(node, ast.AnnAssign):
            if isinstance(node.target, ast.Name):
                self._bind(scope, Binding(node.target.id, ANNOTATED, node, node.value, node.annotation))
        elif isinstance(node, ast.AugAssign):
            if isinstance(node.target, ast.Name):
                self._bind(scope, Binding(node.target.id, AUGMENTED, node, node.value))
        elif isinstance(node, ast.For | ast.AsyncFor):
            self._targets(node.target, scope, node, LOOP, LOOP, None)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    self._targets(item.optional_vars, scope, node, WITH, WITH_UNPACK, item.context_expr)
        elif isinstance(node, _TRY):
            for handler in getattr(node, "handlers", ()):
                if handler.name:
                    self._bind(scope, Binding(handler.name, EXCEPT, handler))
        elif isinstance(node, ast.Global):
            scope.globals.update(node.names)
        for _, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, ast.stmt | ast.excepthandler | ast.match_case):
                    self._statement(item, scope)
                elif isinstance(item, ast.expr):
                    self._expression(item, scope)

    def _expression(self, node: ast.AST, scope: Scope) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, ast.Lambda):
                arguments = current.args
                stack.extend(child for child in (*arguments.defaults, *arguments.kw_defaults) if child is not None)
                scope.children.append(current)
                continue
            if isinstance(current, ast.NamedExpr):
                self._targets(current.target, scope, current, WALRUS, WALRUS, current.value)
            elif isinstance(current, ast.comprehension):
                self._targets(current.target, scope, current, COMPREHENSION, COMPREHENSION, None)
            stack.extend(ast.iter_child_nodes(current))

    # --- the SQL reader's question: which bindings a name has in a scope ------------------------
    def sql_bindings(self, key: ast.AST | None) -> list[Binding]:
        """A function's (or the module's) bindings with those of the class bodies in it, in the
        order they are made (a class's after its name): the SQL reader (``extract.values``) reads
        a class body as part of the scope around it."""
        found = self._sql.get(key)
        if found is None:
            found = self._sql[key] = list(self._sql_events(self.scope(key)))
        return found

    def sql_names(self, key: ast.AST | None) -> dict[str, list[Binding]]:
        """``sql_bindings`` by name."""
        found = self._sql_names.get(key)
        if found is None:
            found = self._sql_names[key] = {}
            for binding in self.sql_bindings(key):
                found.setdefault(binding.name, []).append(binding)
        return found

    def _sql_events(self, scope: Scope) -> Iterator[Binding]:
        for binding in scope.sequence:
            yield binding
            if binding.kind == DEFINITION and isinstance(binding.node, ast.ClassDef):
                yield from self._sql_events(self.scope(binding.node))

    # --- the driver rules' question: what made the object a name stands for --------------------
    def origins(self, name: str, chain: tuple[ast.AST | None, ...], origin: Callable[[Binding], str]) -> set[str]:
        """What made ``name`` (``origin`` of each of its assignments, ``with`` targets and annotated
        parameters) in the innermost scope of ``chain`` (any kind of scope) where something did."""
        for key in reversed(chain):
            bindings = self.scope(key).bindings.get(name, ())
            found = {origin(binding) for binding in bindings if binding.kind in _ORIGIN_KINDS}
            found.discard("")
            if found:
                return found
        return set()

    def local_names(self, node: ast.AST) -> set[str]:
        """The names a function assigns to itself (not its parameters, imports or nested defs),
        without those it declares ``global``."""
        scope = self.scope(node)
        assigned = {
            name
            for name, bindings in scope.bindings.items()
            if any(binding.kind in NAME_TARGET_KINDS for binding in bindings)
        }
        return assigned - scope.globals

    def attribute_origins(self, dotted: str, origin: Callable[[Binding], str]) -> set[str]:
        """What made ``a.b`` in ``a.b = ...``, ``a.b: T = ...`` or ``with ... as a.b`` anywhere in the module."""
        if self._attributes is None:
            self._attributes = _attribute_bindings(
                self.statements if self.statements is not None else ast.walk(self.tree)
            )
        return {origin(binding) for binding in self._attributes.get(dotted, ())} - {""}


def _attribute_bindings(nodes: Iterable[ast.AST]) -> dict[str, list[Binding]]:
    """Dotted attribute targets (``self.conn = ...``) of the whole module, from its statements (an
    assignment is one): one pass, on the first question."""
    found: dict[str, list[Binding]] = {}
    for node in nodes:
        targets: list[tuple[ast.expr | None, ast.expr | None, str, ast.expr | None]]
        if isinstance(node, ast.Assign):
            targets = [(target, node.value, ASSIGN, None) for target in node.targets]
        elif isinstance(node, ast.AnnAssign):
            targets = [(node.target, node.value, ANNOTATED, node.annotation)]
        elif isinstance(node, ast.With | ast.AsyncWith):
            targets = [(item.optional_vars, item.context_expr, WITH, None) for item in node.items]
        else:
            continue
        for target, value, kind, annotation in targets:
            if isinstance(target, ast.Attribute):
                dotted = dotted_name(target)
                if dotted:
                    found.setdefault(dotted, []).append(Binding(dotted, kind, node, value, annotation))
    return found


_ORIGIN_KINDS = frozenset({ASSIGN, ANNOTATED, WITH, PARAMETER})
# the kinds whose target is a name written in the code (``x = ...``, ``for x in``, ``(x := ...)``...)
NAME_TARGET_KINDS = frozenset({ASSIGN, UNPACK, ANNOTATED, AUGMENTED, LOOP, WITH, WITH_UNPACK, WALRUS, COMPREHENSION})


def dotted_name(node: ast.AST) -> str:
    """``a.b.c`` for a chain of names and attributes, else ''."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""
