"""What one module tells the project pass, read from its ``PythonModule`` once and cached by content.

A ``ModuleSummary`` holds, per function and method (nested defs included, by qualified name:
``get_conn``, ``Database.__init__``, ``handler.work``), the calls it makes (``CallSite``): whom it
calls, written as a *reference* the project index resolves later, where, whether the result is
kept (a module global, a ``self.`` attribute), whether the call sits under a lazy-init guard
(``if conn is None``, ``if not x``, ``x.closed``, an early ``return x``, an ``except`` block, a
``x = x or ...``), and whether a method is called on an instance made in the same function. It also
holds the classes (bases, methods, properties, attribute types), and the module-level names
(imports, instances such as ``repo = Repo()``, aliases, string constants, and the string entries of
dict, list and tuple literals under constant keys, ``dict(KEY="...")`` included).

A reference is a dotted name: local to the module (``get_conn``, ``Database.query``,
``repo.fetch``, ``handler.work``), or ``@`` and a name through the module's imports
(``@psycopg2.connect``, ``@common.db.get_conn``; a relative import keeps its dots:
``@..db.get_conn``), or ``$`` and a parameter of the function (``$loader_cls``: whatever its callers
pass), or ``^`` and a method of the class written in (``^Loader.__init__``: ``super().__init__``,
the method that follows ``Loader`` in its bases). ``()`` before a reference means "what calling it
returns". A call records the arguments that name something the index may resolve (a module-level
name, an import, a parameter) by position or keyword, so a class handed to a function that
constructs it is followed. Functions handed to ``asyncio.to_thread``, ``loop.run_in_executor``,
``executor.submit``, ``threading.Thread(target=)`` or ``functools.partial`` count as called.
A function also records what it hands back (``gives``): the callee of each ``return Database()``
(or of the call that made a returned local), of each ``yield`` of a ``@contextmanager``, and, "~"
first, of the calls stored in a module-level name it returns (a guarded global: kept); a
classmethod's ``return cls()`` gives its class, and with nothing in the body, a return annotation
(``-> Database``) gives its class, "~" first (it names a type, not a fresh instance).
``with Database() as db`` (``async with``) is also a call of ``Database.__enter__`` (``__aenter__``),
placed on the item's callee.
Default values that name something (``loader_cls=DefaultLoader``, ``factory=psycopg2.connect``)
are kept per function, and a call records the slots its other arguments fill (``filled``), so a
default counts only where no caller fills it; ``super(C, self)`` is ``^C.m``, and a module-level
``connect = functools.partial(psycopg2.connect, DSN)`` is an alias of the function it wraps. A
module function or method whose every ``return`` is a string the SQL reader can read records those
strings (``sql_returns``), for a sink in another module that sends what it returns.
Summaries are plain data (``to_json``/``from_json``).
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from pinlint.bindings import NAME_TARGET_KINDS, dotted_name
from pinlint.extract.python import module_wrappers
from pinlint.extract.sinks import FUNCTION_SINKS, METHOD_SINKS, STATEMENT_SINKS
from pinlint.extract.values import Parameters, ValueReader, dict_call_literal
from pinlint.pymodel import PythonModule

RUNNERS = frozenset({"to_thread", "run_in_executor", "submit", "Thread", "Timer", "partial", "run_sync", "map"})
CLOSERS = frozenset({"close", "dispose", "terminate", "closeall"})
PROPERTY_DECORATORS = frozenset({"property", "functools.cached_property", "cached_property"})
INSTANCE_CACHED = frozenset({"functools.cached_property", "cached_property"})
EXCEPT_GUARD = "!except"
SINK_NAMES = METHOD_SINKS | STATEMENT_SINKS.keys() | {name.rsplit(".", 1)[-1] for name in FUNCTION_SINKS}
SUMMARY_FORMAT = 11

_BUILTINS = frozenset(dir(builtins))
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TRY: tuple[type, ...] = (ast.Try, getattr(ast, "TryStar", ast.Try))
_EXITS = (ast.Return, ast.Yield)
_WITHS = (ast.With, ast.AsyncWith)
ReturnedText = tuple[str, tuple[tuple[str, bool], ...]]  # a returned string and when it is the value
# ``return f"SELECT ..."``, or a constant's name (``return LOCK_SQL``, ``return self.LOCK_SQL``)
RETURNED_LITERAL = re.compile(
    r"""return\s+(?:(?:\(\s*)*[rRbBfFuU]{0,2}['"]|(?:self\.|cls\.)?_*[A-Z][A-Z0-9_]*\s*(?:$|[#)\]]))""", re.MULTILINE
)


@dataclass(frozen=True)
class CallSite:
    """One call (or property read) in a function, with what the project pass needs to judge it."""

    target: str  # a reference (see the module docstring)
    line: int
    column: int  # 1-based character column of the callee expression
    end_line: int
    end_column: int
    store: str = ""  # where the result is kept: a module-level name, "self.attr", "cls", or "" (a local, nothing)
    guard: tuple[str, ...] = ()  # the persistent names a lazy-init guard around the call tests ("!except": a handler)
    receiver: str = ""  # "self" (the caller's own instance), "fresh" (made in this function), "held" (kept elsewhere)
    access: bool = False  # an attribute read (``self.engine``): a call only when it names a property
    passes: tuple[tuple[str, str], ...] = ()  # (position as digits, or keyword; reference) of named arguments
    filled: tuple[str, ...] = ()  # the other arguments' slots (position, keyword; "*" for ``*args``/``**kw``)


@dataclass(frozen=True)
class FunctionSummary:
    name: str  # qualified within the module
    line: int
    calls: tuple[CallSite, ...] = ()
    decorators: tuple[str, ...] = ()  # qualified through the imports
    closes: tuple[str, ...] = ()  # module-level names (or "()ref": what ref returns) closed on every invocation
    returns: tuple[str, ...] = ()  # module-level names it returns
    parameters: tuple[str, ...] = ()  # positional parameters, without ``self``/``cls`` of a method
    keywords: tuple[str, ...] = ()  # keyword-only parameters
    gives: tuple[str, ...] = ()  # references of what it returns or yields (a call's callee), "~" first when kept
    defaults: tuple[tuple[str, str], ...] = ()  # (parameter, reference) of a default that names something


@dataclass(frozen=True)
class ClassSummary:
    name: str
    bases: tuple[str, ...] = ()  # references
    methods: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)  # attribute -> reference of what made it


@dataclass(frozen=True)
class WrapperSummary:
    """How a function or method passes one of its parameters on as SQL: to a sink of the module
    (``sink`` as written, on ``line``: directly or through the module's own wrappers), or as the
    argument in ``slot`` (a position as digits, or a keyword) of a call of ``forward`` (a
    reference), which sends it if the index finds that callee to be a wrapper itself."""

    parameter: str
    position: int | None  # among a call's positional arguments (without ``self``); None: keyword-only
    method: bool  # called on an instance (its first parameter is ``self``)
    line: int
    sink: str = ""
    keyword: str = ""  # the first word the SQL must have (``COPY``), else ""
    forward: str = ""
    slot: str = ""
    inner: tuple[str, ...] = ()  # the module's wrappers between it and ``sink``, outermost first


@dataclass(frozen=True)
class ModuleSummary:
    functions: dict[str, FunctionSummary] = field(default_factory=dict)
    classes: dict[str, ClassSummary] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # module-level name -> reference ("@..." for imports)
    strings: dict[str, str] = field(default_factory=dict)  # module-level name -> the string literal bound to it
    # name -> repr(key) (repr of the keys' tuple when nested) -> the string there
    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    # what importing the module runs (outside any def): the imports, as references ("@a.b",
    # "@.db.engine"), and the qualified names of the imported functions it calls
    loads: tuple[str, ...] = ()
    import_calls: tuple[str, ...] = ()
    wrappers: dict[str, tuple[WrapperSummary, ...]] = field(default_factory=dict)  # qualified name -> how
    # function or method -> the strings its returns give (holes as ``HOLE``), each with its conditions
    sql_returns: dict[str, tuple[ReturnedText, ...]] = field(default_factory=dict)
    sql_return_lines: dict[str, int] = field(default_factory=dict)  # those functions -> their def's line
    sql_return_parameters: dict[str, Parameters] = field(default_factory=dict)  # -> what a call's literals set

    def to_json(self) -> Any:
        return [SUMMARY_FORMAT, asdict(self)]


def from_json(data: Any) -> ModuleSummary | None:
    """A summary written by ``to_json``; None when ``data`` is not one (a damaged cache entry)."""
    try:
        version, body = data
        if version != SUMMARY_FORMAT:
            return None
        functions = {}
        for name, item in body["functions"].items():
            calls = tuple(
                CallSite(
                    **{
                        **call,
                        "guard": tuple(call["guard"]),
                        "passes": tuple((str(slot), str(reference)) for slot, reference in call["passes"]),
                        "filled": tuple(str(slot) for slot in call["filled"]),
                    }
                )
                for call in item["calls"]
                if isinstance(call, dict)
            )
            functions[name] = FunctionSummary(
                name=item["name"],
                line=item["line"],
                calls=calls,
                decorators=tuple(item["decorators"]),
                closes=tuple(item["closes"]),
                returns=tuple(item["returns"]),
                parameters=tuple(item["parameters"]),
                keywords=tuple(item["keywords"]),
                gives=tuple(str(given) for given in item["gives"]),
                defaults=tuple((str(parameter), str(reference)) for parameter, reference in item["defaults"]),
            )
        classes = {
            name: ClassSummary(item["name"], tuple(item["bases"]), tuple(item["methods"]), dict(item["attributes"]))
            for name, item in body["classes"].items()
        }
        entries = {name: dict(table) for name, table in body["entries"].items()}
        sql_returns = {
            name: tuple(
                (str(text), tuple((str(test), bool(truth)) for test, truth in conditions))
                for text, conditions in returned
            )
            for name, returned in body["sql_returns"].items()
        }
        sql_return_lines = {str(name): int(line) for name, line in body["sql_return_lines"].items()}
        sql_return_parameters = {
            str(name): Parameters(
                tuple(item["positional"]),
                tuple(item["keyword_only"]),
                dict(item["defaults"]),
                tuple(item["fixed"]),
                str(item["bound"]),
            )
            for name, item in body["sql_return_parameters"].items()
        }
        wrappers = {
            name: tuple(
                WrapperSummary(**{**item, "inner": tuple(item["inner"])}) for item in items if isinstance(item, dict)
            )
            for name, items in body["wrappers"].items()
        }
        summary = ModuleSummary(
            functions,
            classes,
            dict(body["names"]),
            dict(body["strings"]),
            entries,
            wrappers=wrappers,
            sql_returns=sql_returns,
            sql_return_lines=sql_return_lines,
            sql_return_parameters=sql_return_parameters,
        )
        return replace(summary, loads=tuple(body["loads"]), import_calls=tuple(body["import_calls"]))
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


# --- building a summary ----------------------------------------------------------------------


def relative_imports(model: PythonModule) -> dict[str, str]:
    """Local name -> ``.mod.name`` for the module's relative imports (``from .db import conn``)."""
    found: dict[str, str] = {}
    for node in model.import_statements:
        if isinstance(node, ast.ImportFrom) and node.level:
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    joined = f"{base}.{alias.name}" if node.module else f"{base}{alias.name}"
                    found[alias.asname or alias.name] = joined
    return found


@dataclass
class _Context:
    """A function being summarised: what its names mean."""

    qualname: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    class_name: str  # the class a method belongs to ("" for a function)
    self_name: str  # the method's first parameter ("" for a function or static method)
    visible_defs: dict[str, str]  # a nested def's name -> its qualified name (this function's and enclosing ones')
    locals: set[str]
    globals: set[str]
    local_types: dict[str, str] = field(default_factory=dict)  # local -> reference of the class that made it
    local_calls: dict[str, str] = field(default_factory=dict)  # local -> reference of the call that made it
    parameter_types: dict[str, str] = field(default_factory=dict)  # parameter -> reference of its annotated class
    parameters: set[str] = field(default_factory=set)  # every parameter's name but ``self``


class _Summariser:
    def __init__(self, model: PythonModule) -> None:
        self.model = model
        self.tree = model.tree
        self.imports = {name: f"@{dotted}" for name, dotted in model.imports.items()}
        self.imports.update({name: f"@{dotted}" for name, dotted in relative_imports(model).items()})
        body = self.tree.body
        self.functions = {node.name for node in body if isinstance(node, _DEFS)}
        self.classes = {node.name for node in body if isinstance(node, ast.ClassDef)}
        module_scope = model.scopes.scope(None)
        self.variables = {
            name
            for name, bindings in module_scope.bindings.items()
            if any(binding.kind in NAME_TARGET_KINDS for binding in bindings)
        }
        self.summary = ModuleSummary()
        self.values: ValueReader | None = None  # made for the first function that returns a string

    # references
    def module_ref(self, name: str) -> str:
        if name in self.functions or name in self.classes or name in self.variables:
            return name
        return self.imports.get(name, "")

    def persistent(self, name: str, context: _Context) -> bool:
        return name in context.globals or (name in self.variables and name not in context.locals)

    def ref(self, node: ast.expr, context: _Context | None) -> tuple[str, str]:
        """(reference, receiver) of a callee expression; ('', '') when it names nothing the index can follow."""
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):  # ``Database().query()``
            called = node.value.func
            if isinstance(called, ast.Name) and called.id == "super" and context is not None and context.self_name:
                named = node.value.args[0] if len(node.value.args) == 2 else None  # ``super(C, self)``: after C
                start = self.ref(named, None)[0] if isinstance(named, ast.Name | ast.Attribute) else ""
                return f"^{start or context.class_name}.{node.attr}", "self"
            made, _ = self.ref(node.value.func, context)
            return (f"{made}.{node.attr}", "fresh") if made and not made.startswith("()") else ("", "")
        dotted = dotted_name(node)
        if not dotted:
            return "", ""
        head, _, rest = dotted.partition(".")
        suffix = f".{rest}" if rest else ""
        if context is not None:
            if head in context.visible_defs:
                return context.visible_defs[head] + suffix, ""
            if context.self_name and head == context.self_name:  # ``self.m`` is this instance, ``self.x.m`` another
                return (context.class_name + suffix, "held" if "." in rest else "self") if rest else ("", "")
            if head in context.locals:
                if rest and head in context.local_types:
                    return context.local_types[head] + suffix, "fresh"
                return "", ""
            if head in context.parameter_types:
                return (context.parameter_types[head] + suffix, "held") if rest else ("", "")
            if head in context.parameters and not rest:  # ``loader_cls(...)``: what the callers pass
                return f"${head}", ""
        base = self.module_ref(head)
        if not base and rest and head not in _BUILTINS:  # bound by nothing the module shows (a star import)
            base = f"@{head}"
        if not base:
            return "", ""
        receiver = "held" if rest and head in self.variables else ""
        return base + suffix, receiver

    # guards
    def subjects(self, test: ast.expr, context: _Context) -> set[str]:
        found: set[str] = set()
        for node in ast.walk(test):
            if isinstance(node, ast.Name) and self.persistent(node.id, context):
                found.add(node.id)
            elif isinstance(node, ast.Attribute):
                dotted = dotted_name(node)
                head, _, rest = dotted.partition(".")
                if context.self_name and head == context.self_name and rest:
                    found.add(f"self.{rest.split('.')[0]}")
                elif head in ("cls", context.class_name.split(".")[-1]) and rest and context.class_name:
                    found.add("cls")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr")
                and len(node.args) >= 2
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == context.self_name
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                found.add(f"self.{node.args[1].value}")
        return found

    def store(self, ancestors: list[ast.AST], call: ast.AST, context: _Context) -> str:
        for node in reversed(ancestors):
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
                targets = [node.target]
            elif isinstance(node, ast.stmt):
                return ""
            else:
                continue
            for target in targets:
                if isinstance(target, ast.Name):
                    if self.persistent(target.id, context):
                        return target.id
                    continue
                dotted = dotted_name(target.value) if isinstance(target, ast.Attribute | ast.Subscript) else ""
                if isinstance(target, ast.Attribute) and dotted == context.self_name and context.self_name:
                    return f"self.{target.attr}"
                head = dotted.split(".")[0]
                if head == "cls" or (context.class_name and head == context.class_name.split(".")[-1]):
                    return "cls"
                if head and self.persistent(head, context):
                    return head
                if head and head == context.self_name:
                    return f"self.{dotted.split('.')[1]}" if "." in dotted else "self"
            return ""
        return ""

    def guard(
        self, ancestors: list[ast.AST], call: ast.AST, context: _Context, early: list[tuple[int, set[str]]]
    ) -> tuple[str, ...]:
        subjects: set[str] = set()
        child: ast.AST = call
        for node in reversed(ancestors):
            if isinstance(node, ast.If | ast.IfExp | ast.While) and child is not node.test:
                subjects |= self.subjects(node.test, context)
            elif isinstance(node, ast.ExceptHandler):
                subjects.add(EXCEPT_GUARD)
            elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and child is not node.values[0]:
                subjects |= self.subjects(node.values[0], context)
            child = node
        line = getattr(call, "lineno", 0)
        for end, names in early:
            if end < line:
                subjects |= names
        return tuple(sorted(subjects))

    # the walk
    def summarise(self) -> ModuleSummary:
        for qualname, wrapper in module_wrappers(self.model).items():
            sent = WrapperSummary(wrapper.parameter, wrapper.position, wrapper.method, wrapper.sink_line, wrapper.sink)
            self.summary.wrappers[qualname] = (replace(sent, keyword=wrapper.keyword, inner=wrapper.inner),)
        self._body(self.tree.body, "", "", {})
        for node in self.tree.body:
            self._module_statement(node)
        self._drop_changed_entries()
        for name, reference in self.imports.items():
            self.summary.names.setdefault(name, reference)
        return replace(self.summary, loads=_import_time_loads(self.model), import_calls=_import_time_calls(self.model))

    def _module_statement(self, node: ast.stmt) -> None:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            return
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                self.summary.strings[target.id] = value.value
            elif (
                literal := value if isinstance(value, ast.Dict | ast.List | ast.Tuple) else self._dict_call(value)
            ) is not None:  # ``QUERIES = {...}``, ``dict(LOCK="...")``
                bindings = self.model.scopes.scope(None).bindings
                constants = {
                    name: text for name, text in self.summary.strings.items() if len(bindings.get(name, ())) == 1
                }
                table = _string_entries(literal, constants)
                if table:
                    self.summary.entries[target.id] = table
            elif isinstance(value, ast.Call):
                made, _ = self.ref(value.func, None)
                wrapped = value.args[0] if value.args and made.split(".")[-1] == "partial" else None
                if isinstance(wrapped, ast.Name | ast.Attribute):  # ``connect = partial(psycopg2.connect, DSN)``
                    made = self.ref(wrapped, None)[0]
                    if made and made != target.id:
                        self.summary.names[target.id] = made
                elif made and not made.startswith("()"):
                    self.summary.names[target.id] = f"(){made}"
            else:
                alias, _ = self.ref(value, None)
                if alias and alias != target.id:
                    self.summary.names[target.id] = alias

    def _dict_call(self, value: ast.expr) -> ast.Dict | None:
        """The literal a module-level ``dict(KEY="...")`` builds, when ``dict`` is the builtin."""
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict"):
            return None
        return None if "dict" in self.model.scopes.scope(None).bindings else dict_call_literal(value)

    def _drop_changed_entries(self) -> None:
        """Leave out the containers the module binds more than once or changes anywhere
        (``QUERIES["x"] = ...``, ``del``, ``QUERIES.update(...)``): their entries are not what the literal says."""
        if not self.summary.entries:
            return
        bindings = self.model.scopes.scope(None).bindings
        changed = {name for name in self.summary.entries if len(bindings.get(name, ())) != 1}
        names = "|".join(map(re.escape, self.summary.entries))
        used = re.compile(rf"\b(?:(?:{names})\s*[\[.]|global\b)")  # only such a use can change one
        for node in ast.walk(self.tree) if used.search(self.model.source) else ():
            if isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
                changed.add(dotted_name(node.value))
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.attr in _MUTATORS or not isinstance(node.ctx, ast.Load):
                    changed.add(node.value.id)
            elif isinstance(node, ast.Global):
                changed.update(node.names)
        for name in changed:
            self.summary.entries.pop(name, None)

    def _body(self, body: list[ast.stmt], prefix: str, class_name: str, visible: dict[str, str]) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                self._class(node, prefix, visible)
            elif isinstance(node, _DEFS):
                self._function(node, prefix, class_name, visible)

    def _class(self, node: ast.ClassDef, prefix: str, visible: dict[str, str]) -> None:
        qualname = f"{prefix}{node.name}"
        named = [expr.value if isinstance(expr, ast.Subscript) else expr for expr in node.bases]  # Generic[T]
        bases = tuple(base for base in (self.ref(expr, None)[0] for expr in named) if base)
        methods = tuple(item.name for item in node.body if isinstance(item, _DEFS))
        attributes: dict[str, str] = {}
        for item in node.body:
            if isinstance(item, ast.Assign) and isinstance(item.value, ast.Call):
                made, _ = self.ref(item.value.func, None)
                for target in item.targets:
                    if made and isinstance(target, ast.Name):
                        attributes[target.id] = f"(){made}"
        self.summary.classes[qualname] = ClassSummary(qualname, bases, methods, attributes)
        self._body(node.body, f"{qualname}.", qualname, visible)

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str, class_name: str, visible: dict[str, str]
    ) -> None:
        qualname = f"{prefix}{node.name}"
        decorators = tuple(
            self.model.qualify(decorator.func if isinstance(decorator, ast.Call) else decorator)
            for decorator in node.decorator_list
        )
        arguments = [*node.args.posonlyargs, *node.args.args]
        is_static = any(name.endswith("staticmethod") for name in decorators)
        self_name = arguments[0].arg if class_name and arguments and not is_static else ""
        scopes = self.model.scopes
        own_defs = {
            child.name: f"{qualname}.{child.name}"
            for child in scopes.scope(node).children
            if isinstance(child, (*_DEFS, ast.ClassDef))
        }
        context = _Context(
            qualname=qualname,
            node=node,
            class_name=class_name,
            self_name=self_name,
            visible_defs={**visible, **own_defs},
            locals=scopes.local_names(node) - set(own_defs),
            globals=scopes.scope(node).globals,
        )
        positional = tuple(argument.arg for argument in arguments if argument.arg != self_name)
        keyword_only = tuple(argument.arg for argument in node.args.kwonlyargs)
        context.parameters = {*positional, *keyword_only}
        for parameter in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            annotated = self.annotation(parameter.annotation) if parameter.annotation is not None else ""
            if annotated and parameter.arg != self_name:
                context.parameter_types[parameter.arg] = annotated
        owner = self.summary.classes.get(class_name) if self_name else None
        nodes = list(_own_nodes(node))
        for item, _, _, _ in nodes:  # what made each local (flow-insensitive), and each ``self.x``
            if owner is not None and isinstance(item, ast.Assign) and len(item.targets) == 1:
                self._attribute(owner, item.targets[0], item.value, context)
            if isinstance(item, ast.Assign | ast.With | ast.AsyncWith):
                pairs = (
                    [(target, item.value) for target in item.targets]
                    if isinstance(item, ast.Assign)
                    else [(w.optional_vars, w.context_expr) for w in item.items if w.optional_vars is not None]
                )
                for target, value in pairs:
                    if isinstance(target, ast.Name) and isinstance(value, ast.Call):
                        made, _ = self.ref(value.func, context)
                        if made:
                            context.local_calls[target.id] = made
                            context.local_types[target.id] = made
        early = [
            (item.end_lineno or item.lineno, self.subjects(item.test, context))
            for item, _, _, _ in nodes
            if isinstance(item, ast.If) and item.body and isinstance(item.body[-1], ast.Return | ast.Raise)
        ]
        early = [(end, names) for end, names in early if names]
        calls: list[CallSite] = []
        closes: list[str] = []
        returns: list[str] = []
        exits: list[ast.Return | ast.Yield] = []
        for item, ancestors, in_finally, top_level in nodes:
            if isinstance(item, _EXITS) and item.value is not None:
                exits.append(item)
                value = item.value
                if isinstance(item, ast.Return) and isinstance(value, ast.Name) and self.persistent(value.id, context):
                    returns.append(value.id)
            if isinstance(item, ast.Attribute) and isinstance(item.ctx, ast.Load):
                parent = ancestors[-1] if ancestors else None
                if not (isinstance(parent, ast.Call) and parent.func is item):
                    reference, receiver = self.ref(item, context)
                    if reference and receiver in ("self", "fresh", "held"):
                        calls.append(self._site(item, reference, receiver, ancestors, context, early, access=True))
                continue
            if not isinstance(item, ast.Call):
                if isinstance(item, _WITHS):
                    calls += self._entered(item, ancestors, context, early)
                continue
            reference, receiver = self.ref(item.func, context)
            if reference:
                calls.append(self._site(item, reference, receiver, ancestors, context, early))
            if isinstance(item.func, ast.Attribute) and item.func.attr in CLOSERS and (in_finally or top_level):
                closed = self._closed(item.func.value, context)
                if closed:
                    closes.append(closed)
            callee = item.func.attr if isinstance(item.func, ast.Attribute) else dotted_name(item.func)
            if callee in RUNNERS:
                for argument in [*item.args, *(keyword.value for keyword in item.keywords)]:
                    if isinstance(argument, ast.Lambda):  # ``to_thread(lambda: get_conn().cursor())``
                        for inner in ast.walk(argument.body):
                            if not isinstance(inner, ast.Call):
                                continue
                            handed, handed_receiver = self.ref(inner.func, context)
                            if handed:
                                calls.append(self._site(inner, handed, handed_receiver, ancestors, context, early))
                    if isinstance(argument, ast.Name | ast.Attribute):
                        handed, handed_receiver = self.ref(argument, context)
                        if handed:
                            calls.append(self._site(argument, handed, handed_receiver, ancestors, context, early))
        self.summary.functions[qualname] = FunctionSummary(
            qualname,
            node.lineno,
            tuple(calls),
            decorators,
            tuple(closes),
            tuple(returns),
            positional,
            keyword_only,
            gives=(self.gives(exits, decorators, calls, context) if exits else ()) or self.annotated(node, returns),
            defaults=self.defaults(node, self_name),
        )
        if prefix.count(".") == (1 if class_name else 0) and (not class_name or self_name):
            self._forwards(qualname, node, calls, positional, bool(self_name))
        if exits and prefix == (f"{class_name}." if class_name else ""):  # a module function or a method
            self._sql_returns(qualname, node, exits)
        self._body(node.body, f"{qualname}.", "", context.visible_defs)

    def _sql_returns(
        self, qualname: str, node: ast.FunctionDef | ast.AsyncFunctionDef, exits: list[ast.Return | ast.Yield]
    ) -> None:
        """Record the strings a plain function gives when one of its returns starts with a string
        literal (``return f"SELECT {fn}(%s)"``; ``RETURNED_LITERAL``, the index's first look), as the
        SQL reader reads them, for its callers in other modules."""
        if isinstance(node, ast.AsyncFunctionDef) or any(isinstance(item, ast.Yield) for item in exits):
            return
        lines = self.model.lines
        if not any(
            isinstance(item, ast.Return)
            and RETURNED_LITERAL.match(lines.line_text(item.lineno), lines.column(item.lineno, item.col_offset))
            for item in exits
        ):
            return  # (only a return that starts with a string literal: what the index looks for first)
        if self.values is None:
            self.values = ValueReader(self.model)
        returned = self.values.function_returns(node)
        if any(char.isalnum() for value in returned for char in value.piece.text):  # (not ``'"{}"'``: quoting)
            self.summary.sql_returns[qualname] = tuple((value.piece.text, value.conditions) for value in returned)
            self.summary.sql_return_lines[qualname] = node.lineno
            self.summary.sql_return_parameters[qualname] = self.values.parameters(node)

    def gives(
        self,
        exits: list[ast.Return | ast.Yield],
        decorators: tuple[str, ...],
        calls: list[CallSite],
        context: _Context,
    ) -> tuple[str, ...]:
        """What the function hands its caller: the callee of each ``return f()`` (or of the call
        that made a returned local), and of each ``yield`` of a ``@contextmanager``; "~" first for a
        module-level name it returns, by the calls stored in it (``_db = Database()``: kept across calls)."""
        yields = any(decorator.endswith("contextmanager") for decorator in decorators)
        found: list[str] = []
        for item in exits:
            if isinstance(item, ast.Yield) and not yields:
                continue
            value = item.value
            if isinstance(value, ast.Call):
                made, _ = self.ref(value.func, context)
                if isinstance(value.func, ast.Name) and value.func.id == context.self_name == "cls":
                    made = context.class_name  # ``return cls(...)`` of a classmethod
                if made and not made.startswith(("()", "$")):
                    line = value.lineno  # ``if _db: return _db`` before it: kept
                    guarded = any(call.guard for call in calls if call.line == line and call.target == made)
                    found.append(f"~{made}" if guarded else made)
            elif isinstance(value, ast.Name) and self.persistent(value.id, context):
                found += [f"~{call.target}" for call in calls if call.store == value.id and not call.access]
            elif isinstance(value, ast.Name) and value.id in context.local_calls:
                found.append(context.local_calls[value.id])
        return tuple(dict.fromkeys(found))

    def _entered(
        self,
        statement: ast.With | ast.AsyncWith,
        ancestors: list[ast.AST],
        context: _Context,
        early: list[tuple[int, set[str]]],
    ) -> list[CallSite]:
        """``with Database() as db`` (or ``with get_db()``) calls ``__enter__`` (``__aenter__``) of
        what the call made: a call of that method, placed on the callee of the item's call."""
        method = "__aenter__" if isinstance(statement, ast.AsyncWith) else "__enter__"
        found = []
        for item in statement.items:
            made = item.context_expr
            if not isinstance(made, ast.Call):
                continue
            callee, receiver = self.ref(made.func, context)
            if callee and receiver != "held" and not callee.startswith("()"):  # not ``with self.conn.cursor()``
                reference = f"{callee}.{method}"
                found.append(self._site(made.func, reference, "fresh", [*ancestors, statement], context, early))
        return found

    def annotated(self, node: ast.FunctionDef | ast.AsyncFunctionDef, returns: list[str]) -> tuple[str, ...]:
        """``-> Database`` when the body shows nothing it hands back: the class, "~" first (the
        annotation says what it is, not whether it is made on each call)."""
        if node.returns is None or returns:
            return ()
        named = self.annotation(node.returns)
        return (f"~{named}",) if named else ()

    def defaults(self, node: ast.FunctionDef | ast.AsyncFunctionDef, self_name: str) -> tuple[tuple[str, str], ...]:
        """(parameter, reference) of each default value that names a module-level name or an import
        (``loader_cls=DefaultLoader``, ``conn_factory=psycopg2.connect``)."""
        if not node.args.defaults and not any(node.args.kw_defaults):
            return ()
        arguments = [*node.args.posonlyargs, *node.args.args]
        pairs = list(zip(arguments[len(arguments) - len(node.args.defaults) :], node.args.defaults, strict=True))
        pairs += [(a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True) if d is not None]
        found = []
        for argument, default in pairs:
            if argument.arg != self_name and isinstance(default, ast.Name | ast.Attribute):
                reference, receiver = self.ref(default, None)
                if reference and not receiver:
                    found.append((argument.arg, reference))
        return tuple(found)

    def _forwards(
        self,
        qualname: str,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        calls: list[CallSite],
        positional: tuple[str, ...],
        method: bool,
    ) -> None:
        """The calls to which a module-level function, or a method of a module-level class, hands
        a parameter it never rebinds (``def run(sql): execute_query(sql)``): a wrapper when the
        callee is one (``WrapperSummary.forward``, judged by the index)."""
        bindings = self.model.scopes.scope(node).bindings
        found = list(self.summary.wrappers.get(qualname, ()))
        for call in calls:
            if call.target.rsplit(".", 1)[-1] in SINK_NAMES:
                continue  # a sink itself: ``module_wrappers`` read it
            for slot, reference in call.passes:
                parameter = reference[1:]
                if not reference.startswith("$") or len(bindings.get(parameter, ())) != 1:
                    continue
                position = positional.index(parameter) if parameter in positional else None
                found.append(WrapperSummary(parameter, position, method, call.line, forward=call.target, slot=slot))
        if found:
            self.summary.wrappers[qualname] = tuple(found)

    def annotation(self, node: ast.expr) -> str:
        """The class reference an annotation names (``Database``, ``"Database"``, ``Database | None``,
        ``Optional[db.Database]``), or ''."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return ""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.annotation(node.left) or self.annotation(node.right)
        if isinstance(node, ast.Subscript) and dotted_name(node.value).split(".")[-1] == "Optional":
            return self.annotation(node.slice)
        found, _ = self.ref(node, None)
        return found if found and not found.startswith("()") else ""

    def _attribute(self, owner: ClassSummary, target: ast.expr, value: ast.expr, context: _Context) -> None:
        """``self.x = Database()`` or ``self.x = db`` (a parameter annotated with a class): what makes ``x``."""
        if not (isinstance(target, ast.Attribute) and dotted_name(target.value) == context.self_name):
            return
        made = ""
        if isinstance(value, ast.Call):
            made, _ = self.ref(value.func, context)
        elif isinstance(value, ast.Name):
            made = context.parameter_types.get(value.id, "")
        if made and not made.startswith("()"):
            owner.attributes.setdefault(target.attr, f"(){made}")

    def _closed(self, receiver: ast.expr, context: _Context) -> str:
        if isinstance(receiver, ast.Name):
            if self.persistent(receiver.id, context):
                return receiver.id
            made = context.local_calls.get(receiver.id)
            return f"(){made}" if made else ""
        if isinstance(receiver, ast.Call):
            made, _ = self.ref(receiver.func, context)
            return f"(){made}" if made else ""
        return ""

    def _site(
        self,
        node: ast.expr,
        target: str,
        receiver: str,
        ancestors: list[ast.AST],
        context: _Context,
        early: list[tuple[int, set[str]]],
        *,
        access: bool = False,
    ) -> CallSite:
        callee = node.func if isinstance(node, ast.Call) else node
        passes = self.passes(node, context) if isinstance(node, ast.Call) else ()
        filled = _filled(node, passes) if isinstance(node, ast.Call) and (node.args or node.keywords) else ()
        line = callee.lineno
        end_line = callee.end_lineno or line
        model = self.model
        return CallSite(
            target=target,
            line=line,
            column=model.column(line, callee.col_offset),
            end_line=end_line,
            end_column=model.column(end_line, callee.end_col_offset),
            store=self.store(ancestors, node, context),
            guard=self.guard(ancestors, node, context, early),
            receiver=receiver,
            access=access,
            passes=passes,
            filled=filled,
        )

    def passes(self, call: ast.Call, context: _Context) -> tuple[tuple[str, str], ...]:
        """The arguments of ``call`` that name a module-level name, an import or a parameter, by
        position (until a ``*args``) or keyword."""
        found: list[tuple[str, str]] = []
        slots: list[tuple[str, ast.expr]] = []
        for position, argument in enumerate(call.args):
            if isinstance(argument, ast.Starred):
                break
            slots.append((str(position), argument))
        slots += [(keyword.arg, keyword.value) for keyword in call.keywords if keyword.arg is not None]
        for slot, argument in slots:
            if not isinstance(argument, ast.Name | ast.Attribute):
                continue
            if isinstance(argument, ast.Name) and argument.id in context.parameters:
                found.append((slot, f"${argument.id}"))
                continue
            reference, receiver = self.ref(argument, context)
            if reference and not receiver and not reference.startswith("$"):
                found.append((slot, reference))
        return tuple(found)


def _filled(call: ast.Call, passes: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The slots ``call`` fills that its ``passes`` leave out: positions, keywords, "*"."""
    named = {slot for slot, _ in passes}
    found: list[str] = []
    for position, argument in enumerate(call.args):
        if isinstance(argument, ast.Starred):
            return (*found, "*")
        if str(position) not in named:
            found.append(str(position))
    for keyword in call.keywords:
        if keyword.arg is None:
            return (*found, "*")
        if keyword.arg not in named:
            found.append(keyword.arg)
    return tuple(found)


_MUTATORS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "append", "extend", "insert", "remove"})


def _string_entries(
    literal: ast.Dict | ast.List | ast.Tuple, constants: dict[str, str], path: tuple[object, ...] = ()
) -> dict[str, str]:
    """repr(key) -> text for the strings of a dict under constant keys (every key constant, or
    nothing: a ``**other`` may hold any), or of a list or tuple by position (none starred), and
    repr((key, key...)) -> text for the strings of the containers nested in it (``QUERIES["pg"]["lock"]``).
    A string is a literal, a module-level name bound once to one (``constants``), or an f-string
    whose fields are such names."""
    if isinstance(literal, ast.Dict):
        pairs: dict[object, ast.expr] = {}
        for written, value in zip(literal.keys, literal.values, strict=True):
            if not isinstance(written, ast.Constant) or isinstance(written.value, bool):
                return {}
            pairs.pop(written.value, None)
            pairs[written.value] = value  # a later duplicate key wins, whatever its value
    else:
        if any(isinstance(element, ast.Starred) for element in literal.elts):
            return {}
        pairs = dict(enumerate(literal.elts))
    found: dict[str, str] = {}
    for key, value in pairs.items():
        where = (*path, key)
        text = _constant_text(value, constants)
        if text is not None:
            found[repr(key) if not path else repr(where)] = text
        elif isinstance(value, ast.Dict | ast.List | ast.Tuple) and len(where) < MAX_NESTING:
            found.update(_string_entries(value, constants, where))
    return found


MAX_NESTING = 4  # containers in containers read this deep


def _constant_text(value: ast.expr, constants: dict[str, str]) -> str | None:
    """The text of a string literal, of a name in ``constants``, or of an f-string whose every
    field is such a name (no conversion or format); None otherwise."""
    if isinstance(value, ast.Constant):
        return value.value if isinstance(value.value, str) else None
    if isinstance(value, ast.Name):
        return constants.get(value.id)
    if not isinstance(value, ast.JoinedStr):
        return None
    parts = []
    for part in value.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            parts.append(part.value)
        elif (
            isinstance(part, ast.FormattedValue)
            and part.format_spec is None
            and part.conversion == -1
            and isinstance(part.value, ast.Name)
            and part.value.id in constants
        ):
            parts.append(constants[part.value.id])
        else:
            return None
    return "".join(parts)


def _own_nodes(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
) -> Iterator[tuple[ast.AST, list[ast.AST], bool, bool]]:
    """(node, ancestors, inside a ``finally``, a statement of the body's top level or part of one)
    for the nodes of ``function``'s body, not entering nested defs, classes or lambdas."""
    stack: list[tuple[ast.AST, list[ast.AST], bool, bool]] = [
        (statement, [], False, True) for statement in reversed(function.body)
    ]
    while stack:
        node, ancestors, in_finally, top = stack.pop()
        yield node, ancestors, in_finally, top
        if isinstance(node, (*_DEFS, ast.ClassDef, ast.Lambda)):
            continue
        path = [*ancestors, node]
        children: list[tuple[ast.AST, list[ast.AST], bool, bool]] = []
        if isinstance(node, _TRY):
            block: Any = node
            children = [(child, path, in_finally, False) for child in [*block.body, *block.orelse, *block.handlers]]
            children += [(child, path, True, False) for child in block.finalbody]
        else:
            for child in ast.iter_child_nodes(node):  # a nested statement is no longer the top level
                children.append((child, path, in_finally, top and not isinstance(child, ast.stmt | ast.excepthandler)))
        stack.extend(reversed(children))


def import_time_imports(model: PythonModule) -> list[tuple[str, ast.AST]]:
    """The module's import statements outside any def (they run when the module is imported), as
    (reference, the node that names it: its alias, else the statement), in source order: ``@a.b``
    for ``import a.b``, ``@pkg.name`` for ``from pkg import name`` (a name or a submodule: the index
    finds the longest module prefix), ``@.db`` for ``from . import db``, ``@pkg`` for ``from pkg import *``."""
    found: list[tuple[str, ast.AST]] = []
    typing_only = _type_checking_imports(model) if "TYPE_CHECKING" in model.source else set()
    for node, in_function in model.statements:
        if in_function or id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [(f"@{alias.name}", alias if hasattr(alias, "lineno") else node) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name == "*":
                    reference = f"@{base}"
                else:
                    reference = f"@{base}.{alias.name}" if node.module else f"@{base}{alias.name}"
                found.append((reference, alias if hasattr(alias, "lineno") else node))
    return found


def _type_checking_imports(model: PythonModule) -> set[int]:
    """The import statements under ``if TYPE_CHECKING:`` (never run), by ``id``."""
    found: set[int] = set()
    for node in ast.walk(model.tree):
        if isinstance(node, ast.If) and dotted_name(node.test).rpartition(".")[2] == "TYPE_CHECKING":
            found |= {id(inner) for statement in node.body for inner in ast.walk(statement)}
    return found


def _import_time_loads(model: PythonModule) -> tuple[str, ...]:
    return tuple(dict.fromkeys(reference for reference, _ in import_time_imports(model)))


def _import_time_calls(model: PythonModule) -> tuple[str, ...]:
    """The qualified names of the imported functions that importing ``model`` calls (outside any
    def or lambda; class bodies, decorators and defaults run at import too)."""
    found: set[str] = set()
    stack: list[ast.AST] = list(model.tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, _DEFS):
            stack += [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            name = model.qualify(node.func, imported_only=True)
            if name:
                found.add(name)
        stack.extend(ast.iter_child_nodes(node))
    return tuple(sorted(found))


def summarise(model: PythonModule) -> ModuleSummary:
    """The summary of one module (see the module docstring)."""
    return _Summariser(model).summarise()
