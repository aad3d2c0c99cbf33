"""The project index: the project's own modules, found from the imports of the modules that need
them, and the references of their summaries resolved to functions, classes and instances.

Which files are read is demand-driven: the reachability pass asks for the module a reference
names, and only that module's file is found (``import a.b`` is ``a/b.py`` or ``a/b/__init__.py``
under the importing file's directory or one above it, up to the project root: the nearest
directory holding a configuration, a handler declaration or ``.git``; a relative import counts
from the importing file's package) and summarised. A project without handlers reads nothing.

Summaries are cached by content: the index is given the cache's records (path -> size, mtime,
digest; digest -> summary), so a file whose size and mtime are unchanged is neither read nor
parsed. Every module a question reads is recorded with its digest (``reads``): the engine stores
them with the handler file's result, and the result is used again only while they are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pinlint.files import MAX_SOURCE_BYTES, UnreadableFile, read_bytes
from pinlint.paths import nearest_ancestor
from pinlint.pymodel import ParseError, PythonModule, parse_python

if TYPE_CHECKING:  # (the summaries' module is imported when a module is first summarised or read back:
    # a run whose results all come from the cache never needs it)
    from pinlint.index.summary import ModuleSummary

ROOT_MARKERS = (
    "pyproject.toml",
    "pinlint.toml",
    ".pinlint.toml",
    "setup.py",
    "setup.cfg",
    "serverless.yml",
    "serverless.yaml",
    "template.yaml",
    "template.yml",
    "cdk.json",
)
MAX_LEVELS_UP = 12
MAX_DEPTH = 24  # references resolved through this many re-exports, aliases or bases at most
PACKAGE_SEARCH_DEPTH = 3  # how deep below the project root a package is looked for by name (Lambda layers)
SKIPPED_DIRS = frozenset({"site-packages", "dist-packages", "node_modules", "__pycache__"})


@dataclass(frozen=True)
class Target:
    """What a reference names: a function or class of a project module (``path``, qualified
    ``name``), an instance of such a class, a module-level variable, a module, or a name outside
    the project (``external``, its dotted name)."""

    kind: str  # "function", "class", "instance", "variable", "module", "external"
    path: str
    name: str


@dataclass(frozen=True)
class SentThrough:
    """A function or method of a project module that passes a parameter on to a sink as SQL: the
    parameter (by ``position`` among a call's positional arguments, without ``self``, or by name),
    the sink as written and where it is, and the wrappers in between (``names``, outermost first)."""

    parameter: str
    position: int | None
    method: bool
    keyword: str  # the first word the SQL must have (``COPY``), else ""
    sink: str
    path: str
    line: int
    names: tuple[str, ...]


EntryKey = str | int | tuple[str | int, ...]  # a key of a container, or the keys into nested ones
MAX_WRAPPER_LAYERS = 3  # wrappers of wrappers followed across modules


@dataclass
class ProjectIndex:
    root: str = ""  # the run's root (the configuration's directory, else the current one): where a search
    # for modules stops when no directory above a file holds a marker
    stats: dict[str, Any] = field(default_factory=dict)  # absolute path -> [size, mtime_ns, digest] (the cache's)
    cached: dict[str, Any] = field(default_factory=dict)  # digest -> summary JSON (the cache's)
    fresh: dict[str, Any] = field(default_factory=dict)  # digest -> summary JSON made in this run
    reads: dict[str, str] = field(default_factory=dict)  # path -> digest of each module read since reset
    _summaries: dict[str, tuple[str, ModuleSummary | None]] = field(default_factory=dict)
    _files: dict[str, bool] = field(default_factory=dict)
    _roots: dict[str, str] = field(default_factory=dict)
    _resolved: dict[tuple[str, str], Target | None] = field(default_factory=dict)
    _packages: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # root -> package name -> parents
    _stamps: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # path -> (size, mtime_ns, generation)
    _wrappers: dict[tuple[str, str], SentThrough | None] = field(default_factory=dict)
    _generation: int = 0
    _return_gates: dict[tuple[str, str], bool] = field(default_factory=dict)  # (module, name) -> see below

    def __getstate__(self) -> dict[str, Any]:  # a worker gets the records, not this process' answers
        return {"root": self.root, "stats": self.stats, "cached": self.cached}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(root=state["root"], stats=state["stats"], cached=state["cached"])  # type: ignore[misc]

    def begin(self) -> None:
        """Start recording the modules one file's analysis reads (``reads``). The answers of
        earlier files are forgotten (summaries are kept): each file records every module it uses."""
        self.reads.clear()
        self._resolved.clear()
        self._wrappers.clear()
        self._return_gates.clear()
        self._generation += 1  # a long-lived index (the language server) looks at each file's stat again

    # --- modules and their summaries ----------------------------------------------------------
    def add(self, path: str, data: bytes | str, model: PythonModule) -> ModuleSummary:
        """The summary of a module the engine has parsed already (the linted file itself)."""
        absolute = os.path.abspath(path)
        raw = data.encode("utf-8", errors="surrogateescape") if isinstance(data, str) else data
        digest = hashlib.sha256(raw).hexdigest()
        known = self._summaries.get(absolute)
        if known is not None and known[0] == digest and known[1] is not None:
            return known[1]
        from pinlint.index.summary import summarise

        summary = summarise(model)
        self._summaries[absolute] = (digest, summary)
        self._stamps.pop(absolute, None)  # this text stands (an editor's may not be saved yet)
        self.fresh.setdefault(digest, summary.to_json())
        self._resolved.clear()
        return summary

    def summary(self, path: str) -> ModuleSummary | None:
        """The summary of the module file ``path`` (absolute); None when it cannot be read or parsed."""
        known = self._summaries.get(path)
        if known is not None and not self._still(path):
            known = None
        if known is None:
            known = self._summaries[path] = self._load(path)
            self._stamp(path)
        if known[0]:
            self.reads[path] = known[0]
        return known[1]

    def _stamp(self, path: str) -> None:
        try:
            status = os.stat(path)
        except OSError:
            self._stamps.pop(path, None)
            return
        self._stamps[path] = (status.st_size, status.st_mtime_ns, self._generation)

    def _still(self, path: str) -> bool:
        """The summary read for ``path`` still stands: read in this file's analysis, or the file's
        size and mtime are what they were then (a module the linted file itself is, added by the
        engine, always stands)."""
        stamp = self._stamps.get(path)
        if stamp is None or stamp[2] == self._generation:
            return True
        try:
            status = os.stat(path)
        except OSError:
            return False
        if (status.st_size, status.st_mtime_ns) != stamp[:2]:
            return False
        self._stamps[path] = (*stamp[:2], self._generation)
        return True

    def _load(self, path: str) -> tuple[str, ModuleSummary | None]:
        from pinlint.index.summary import from_json, summarise

        recorded = self.stats.get(path)
        if isinstance(recorded, list) and len(recorded) == 3 and isinstance(recorded[2], str):
            try:
                status = os.stat(path)
            except OSError:
                return "", None
            if [status.st_size, status.st_mtime_ns] == recorded[:2]:
                stored = self.cached.get(recorded[2]) or self.fresh.get(recorded[2])
                summary = from_json(stored) if stored is not None else None
                if summary is not None:
                    return recorded[2], summary
        try:
            data = read_bytes(path, MAX_SOURCE_BYTES)
        except UnreadableFile:
            return "", None
        digest = hashlib.sha256(data).hexdigest()
        stored = self.cached.get(digest) or self.fresh.get(digest)
        summary = from_json(stored) if stored is not None else None
        if summary is None:
            try:
                summary = summarise(parse_python(data.decode("utf-8-sig", errors="surrogateescape")))
            except (ParseError, RecursionError):
                return digest, None
            self.fresh[digest] = summary.to_json()
        return digest, summary

    def module_text(self, path: str) -> str | None:
        """The text of the module file ``path`` (absolute) whose summary this file's analysis read,
        or None when it is not that text any more (or cannot be read)."""
        digest = self.reads.get(path)
        if digest is None:
            return None
        try:
            data = read_bytes(path, MAX_SOURCE_BYTES)
        except UnreadableFile:
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            return None
        return data.decode("utf-8-sig", errors="surrogateescape")

    def _is_file(self, path: str) -> bool:
        found = self._files.get(path)
        if found is None:
            found = self._files[path] = os.path.isfile(path)
        return found

    def project_root(self, directory: str) -> str:
        """The nearest directory at or above ``directory`` holding a configuration, a declaration or ``.git``."""
        root = self._roots.get(directory)
        if root is None:
            found = nearest_ancestor(directory, (*ROOT_MARKERS, ".git"), levels=MAX_LEVELS_UP, stop_at=".git")
            if found is not None:
                root = str(found)
            elif self.root and directory.startswith(os.path.join(self.root, "")):
                root = self.root
            else:
                root = directory
            self._roots[directory] = root
        return root

    def _search_roots(self, importer: str) -> list[str]:
        directory = os.path.dirname(importer)
        root = self.project_root(directory)
        roots = [directory]
        while directory != root and os.path.dirname(directory) != directory:
            directory = os.path.dirname(directory)
            roots.append(directory)
        return roots

    def _module_file(self, base: str, parts: list[str]) -> str:
        if any(part in SKIPPED_DIRS or part.startswith(".") or not part for part in parts):
            return ""
        stem = os.path.join(base, *parts)
        for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
            if self._is_file(candidate):
                return candidate
        return ""

    def module(self, importer: str, dotted: str) -> tuple[str, list[str]]:
        """(the project module file a dotted import names, the names after the module's own);
        ('', []) when the name is not a module of the project."""
        level = len(dotted) - len(dotted.lstrip("."))
        parts = [part for part in dotted[level:].split(".") if part]
        if level:
            base = os.path.dirname(importer)
            for _ in range(level - 1):
                base = os.path.dirname(base)
            for count in range(len(parts), -1, -1):
                found = self._module_file(base, parts[:count]) if count else self._package(base)
                if found:
                    return found, parts[count:]
            return "", []
        roots = self._search_roots(importer)
        for root in roots:
            for count in range(len(parts), 0, -1):
                found = self._module_file(root, parts[:count])
                if found:
                    return found, parts[count:]
        if parts:  # a package elsewhere in the project (a Lambda layer's directory, ``src/``)
            for parent in self._packages_under(roots[-1]).get(parts[0], []):
                for count in range(len(parts), 0, -1):
                    found = self._module_file(parent, parts[:count])
                    if found:
                        return found, parts[count:]
        return "", []

    def _packages_under(self, root: str) -> dict[str, list[str]]:
        """Package directories (with an ``__init__.py``) at most PACKAGE_SEARCH_DEPTH levels below
        ``root``, by name -> the directories holding them (one bounded walk per root)."""
        known = self._packages.get(root)
        if known is not None:
            return known
        found: dict[str, list[str]] = {}
        level = [root]
        for _ in range(PACKAGE_SEARCH_DEPTH + 1):
            below = []
            for directory in level:
                try:
                    entries = list(os.scandir(directory))
                except OSError:
                    continue
                for entry in entries:
                    if entry.name.startswith(".") or entry.name in SKIPPED_DIRS:
                        continue
                    try:
                        if not entry.is_dir(follow_symlinks=False):
                            continue
                    except OSError:
                        continue
                    below.append(entry.path)
                    if self._is_file(os.path.join(entry.path, "__init__.py")):
                        found.setdefault(entry.name, []).append(directory)
            level = below
        self._packages[root] = found
        return found

    def _package(self, directory: str) -> str:
        candidate = os.path.join(directory, "__init__.py")
        return candidate if self._is_file(candidate) else ""

    # --- references -----------------------------------------------------------------------------
    def resolve(self, path: str, reference: str, depth: int = 0) -> Target | None:
        """What ``reference`` (written in the module ``path``) names; None when the index cannot tell."""
        key = (path, reference)
        if key in self._resolved:
            return self._resolved[key]
        self._resolved[key] = None  # a cycle of re-exports resolves to nothing
        found = self._resolve(path, reference, depth) if depth < MAX_DEPTH else None
        self._resolved[key] = found
        return found

    def _resolve(self, path: str, reference: str, depth: int) -> Target | None:
        if reference.startswith("@"):
            dotted = reference[1:]
            module, rest = self.module(path, dotted)
            if not module:
                return None if dotted.startswith(".") else Target("external", "", dotted)
            return self._within(module, rest, depth + 1)
        return self._within(path, reference.split("."), depth + 1)

    def _within(self, path: str, parts: list[str], depth: int) -> Target | None:
        if not parts:
            return Target("module", path, "")
        summary = self.summary(path)
        if summary is None:
            return None
        for count in range(len(parts), 0, -1):
            name = ".".join(parts[:count])
            if name in summary.functions:
                return Target("function", path, name) if count == len(parts) else None
            if name in summary.classes:
                return self.member(Target("class", path, name), parts[count:], depth)
        head, rest = parts[0], parts[1:]
        bound = summary.names.get(head)
        if bound is None:
            return Target("variable", path, head) if not rest else None
        if bound.startswith("()"):
            made = self.resolve(path, bound[2:], depth + 1)
            if made is None:
                return None
            if made.kind == "external":
                return Target("external", "", f"{made.name}()" + "".join(f".{part}" for part in rest))
            if made.kind != "class":
                return Target("variable", path, head) if not rest else None
            return self.member(Target("instance", made.path, made.name), rest, depth)
        target = self.resolve(path, bound, depth + 1)
        if target is None or not rest:
            return target
        if target.kind == "module":
            return self._within(target.path, rest, depth + 1)
        if target.kind in ("class", "instance"):
            return self.member(target, rest, depth)
        if target.kind == "external":
            return Target("external", "", ".".join([target.name, *rest]))
        return None

    def string_constant(self, importer: str, reference: str, key: EntryKey | None = None) -> str | None:
        """The string literal a module-level name of a project module is bound to (``reference``
        as written in ``importer``, such as ``@common.queries.LOCK_SQL``), or, given a ``key``, the
        one under that key of the dict, list or tuple literal bound to it (a tuple of keys: in the
        containers nested there); None when it is not one."""
        target = self.resolve(importer, reference)
        if target is None or target.kind != "variable":
            return None
        summary = self.summary(target.path)
        if summary is None:
            return None
        if key is None:
            return summary.strings.get(target.name)
        return summary.entries.get(target.name, {}).get(repr(key))

    def wrapper(self, importer: str, reference: str, depth: int = 0) -> SentThrough | None:
        """The wrapper a callee names (``reference`` as written in ``importer``: ``@common.db.execute_query``;
        ``()@common.db.Database.run`` is the method ``run`` of an instance of the class): how it sends
        its parameter to a sink, through at most ``MAX_WRAPPER_LAYERS`` wrappers; None when it does not."""
        key = (importer, reference)
        if key in self._wrappers:
            return self._wrappers[key]
        self._wrappers[key] = None  # (a cycle of wrappers sends nothing)
        target: Target | None
        if reference.startswith("()"):
            made, _, method = reference[2:].rpartition(".")
            owner = self.resolve(importer, made) if made else None
            made_class = owner is not None and owner.kind == "class"
            target = (
                self.member(Target("instance", owner.path, owner.name), [method], 0) if owner and made_class else None
            )
        else:
            target = self.resolve(importer, reference)
        found = None
        if target is not None and target.kind == "function" and depth < MAX_WRAPPER_LAYERS:
            found = self._sent_through(target.path, target.name, depth)
        self._wrappers[key] = found
        return found

    def _sent_through(self, path: str, name: str, depth: int) -> SentThrough | None:
        summary = self.summary(path)
        entries = summary.wrappers.get(name, ()) if summary is not None else ()
        for entry in entries:
            if entry.sink:
                names = (name, *entry.inner)
                return SentThrough(
                    entry.parameter, entry.position, entry.method, entry.keyword, entry.sink, path, entry.line, names
                )
        for entry in entries:
            inner = self.wrapper(path, entry.forward, depth + 1) if entry.forward else None
            if inner is not None and entry.slot in (inner.parameter, str(inner.position)):
                return SentThrough(
                    entry.parameter,
                    entry.position,
                    entry.method,
                    inner.keyword,
                    inner.sink,
                    inner.path,
                    inner.line,
                    (name, *inner.names),
                )
        return None

    def sql_returns(self, importer: str, reference: str) -> tuple[tuple[str, tuple[tuple[str, bool], ...]], ...] | None:
        """The strings the project function or method ``reference`` names (as written in
        ``importer``: ``@.lock.Lock.lock_query``) returns, when the module it names defines it (a
        package's ``__init__`` re-exporting names is not followed: SQL builders such as
        ``from sqlalchemy import select`` would read a library's packages for every call) and its
        summary records them."""
        if not reference.startswith("@"):
            return None
        module, rest = self.module(importer, reference[1:])
        if not module or not rest or os.path.basename(module) == "__init__.py":
            return None
        if not self._may_return_a_literal(module, rest[-1]):
            return None  # (the module is not read for a function that returns no string literal)
        summary = self.summary(module)
        return summary.sql_returns.get(".".join(rest)) if summary is not None else None

    def _may_return_a_literal(self, module: str, name: str) -> bool:
        """Whether the text of ``module`` has a ``def name(`` whose body (up to the next def or
        class) has a ``return`` that starts with a string literal or a constant's name: the only functions whose returns
        a summary records (``summary.RETURNED_LITERAL``); a cheap look before parsing a module."""
        key = (module, name)
        known = self._return_gates.get(key)
        if known is None:
            from pinlint.index.summary import RETURNED_LITERAL

            try:
                data = read_bytes(module, MAX_SOURCE_BYTES)
            except UnreadableFile:
                data = b""
            text = data.decode("utf-8", errors="replace")
            known = any(
                RETURNED_LITERAL.search(text, found.end(), _next_def(text, found.end()))
                for found in re.finditer(rf"\bdef\s+{re.escape(name)}\s*\(", text)
            )
            self._return_gates[key] = known
            if data and not known:  # the answer depends on this text: the result is kept while it stands
                self.reads[module] = hashlib.sha256(data).hexdigest()
        return known

    def member(self, owner: Target, parts: list[str], depth: int) -> Target | None:
        """``owner.parts...`` for a class or an instance: its methods and attributes, through its bases."""
        if not parts:
            return owner
        attribute, rest = parts[0], parts[1:]
        for path, name in self.bases(owner.path, owner.name, depth):
            summary = self.summary(path)
            if summary is None:
                continue
            cls = summary.classes[name]
            if attribute in cls.methods:
                return Target("function", path, f"{name}.{attribute}") if not rest else None
            made = cls.attributes.get(attribute)
            if made is not None:
                target = self.resolve(path, made[2:], depth + 1)
                if target is not None and target.kind == "class":
                    return self.member(Target("instance", target.path, target.name), rest, depth + 1)
                return None
        return None

    def inherited(self, path: str, name: str, method: str) -> Target | None:
        """The method ``super().method`` names in class ``name``: the first base after it that defines it."""
        for base_path, base in self.bases(path, name)[1:]:
            summary = self.summary(base_path)
            if summary is not None and method in summary.classes[base].methods:
                return Target("function", base_path, f"{base}.{method}")
        return None

    def bases(self, path: str, name: str, depth: int = 0) -> list[tuple[str, str]]:
        """The class and its project base classes, in method resolution order (depth first)."""
        order: list[tuple[str, str]] = []
        pending = [(path, name)]
        while pending and len(order) < MAX_DEPTH:
            current = pending.pop(0)
            if current in order:
                continue
            summary = self.summary(current[0])
            if summary is None or current[1] not in summary.classes:
                continue
            order.append(current)
            for base in summary.classes[current[1]].bases:
                target = self.resolve(current[0], base, depth + 1)
                if target is not None and target.kind == "class":
                    pending.append((target.path, target.name))
        return order


def _next_def(text: str, start: int) -> int:
    """Where the next ``def`` or ``class`` after ``start`` begins (the end of the text: none)."""
    found = _DEF_OR_CLASS.search(text, start)
    return found.start() if found else len(text)


_DEF_OR_CLASS = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]", re.MULTILINE)
