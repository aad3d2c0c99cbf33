"""Narrow a Python file to the statements extraction needs, before the (slow) libcst parse.

CPython's own parser (``ast``, about 40 times faster than libcst here) finds the top-level
statements, and a text search finds the lines where a call of interest may start. The
result holds only the lines of the kept statements, unchanged (so columns hold), with a
map from each kept line back to its line in the file. Kept:

* statements on whose lines a call named like a sink or connection factory appears
  (``name(``, also through ``from x import name as alias``);
* imports (also inside top-level ``if``/``try``), for resolving qualified names;
* module-level assignments of string-like values, for SQL passed through a constant;
* a statement sharing a line with a kept one.

Anything the fast path does not understand (a syntax error, newer syntax than this
interpreter) returns the source unchanged: libcst then decides, and reports errors.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pinlint.extract.calls import call_regex, matched_lines, spans_a_line

KEEP_ALL_RATIO = 0.9  # when this much would be kept anyway, skip the rewriting

_COMPOUND_WITH_IMPORTS = (ast.If, ast.Try, ast.With)
_NOT_STRING_LIKE = (
    ast.Dict,
    ast.List,
    ast.Set,
    ast.Tuple,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.Lambda,
    ast.Constant,  # handled below: only str and bytes constants count
)


_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+$")  # Python's lines: only \n ends one (\f, \v do not)


@lru_cache(maxsize=64)
def _call_regex(names: frozenset[str]) -> re.Pattern[str]:
    return call_regex(names)


def _span(node: ast.stmt) -> tuple[int, int]:
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(decorator.lineno for decorator in decorators)])
    return start, node.end_lineno or node.lineno


def _string_like(value: ast.expr | None) -> bool:
    if value is None:
        return False
    if isinstance(value, ast.Constant):
        return isinstance(value.value, str | bytes)
    return not isinstance(value, _NOT_STRING_LIKE)


def always_kept(node: ast.stmt) -> bool:
    """Kept whatever its calls: imports, and assignments of string-like values (bindings)."""
    return _always_kept(node)


def _always_kept(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return True
    if isinstance(node, ast.Assign | ast.AugAssign):
        return _string_like(node.value)
    if isinstance(node, ast.AnnAssign):
        return _string_like(node.value)
    if isinstance(node, _COMPOUND_WITH_IMPORTS):
        return any(isinstance(inner, ast.Import | ast.ImportFrom) for inner in ast.walk(node))
    return False


def _aliases(tree: ast.Module, names: frozenset[str]) -> set[str]:
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            found |= {alias.asname for alias in node.names if alias.asname and alias.name in names}
    return found


@dataclass(frozen=True)
class Narrowed:
    """The kept lines of a file, and for each of them its line number in the file (1-based)."""

    text: str
    line_numbers: tuple[int, ...] | None = None  # None: the text is the whole file

    def original_line(self, line: int) -> int:
        if self.line_numbers is None or not 1 <= line <= len(self.line_numbers):
            return line
        return self.line_numbers[line - 1]


@dataclass
class Unit:
    """A candidate piece of a file for extraction: a top-level statement, a class member, or a
    class header (``node`` None), with its 1-based line span and whether narrowing keeps it."""

    start: int
    end: int
    node: ast.stmt | None
    kept: bool
    header: int = -1  # for a class member: the index of its class header unit


@lru_cache(maxsize=4)
def call_lines(source: str, names: frozenset[str], tree: ast.Module) -> tuple[int, ...]:
    """The lines of ``source`` that hold a call of one of ``names``, or of a local alias of one
    (computed once per file: narrowing and the fast path both ask)."""
    return tuple(matched_lines(source, _call_regex(names | _aliases(tree, names)), word_start=True))


def plan_units(source: str, call_names: Iterable[str], tree: ast.Module | None = None) -> list[Unit] | None:
    """The units of ``source`` and which of them matter; None when the file is not narrowed
    (old Mac line endings, or CPython cannot parse it). ``tree`` is ``ast.parse(source)``."""
    names = frozenset(call_names)
    if "\r" in source.replace("\r\n", ""):
        return None  # old Mac line endings: keep it simple
    if tree is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    lines_with_calls = call_lines(source, names, tree)

    def has_call(start: int, end: int) -> bool:
        return spans_a_line(lines_with_calls, start, end)

    units: list[Unit] = []  # every candidate unit: top-level statements and class members
    for node in tree.body:
        start, end = _span(node)
        if isinstance(node, ast.ClassDef) and node.body and has_call(start, end):
            first = _span(node.body[0])[0]
            if first <= node.lineno:
                units.append(Unit(start, end, node, True))
                continue
            header = len(units)
            units.append(Unit(start, first - 1, None, True))  # the class header
            members = [(*_span(member), member) for member in node.body]
            chosen = [_always_kept(member) or has_call(s, e) for s, e, member in members]
            if not any(chosen):
                chosen = [True] * len(members)
            for (s, e, member), keep in zip(members, chosen, strict=True):
                units.append(Unit(s, e, member, keep, header))
            continue
        units.append(Unit(start, end, node, _always_kept(node) or has_call(start, end)))

    changed = True
    while changed:  # a unit that shares a line with a kept one is kept too
        changed = False
        kept_lines = {line for unit in units if unit.kept for line in (unit.start, unit.end)}
        for unit in units:
            if not unit.kept and (unit.start in kept_lines or unit.end in kept_lines):
                unit.kept = True
                changed = True
    return units


def shares_a_line(units: list[Unit], index: int) -> bool:
    """True when another kept unit starts or ends on a line of unit ``index``."""
    unit = units[index]
    return any(
        other.kept and other is not unit and (other.start <= unit.end and unit.start <= other.end) for other in units
    )


def render(source: str, units: list[Unit] | None, drop: frozenset[int] = frozenset()) -> Narrowed:
    """The kept units' lines, except the units in ``drop`` (handled elsewhere)."""
    if units is None:
        return Narrowed(source)
    if drop:  # a class whose kept members are all handled elsewhere loses its header too
        headers_in_use = {unit.header for index, unit in enumerate(units) if unit.kept and index not in drop}
        drop = drop | {
            index
            for index, unit in enumerate(units)
            if unit.node is None and index not in headers_in_use and index + 1 < len(units)
        }
    lines = _LINE_RE.findall(source)
    keep_line = [False] * (len(lines) + 2)
    for index, unit in enumerate(units):
        if unit.kept and index not in drop:
            for line in range(unit.start, unit.end + 1):
                keep_line[line] = True
    if not drop and sum(keep_line) >= KEEP_ALL_RATIO * len(lines):
        return Narrowed(source)
    numbers = [number for number in range(1, len(lines) + 1) if keep_line[number]]
    text = "".join(lines[number - 1] for number in numbers)
    if text and not text.endswith("\n"):
        text += "\n"
    return Narrowed(text, tuple(numbers))


def relevant_source(source: str, call_names: Iterable[str], tree: ast.Module | None = None) -> Narrowed:
    """The statements of ``source`` that can matter; each kept line is unchanged, so columns hold.
    ``tree`` is ``ast.parse(source)`` when the caller has it already."""
    return render(source, plan_units(source, call_names, tree))
