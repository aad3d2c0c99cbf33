"""pinlint's modules import each other without a cycle, read from their source with ``ast``
(imports inside functions and under ``TYPE_CHECKING`` count: they are dependencies too)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "pinlint"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _targets(importer: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The pinlint modules an import statement runs: the module, a submodule it names, and the
    packages above them whose ``__init__`` runs first (not the importer's own packages)."""
    found: set[str] = set()
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: from the importer's package up
            package = importer if MODULES[importer].name == "__init__.py" else importer.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
    for name in names:
        if name not in MODULES:
            continue
        parts = name.split(".")
        for end in range(1, len(parts) + 1):
            target = ".".join(parts[:end])
            if target in MODULES and not importer.startswith(f"{target}.") and target != importer:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= _targets(name, node)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of ``graph`` as a path that ends where it starts, or []."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return []


def test_the_import_graph_is_a_dag() -> None:
    cycle = find_cycle(import_graph())
    assert cycle == [], "import cycle: " + " -> ".join(cycle)


def test_the_graph_sees_imports_inside_functions_and_finds_a_cycle() -> None:
    graph = import_graph()
    assert "pinlint.discover" in graph["pinlint.project"]  # imported inside ProjectFacts._search
    assert "pinlint.kinds" in graph["pinlint.catalog"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_the_engine_knows_fact_types_not_kinds() -> None:
    """The engine imports pinlint.kinds and its base (the fact types), never a kind's own module:
    a new kind needs no change there."""
    kind_modules = {name for name in MODULES if name.startswith("pinlint.kinds.")} - {
        "pinlint.kinds.base",
        "pinlint.kinds.schema",
        "pinlint.kinds.project_condition",
    }
    assert "pinlint.kinds.statement" in kind_modules
    assert import_graph()["pinlint.engine"] & kind_modules == set()
