"""Per-invocation reachability: the connection factory calls that run on every invocation of a
Lambda handler, followed over the project's call graph (functions, nested defs, methods through
``self``, instances and base classes, constructors, re-exports, functions handed to threads).

A call is cached, and not followed, when:

* it sits under a lazy-init guard that tests a module-level name (``if conn is None``, ``if not
  pool``, ``if conn.closed``, an early ``return conn``, ``conn = conn or ...``) or an ``except``
  block (reconnect on error), inline or around the call of a helper;
* the guard tests a ``self.`` attribute of an instance that outlives the invocation (one made at
  module level); on an instance made during the invocation (``db = Database()`` in the handler,
  then its lazy property) the guard caches nothing;
* the function is decorated with a cache decorator (``functools.cache``, ``lru_cache``), or is a
  ``cached_property`` of an instance that outlives the invocation.

A guard is no cache when the handler closes that global on every invocation (``finally:
conn.close()``, directly or through what a helper returns): the next invocation connects again.
A class handed to a function as an argument (``base_handler(event, LipasLoader)``) is bound to
that parameter, and a call of the parameter (``loader_cls(...)``) constructs it, whatever the
branches: each call hands the function its own classes (at most MAX_BOUND per parameter), a
parameter passed on (``run(loader_cls)``) hands its classes on, and the path shows the class
(``base_handler()`` -> ``LipasLoader()`` -> ``BaseLoader.__init__()``).
A function (``run(work)`` then ``fn()``) or a connection factory (``retry(psycopg2.connect, dsn)``)
handed over is followed the same way, and so is a parameter's default value that no caller fills
(``def load(loader_cls=DefaultLoader)``, ``def get(factory=psycopg2.connect)``).

A method called on what a project function returns (``get_db().query()``, ``db = get_db();
db.query()``, ``with session() as db``, and the ``__enter__`` of ``with get_db()``) enters that
class's method, through ``return make()`` chains (MAX_GIVEN): on a fresh instance, unless the
function keeps it (a guarded global it returns, a cache decorator, an instance made at import), and
the path shows the function (``get_db()`` -> ``Database.query()``).

Module-level code never runs per invocation. Each function is entered once per handler (and
instance state, and classes bound to its parameters), so the cost is linear in the reachable graph.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pinlint.index.project import ProjectIndex, Target
from pinlint.index.summary import EXCEPT_GUARD, INSTANCE_CACHED, PROPERTY_DECORATORS, CallSite, FunctionSummary

MAX_SHOWN_STEPS = 4
MAX_STEPS = 60  # a path longer than this is not followed further (the walk recurses once per step)
MAX_BOUND = 8  # classes one parameter can be bound to; those past it are not followed
MAX_GIVEN = 4  # ``return make()`` followed through this many functions for the class of what is returned

Bindings = tuple[tuple[str, tuple[Target, ...]], ...]  # parameter -> the classes, functions, factories passed, sorted


@dataclass(frozen=True)
class Reached:
    """A factory call that runs on every invocation of a handler, and how the handler gets there."""

    factory: str  # its qualified name
    path: str  # the module that makes the call (absolute)
    site: CallSite  # the factory call
    origin: CallSite  # where the finding goes: the factory call, or the call that leaves the handler's module
    steps: tuple[str, ...]  # the functions entered after the handler, in order
    closed: str = ""  # the cached global the handler closes on every invocation, when that is why


class _Walk:
    def __init__(
        self, index: ProjectIndex, handler_path: str, factories: frozenset[str], cache_decorators: frozenset[str]
    ) -> None:
        self.index = index
        self.handler_path = handler_path
        self.factories = factories
        self.cache_decorators = cache_decorators
        self.seen: set[tuple[str, str, bool, Bindings]] = set()
        self.found: dict[tuple[str, int, int], Reached] = {}
        self.closed: set[tuple[str, str]] = set()
        self.constructed: set[tuple[str, str]] = set()  # classes (and their bases) made during the invocation

    def function(self, target: Target) -> FunctionSummary | None:
        summary = self.index.summary(target.path)
        return None if summary is None else summary.functions.get(target.name)

    def closes(self, handler: Target, function: FunctionSummary) -> None:
        """The module-level names the handler closes on every invocation (``finally: conn.close()``)."""
        for closed in function.closes:
            if closed.startswith("()"):
                made = self.index.resolve(handler.path, closed[2:])
                returned = self.function(made) if made is not None and made.kind == "function" else None
                if made is not None and returned is not None:
                    self.closed |= {(made.path, name) for name in returned.returns}
                continue
            target = self.index.resolve(handler.path, closed)
            if target is not None and target.kind == "variable":
                self.closed.add((target.path, target.name))
            elif target is None:
                self.closed.add((handler.path, closed))

    def per_instance_is_per_invocation(self, function: Target, fresh: bool) -> bool:
        """A method's instance state lasts one invocation: the instance was made during it, or its
        class was (an instance handed around as a parameter or an attribute)."""
        owner = function.name.rsplit(".", 1)[0] if "." in function.name else ""
        return fresh or (function.path, owner) in self.constructed

    def guarded(self, function: Target, site: CallSite, fresh: bool) -> tuple[bool, str]:
        """(the call is cached by its guard, the closed global that undoes the guard)."""
        if not site.guard:
            return False, ""
        if EXCEPT_GUARD in site.guard:
            return True, ""
        path = function.path
        for subject in site.guard:
            if subject.startswith("self."):
                if not self.per_instance_is_per_invocation(function, fresh):
                    return True, ""
                continue
            if subject == "cls":
                return True, ""
            if (path, subject) in self.closed:
                return False, subject
            target = self.index.resolve(path, subject)
            if target is not None and target.kind == "variable" and (target.path, target.name) in self.closed:
                return False, subject
            return True, ""
        return False, ""

    def walk(
        self,
        current: Target,
        fresh: bool,
        steps: tuple[str, ...],
        origin: CallSite | None,
        closed: str,
        bindings: Bindings = (),
    ) -> None:
        key = (current.path, current.name, fresh, bindings)
        if key in self.seen or len(steps) > MAX_STEPS:
            return
        self.seen.add(key)
        function = self.function(current)
        if function is None:
            return
        bound = dict(bindings)
        used = _used_parameters(function) if function.defaults else frozenset()
        for parameter, reference in function.defaults:  # ``loader_cls=DefaultLoader``, unless a caller fills it
            if parameter in used and parameter not in bound:
                default = self.index.resolve(current.path, reference)
                if default is not None and self.bindable(default):
                    bound[parameter] = (default,)
        for site in function.calls:
            cached, undone = self.guarded(current, site, fresh)
            if cached:
                continue
            because = undone or closed
            here_origin = origin
            if here_origin is None and current.path == self.handler_path:
                here_origin = site
            plain = site.target[1:] if site.target.startswith("@") else ""
            if plain in self.factories:
                self.report(plain, current.path, site, here_origin, steps, because)
                continue
            if site.target.startswith("$"):  # a parameter called, or a method of what calling it made
                parameter, _, rest = site.target[1:].partition(".")
                for made in bound.get(parameter, ()):
                    if made.kind == "external":  # ``retry(psycopg2.connect, dsn)`` then ``fn(dsn)``
                        if not rest:
                            self.report(made.name, current.path, site, here_origin, steps, because)
                        continue
                    if made.kind == "function":  # ``run(work)`` then ``fn()``
                        if not rest:
                            self.enter(current, site, made, fresh, steps, origin, because, bound)
                        continue
                    instance = Target("instance", made.path, made.name)
                    target = self.index.member(instance, rest.split("."), 0) if rest else made
                    shown = steps if rest else (*steps, made.name)
                    if target is not None:
                        self.enter(current, site, target, fresh, shown, origin, because, bound)
                continue
            if site.target.startswith("^"):  # ``super().m()``
                owner, _, method = site.target[1:].rpartition(".")
                start = self.index.resolve(current.path, owner)  # the class written in, or C of ``super(C, self)``
                if start is not None and start.kind == "class":
                    target = self.index.inherited(start.path, start.name, method)
                else:
                    target = self.index.inherited(current.path, owner, method)
            else:
                target = self.index.resolve(current.path, site.target)
            if target is None:
                if site.receiver == "fresh":  # ``get_db().query()``, ``db = get_db(); db.query()``
                    for maker, returned, kept in self.through_returns(current.path, site.target):
                        entered = replace(site, receiver="held") if kept else site
                        self.enter(current, entered, returned, fresh, (*steps, maker.name), origin, because, bound)
                continue
            if target.kind == "external":
                if target.name in self.factories and not site.access:
                    self.report(target.name, current.path, site, here_origin, steps, because)
                continue
            self.enter(current, site, target, fresh, steps, origin, because, bound)

    def enter(
        self,
        current: Target,
        site: CallSite,
        target: Target,
        fresh: bool,
        steps: tuple[str, ...],
        origin: CallSite | None,
        because: str,
        bound: dict[str, tuple[Target, ...]],
    ) -> None:
        """Follow the call ``site`` of ``current`` into the project function or class ``target``."""
        leaving = origin is None and current.path == self.handler_path and target.path != self.handler_path
        next_origin = site if leaving else origin
        if target.kind == "class" and not site.access:
            self.constructed |= set(self.index.bases(target.path, target.name))
            for constructor in ("__init__", "__post_init__"):
                method = self.index.member(target, [constructor], 0)
                if method is not None and method.kind == "function":
                    bindings = self.bindings(current, site, method, bound)
                    self.walk(method, True, (*steps, method.name), next_origin, because, bindings)
            return
        if target.kind != "function":
            return
        callee = self.function(target)
        if callee is None:
            return
        decorators = set(callee.decorators)
        if site.access and not decorators & PROPERTY_DECORATORS:
            return
        callee_fresh = fresh if site.receiver == "self" else site.receiver == "fresh"
        if decorators & self.cache_decorators:
            return
        if decorators & INSTANCE_CACHED and not self.per_instance_is_per_invocation(target, callee_fresh):
            return
        bindings = self.bindings(current, site, target, bound)
        self.walk(target, callee_fresh, (*steps, target.name), next_origin, because, bindings)

    def through_returns(self, path: str, reference: str) -> list[tuple[Target, Target, bool]]:
        """(function, method, kept) for a method called on what a project function returned
        (``get_db.query``: ``get_db`` returns a ``Database``, so ``Database.query``); kept when the
        instance outlives the call (a guarded global, a cached function)."""
        parts = reference.split(".")
        for count in range(len(parts) - 1, 0, -1):
            function = self.index.resolve(path, ".".join(parts[:count]))
            if function is None or function.kind != "function":
                continue
            found = []
            for made, kept in self.given(function, 0):
                method = self.index.member(Target("instance", made.path, made.name), parts[count:], 0)
                if method is not None and method.kind == "function":
                    found.append((function, method, kept))
            return found
        return []

    def given(self, function: Target, depth: int) -> list[tuple[Target, bool]]:
        """The project classes whose instances ``function`` returns, each with whether the instance
        outlives the call (kept in a global, or the function is cached), through MAX_GIVEN calls."""
        summary = self.function(function)
        if summary is None or depth > MAX_GIVEN:
            return []
        cached = bool(set(summary.decorators) & self.cache_decorators)
        found: list[tuple[Target, bool]] = []
        for given in summary.gives:
            target = self.index.resolve(function.path, given.lstrip("~"))
            kept = cached or given.startswith("~")
            if target is not None and target.kind == "class":
                found.append((target, kept))
            elif target is not None and target.kind == "function":
                found += [(made, kept or inner) for made, inner in self.given(target, depth + 1)]
        for name in summary.returns:  # a module-level instance (``db = Database()`` at import)
            target = self.index.resolve(function.path, name)
            if target is not None and target.kind == "instance":
                found.append((Target("class", target.path, target.name), True))
        return list(dict.fromkeys(found))

    def bindings(
        self, current: Target, site: CallSite, callee: Target, bound: dict[str, tuple[Target, ...]]
    ) -> Bindings:
        """The classes, functions and factories the arguments of ``site`` hand to the parameters of
        ``callee``; a parameter with a default that the call fills otherwise is bound to nothing."""
        if not site.passes and not site.filled:
            return ()
        function = self.function(callee)
        if function is None:
            return ()
        used = _used_parameters(function)
        if not used:
            return ()
        found: dict[str, tuple[Target, ...]] = {}
        defaulted = {parameter for parameter, _ in function.defaults} & used
        if defaulted:
            if "*" in site.filled:
                found = dict.fromkeys(defaulted, ())
            for slot in site.filled:
                parameter = self.parameter(function, slot)
                if parameter in defaulted:
                    found[parameter] = ()
        for slot, reference in site.passes:
            parameter = self.parameter(function, slot)
            if parameter not in used:
                continue
            if reference.startswith("$"):
                classes = bound.get(reference[1:], ())
            else:
                target = self.index.resolve(current.path, reference)
                classes = (target,) if target is not None and self.bindable(target) else ()
            if classes or parameter in defaulted:
                found[parameter] = tuple(dict.fromkeys((*found.get(parameter, ()), *classes)))[:MAX_BOUND]
        return tuple(sorted(found.items(), key=lambda item: item[0]))

    @staticmethod
    def parameter(function: FunctionSummary, slot: str) -> str:
        """The parameter of ``function`` an argument in ``slot`` (a position or a keyword) fills, or ''."""
        if slot.isdigit():
            position = int(slot)
            return function.parameters[position] if position < len(function.parameters) else ""
        return slot if slot in function.parameters or slot in function.keywords else ""

    def bindable(self, target: Target) -> bool:
        """What a parameter is followed into: a project class or function, or a connection factory."""
        return target.kind in ("class", "function") or (target.kind == "external" and target.name in self.factories)

    def report(
        self,
        factory: str,
        path: str,
        site: CallSite,
        origin: CallSite | None,
        steps: tuple[str, ...],
        closed: str,
    ) -> None:
        key = (path, site.line, site.column)
        if key in self.found:
            return
        where = site if path == self.handler_path or origin is None else origin
        self.found[key] = Reached(factory, path, site, where, steps, closed)


def _used_parameters(function: FunctionSummary) -> frozenset[str]:
    """The parameters ``function`` calls (``$fn``, ``$loader_cls.load``) or hands on: the only
    ones whose bindings change what the walk finds."""
    called = {site.target[1:].partition(".")[0] for site in function.calls if site.target.startswith("$")}
    handed = {reference[1:] for site in function.calls for _, reference in site.passes if reference.startswith("$")}
    return frozenset(called | handed)


def per_invocation(
    index: ProjectIndex,
    handler_path: str,
    handler: str,
    *,
    factories: frozenset[str],
    cache_decorators: frozenset[str],
) -> list[Reached]:
    """The factory calls that run on every invocation of ``handler`` (a function of the module
    ``handler_path``, absolute), in the order the walk meets them."""
    walk = _Walk(index, handler_path, factories, cache_decorators)
    start = Target("function", handler_path, handler)
    function = walk.function(start)
    if function is None or set(function.decorators) & cache_decorators:
        return []
    walk.closes(start, function)
    walk.walk(start, False, (), None, "")
    return list(walk.found.values())


def path_text(steps: tuple[str, ...]) -> str:
    """`a()` -> `b()`, with the middle left out of a long path."""
    shown = [f"`{step}()`" for step in steps]
    if len(shown) > MAX_SHOWN_STEPS:
        shown = [*shown[:2], "...", shown[-1]]
    return " -> ".join(shown)
