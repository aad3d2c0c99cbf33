"""The entries of Django's ``DATABASES`` in a settings module, as the module's code leaves them.

Read from the module's model: the import-time statements (outside any def, inside module-level
``if``/``try`` blocks too) in source order. ``DATABASES = {...}`` sets every entry,
``DATABASES["default"] = {...}`` one, ``DATABASES["default"]["CONN_MAX_AGE"] = 60`` one key of it.
Each entry keeps the literal value (``repr``, or ``DYNAMIC`` when computed at run time) of every
key path it holds (``("CONN_MAX_AGE",)``, ``("OPTIONS", "pool", "min_size")``) with its place, and
which of its dicts are *known*: a dict literal with constant keys only, so that a key it does not
hold is missing rather than unknown (``{**BASE, ...}`` is not known). Any other use of
``DATABASES`` at import time (``DATABASES.update(...)``, a loop over its values, an entry made by
``dj_database_url.config()``) makes what it touches unknown, and the rules stay quiet there.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from pinlint.extract.calls import literal_argument
from pinlint.facts import Argument
from pinlint.pymodel import PythonModule

ROOT = "DATABASES"


@dataclass
class DatabaseEntry:
    """One entry of ``DATABASES`` (``"default": {...}``)."""

    alias: str
    place: Argument  # the alias key (or the statement that made the entry)
    values: dict[tuple[str, ...], Argument] = field(default_factory=dict)  # key path -> its literal and place
    keys: dict[tuple[str, ...], Argument] = field(default_factory=dict)  # key path -> the place of its key alone
    known: set[tuple[str, ...]] = field(default_factory=set)  # key paths of the dicts whose every key is known


def database_entries(model: PythonModule) -> list[DatabaseEntry]:
    """The entries of the module's ``DATABASES`` whose contents the module shows (module docstring)."""
    if ROOT not in model.source:
        return []
    entries: dict[str, DatabaseEntry] = {}
    handled: set[int] = set()  # the ``DATABASES`` names the statements below account for
    for statement, in_function in model.statements:
        if in_function or not isinstance(statement, ast.Assign | ast.AnnAssign) or statement.value is None:
            continue
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for target in targets:
            path = _subscript_path(target)
            if path is None:
                continue
            handled.add(id(_root_name(target)))
            _assign(model, entries, path, statement.value, target)
    for node in ast.walk(model.tree):
        if isinstance(node, ast.Name) and node.id == ROOT and id(node) not in handled:
            return []  # changed or read in a way not followed: nothing is known
    return list(entries.values())


def _root_name(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Subscript):
        node = node.value
    return node


def _subscript_path(target: ast.expr) -> tuple[str, ...] | None:
    """``DATABASES`` -> (), ``DATABASES["default"]["OPTIONS"]`` -> ("default", "OPTIONS"); None
    for any other target."""
    keys: list[str] = []
    node = target
    while isinstance(node, ast.Subscript):
        if not (isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
            return None
        keys.append(node.slice.value)
        node = node.value
    if not (isinstance(node, ast.Name) and node.id == ROOT):
        return None
    return tuple(reversed(keys))


def _assign(
    model: PythonModule, entries: dict[str, DatabaseEntry], path: tuple[str, ...], value: ast.expr, target: ast.expr
) -> None:
    if not path:  # DATABASES = {...}
        entries.clear()
        if not isinstance(value, ast.Dict):
            return
        for key, item in zip(value.keys, value.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                _new_entry(model, entries, key.value, item, key)
        return
    alias, inner = path[0], path[1:]
    if not inner:  # DATABASES["default"] = {...}
        entries.pop(alias, None)
        _new_entry(model, entries, alias, value, target)
        return
    entry = entries.get(alias)
    if entry is None:
        return
    parent = inner[:-1]
    if parent and parent not in entry.values:  # DATABASES["default"]["OPTIONS"]["pool"] = ... with no OPTIONS
        entry.known.discard(parent)
        return
    for held in [held for held in entry.values if held[: len(inner)] == inner]:
        del entry.values[held]
        entry.keys.pop(held, None)
    entry.known = {known for known in entry.known if known[: len(inner)] != inner}
    _flatten(model, entry, inner, value, target)


def _new_entry(
    model: PythonModule, entries: dict[str, DatabaseEntry], alias: str, value: ast.expr, place: ast.expr
) -> None:
    if not isinstance(value, ast.Dict):
        return  # made by code (``dj_database_url.config()``): its keys are not known
    entry = DatabaseEntry(alias, literal_argument(model, place))
    entries[alias] = entry
    _flatten(model, entry, (), value, None)


def _flatten(
    model: PythonModule, entry: DatabaseEntry, prefix: tuple[str, ...], node: ast.expr, start: ast.expr | None
) -> None:
    if prefix:
        entry.values[prefix] = literal_argument(model, node, start)
        if start is not None:
            entry.keys[prefix] = literal_argument(model, start)
    if not isinstance(node, ast.Dict):
        return
    complete = True
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            _flatten(model, entry, (*prefix, key.value), value, key)
        else:
            complete = False  # ``**BASE`` or a computed key: it may hold anything
    if complete:
        entry.known.add(prefix)
