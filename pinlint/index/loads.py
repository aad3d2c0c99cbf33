"""The project modules a module loads: what importing it imports in turn, transitively.

A handler's module runs its import statements when Lambda loads it, and each project module they
name runs its own, so module-level code anywhere in that closure (an engine made in ``db.py``)
runs in the Lambda's execution environment. The closure is read from the modules' summaries (their
``loads``, cached by content) and resolved as the index resolves any import; each module it reaches
is recorded in the index's ``reads``, so the result of the module that asked depends on them.
Imports inside a def are left out: they run only when the function is called.
"""

from __future__ import annotations

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
        path = _module_of(index, source, written)
        if not path or path in seen:
            continue
        seen.add(path)
        summary = index.summary(path)
        if summary is None:
            continue
        reached = (*chain, path)
        found.append(Loaded(path, first, reached))
        pending.extend((path, inner, first, reached) for inner in summary.loads)
    return found


def _module_of(index: ProjectIndex, importer: str, reference: str) -> str:
    """The module file an import reference names (``@pkg.name``: ``pkg/name.py`` when it is a
    submodule, else ``pkg/__init__.py``); '' when it is not a module of the project."""
    module, _ = index.module(importer, reference[1:])
    return module
