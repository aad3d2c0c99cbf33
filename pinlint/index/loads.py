"""The project modules a module loads: what importing it imports in turn, transitively.

A handler's module runs its import statements when Lambda loads it, and each project module they
name runs its own, so module-level code anywhere in that closure (an engine made in ``db.py``)
runs in the Lambda's execution environment. The closure is read from the modules' summaries (their
``loads``, cached by content) and resolved as the index resolves any import; each module it reaches
is recorded in the index's ``reads``, so the result of the module that asked depends on them.
Imports inside a def are left out: they run only when the function is called.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pinlint.index.project import ProjectIndex

MAX_LOADED = 400  # modules followed from one module at most


@dataclass(frozen=True)
class Loaded:
    """A project module loaded with the importing module, and the chain of modules on the way."""

    path: str  # absolute
    first: str  # the reference of the importing module's own import statement that leads there
    chain: tuple[str, ...]  # the module files after the importing module, ending with ``path``


def loaded_modules(index: ProjectIndex, importer: str, references: list[str]) -> list[Loaded]:
    """The project modules that importing ``importer`` (absolute) loads through its own import
    ``references`` (``@a.b``, ``@.db``, in source order), each once, attributed to the reference
    that reaches it in the fewest steps (the first in source order among those); the importer
    itself is left out."""
    seen = {importer}
    found: list[Loaded] = []
    # breadth first: a module the importer names itself is attributed to that import
    pending: list[tuple[str, str, str, tuple[str, ...]]] = [(importer, written, written, ()) for written in references]
    while pending and len(seen) <= MAX_LOADED:
        source, written, first, chain = pending.pop(0)
        for path in _modules_of(index, source, written):
            if path in seen:
                continue
            seen.add(path)
            summary = index.summary(path)
            if summary is None:
                continue
            reached = (*chain, path)
            found.append(Loaded(path, first, reached))
            pending.extend((path, inner, first, reached) for inner in summary.loads)
    return found


def _modules_of(index: ProjectIndex, importer: str, reference: str) -> list[str]:
    """The module files an import reference loads: the packages it names on the way, outermost
    first (``import a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py``), then the module itself
    (``@pkg.name``: ``pkg/name.py`` when it is a submodule, else ``pkg/__init__.py``); none when it
    is not a module of the project. A relative import's packages are the importer's own, loaded already."""
    dotted = reference[1:]
    module, rest = index.module(importer, dotted)
    if not module:
        return []
    files = [module]
    if not dotted.startswith("."):
        depth = len(dotted.split(".")) - len(rest)  # the parts that name the module
        package = os.path.dirname(module)
        if os.path.basename(module) == "__init__.py":
            depth, package = depth - 1, os.path.dirname(package)
        for _ in range(depth - 1):
            init = os.path.join(package, "__init__.py")
            if not os.path.isfile(init):
                break
            files.insert(0, init)
            package = os.path.dirname(package)
    return files
