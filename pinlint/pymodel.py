"""One model of a Python file, built from one parse, that every Python analysis reads.

``parse_python`` parses the text once: with CPython's ``ast`` when the running interpreter can,
else with libcst's parser converted to the same ``ast`` nodes (``pinlint.extract.cst_to_ast``:
a 3.12 ``type`` statement or a PEP 701 f-string on 3.11, PEP 758 ``except A, B:``), so every rule
reads such a file. The ``PythonModule`` it returns holds what the readers share:

* ``lines``: the line index (CPython's line ends; bytes and characters converted there);
* ``statements``: every statement in source order, with whether it is inside a ``def``;
* ``imports``: local name -> imported dotted name, and ``qualify`` for a callee's full name;
* ``lines_with_calls``: the lines where a call of some names starts, the cheap way to skip
  the statements that cannot matter (a text search, then ``statements_on``).

The readers are ``extract.python`` (SQL fragments and connect-call facts), ``extract.calls``
(driver calls and settings), ``extract.handlers`` (Lambda handlers), ``dialect`` (evidence),
``project`` and ``declarations`` (CDK, Chalice). None of them parses again or builds its own
import map.
"""

from __future__ import annotations

import ast
import bisect
import re
import warnings
from collections.abc import Iterable, Sequence
from functools import cached_property, lru_cache
from typing import Any

from pinlint.bindings import ModuleScopes, dotted_name
from pinlint.pystrings import Piece, read_literal
from pinlint.source import LineIndex

MAX_NESTING = 120  # deeper code makes libcst's recursive parser overflow


class ParseError(Exception):
    """The text is not Python that either parser reads; the message is one line, ending in '; skipped'."""


def import_map(nodes: Iterable[ast.AST]) -> dict[str, str]:
    """Local name -> imported dotted name, from the import statements among ``nodes``
    (``import a.b`` binds ``a``; relative and star imports are left out)."""
    imports: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    imports.setdefault(top, top)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return imports


def qualified_name(node: ast.AST, imports: dict[str, str], *, imported_only: bool = False) -> str:
    """``pg.connect`` -> ``psycopg2.connect`` through ``imports``; '' for no dotted name, and with
    ``imported_only`` also '' when the head is not an imported name."""
    dotted = dotted_name(node)
    if not dotted:
        return ""
    head, _, rest = dotted.partition(".")
    if head not in imports and imported_only:
        return ""
    head = imports.get(head, head)
    return f"{head}.{rest}" if rest else head


# --- line searches: which lines can hold a call of interest -----------------------------------


def name_alternation(names: Iterable[str]) -> str:
    """A regex matching any of ``names``, written as a trie (``exec(?:ute(?:many)?|_driver_sql)``):
    re tests each character once instead of trying every name in turn (1.6x faster on SQLAlchemy).
    At a place where a name and a longer one both match, the longer one wins."""
    trie: dict[str, Any] = {}
    for name in set(names):
        node = trie
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def call_regex(names: Iterable[str]) -> re.Pattern[str]:
    """``name(`` for any of ``names``. No leading ``\\b``: re then skips ahead by the names' first
    letters (about twice as fast); ``PythonModule.lines_matching(..., word_start=True)`` checks the
    boundary instead. Built once per set of names (most files of a run ask for the same)."""
    return _call_regex_of(frozenset(names))


@lru_cache(maxsize=64)
def _call_regex_of(names: frozenset[str]) -> re.Pattern[str]:
    alternation = name_alternation(names)
    return re.compile(f"(?:{alternation})\\s*\\(") if alternation else re.compile(r"(?!x)x")


def spans_a_line(lines: Sequence[int], start: int, end: int) -> bool:
    """True when one of the sorted ``lines`` is in ``start..end``."""
    index = bisect.bisect_left(lines, start)
    return index < len(lines) and lines[index] <= end


# --- the model ---------------------------------------------------------------------------------

BLOCK_FIELDS = ("body", "handlers", "orelse", "finalbody", "cases")
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def statement_span(node: ast.stmt) -> tuple[int, int]:
    """First and last line of a statement, its decorators included."""
    decorators = getattr(node, "decorator_list", ())
    start = min([node.lineno, *(decorator.lineno for decorator in decorators)])
    return start, node.end_lineno or node.lineno


def expressions_of(node: ast.stmt) -> list[ast.AST]:
    """The parts of a statement that are not nested statements (its test, targets, decorators...)."""
    parts: list[ast.AST] = []
    for name, value in ast.iter_fields(node):
        if name in BLOCK_FIELDS:
            if name == "handlers":
                parts.extend(handler.type for handler in value if handler.type is not None)
            elif name == "cases":
                for case in value:
                    parts.append(case.pattern)
                    if case.guard is not None:
                        parts.append(case.guard)
            continue
        if isinstance(value, list):
            parts.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            parts.append(value)
    return parts


def _walk_statements(body: list[ast.stmt], lines: Sequence[int] | None) -> list[tuple[ast.stmt, bool]]:
    """The statements (nested ones included) in source order, with whether each is inside a def;
    with ``lines`` (sorted), only those whose lines hold one of them. A statement without such a
    line is not entered: its nested statements lie within its own lines."""
    found: list[tuple[ast.stmt, bool]] = []
    if lines is not None and not lines:
        return found
    stack: list[tuple[ast.AST, bool]] = [(statement, False) for statement in reversed(body)]
    while stack:
        node, in_function = stack.pop()
        if isinstance(node, ast.stmt | ast.excepthandler):
            decorators = getattr(node, "decorator_list", None)
            start = decorators[0].lineno if decorators else node.lineno  # a decorator is on the def's lines
            if lines is not None and not spans_a_line(lines, start, node.end_lineno or node.lineno):
                continue
            if isinstance(node, ast.stmt):
                found.append((node, in_function))
        inner = in_function or isinstance(node, FUNCTIONS)
        children = []
        for name in BLOCK_FIELDS:
            block = getattr(node, name, None)
            if block:
                children.extend(block)
        stack.extend((child, inner) for child in reversed(children))
    return found


class PythonModule:
    """A parsed Python file and the facts every reader of it shares (see the module docstring)."""

    def __init__(self, source: str, tree: ast.Module, *, converted: bool = False) -> None:
        self.source = source
        self.tree = tree
        self.converted = converted  # built from libcst's tree (syntax newer than this interpreter)
        self.lines = LineIndex(source)
        self.statements = _walk_statements(tree.body, None)
        self.import_statements = [node for node, _ in self.statements if isinstance(node, ast.Import | ast.ImportFrom)]
        self.imports = import_map(self.import_statements)
        self.packages = frozenset(
            name
            for node in self.import_statements
            for name in (
                [alias.name.split(".")[0] for alias in node.names]
                if isinstance(node, ast.Import)
                else ([node.module.split(".")[0]] if node.module and not node.level else [])
            )
        )  # top-level package names imported anywhere

    @cached_property
    def scopes(self) -> ModuleScopes:
        """Every scope and binding of the module (built on the first question, in one pass)."""
        return ModuleScopes(self.tree, [statement for statement, _ in self.statements])

    def qualify(self, node: ast.AST, *, imported_only: bool = False) -> str:
        """The callee's qualified name through the module's imports (see ``qualified_name``)."""
        return qualified_name(node, self.imports, imported_only=imported_only)

    def column(self, line: int, byte_offset: int | None) -> int:
        """The 1-based character column of ``ast``'s byte offset."""
        return self.lines.column(line, byte_offset or 0) + 1

    def offsets(self, node: ast.AST) -> tuple[int, int]:
        """The text offsets where ``node`` starts and ends (without its own parentheses, as ``ast`` has it)."""
        lines = self.lines
        line: int = getattr(node, "lineno", 1)
        end_line: int = getattr(node, "end_lineno", None) or line
        start = lines.offset(line, lines.column(line, getattr(node, "col_offset", 0)))
        end = lines.offset(end_line, lines.column(end_line, getattr(node, "end_col_offset", None) or 0))
        return start, end

    def string(self, node: ast.Constant | ast.JoinedStr) -> Piece:
        """A string literal's decoded text with the place of every character (see ``pystrings``)."""
        return read_literal(self.lines, *self.offsets(node))

    def lines_matching(
        self, pattern: re.Pattern[str], *, word_start: bool = False, anchors: tuple[str, ...] = ()
    ) -> list[int]:
        """The sorted (1-based) lines where ``pattern`` matches; with ``word_start``, only matches
        that do not continue a longer name (``execute(`` but not ``reexecute(``). ``anchors``: the
        lower-case words every match of a case-insensitive, one-line ``pattern`` starts with; the
        text is then searched for them (``str.find``) and the pattern tried there only, which is
        many times quicker than re's scan of an alternation with ``(?i)``."""
        text = self.source
        if anchors and not word_start:
            return self.lines.lines_of(_anchored_matches(text, pattern, anchors))
        offsets = []
        for match in pattern.finditer(text):
            offset = match.start()
            if word_start and offset and (text[offset - 1].isalnum() or text[offset - 1] == "_"):
                continue
            offsets.append(offset)
        return self.lines.lines_of(offsets)

    def lines_with_calls(self, names: Iterable[str]) -> list[int]:
        """The lines where a call of one of ``names`` (or of a local alias of one) may start."""
        wanted = set(names)
        wanted |= {
            alias.asname
            for node in self.tree.body
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
            if alias.asname and alias.name in wanted
        }
        return self.lines_matching(call_regex(wanted), word_start=True)

    def statements_on(self, lines: Sequence[int]) -> list[tuple[ast.stmt, bool]]:
        """The statements whose lines hold one of the sorted ``lines`` (see ``_walk_statements``)."""
        return _walk_statements(self.tree.body, lines)

    def nodes_on_lines(self, pattern: re.Pattern[str], anchors: tuple[str, ...] = ()) -> list[ast.AST]:
        """Every expression node of the statements on whose lines ``pattern`` matches (nested
        statements are judged by their own lines): a walk of the part of a module that can matter."""
        found: list[ast.AST] = []
        for statement, _ in self.statements_on(self.lines_matching(pattern, anchors=anchors)):
            for part in expressions_of(statement):
                found.extend(ast.walk(part))
        return found


def _anchored_matches(text: str, pattern: re.Pattern[str], anchors: tuple[str, ...]) -> list[int]:
    """Where ``pattern`` matches, tried only where one of its lower-case ``anchors`` starts (a
    match within one line is found from its first word, so the lines are those of ``finditer``)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # (a character whose lower case is longer: offsets would shift)
        return [match.start() for match in pattern.finditer(text)]
    found = []
    for anchor in anchors:
        start = lowered.find(anchor)
        while start != -1:
            if pattern.match(text, start):
                found.append(start)
            start = lowered.find(anchor, start + 1)
    return found


def parse_python(source: str) -> PythonModule:
    """The model of ``source``: CPython's ``ast`` when it parses the text, else libcst's tree
    converted to ``ast`` nodes (newer syntax); ``ParseError`` when neither reads it."""
    try:
        with warnings.catch_warnings():  # the linted code's invalid escapes are its own business
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            parsed = ast.parse(source)
        return PythonModule(source, parsed)
    except SyntaxError as error:
        python_error: SyntaxError | None = error
    except (RecursionError, MemoryError):
        raise ParseError("too deeply nested for the Python parser; skipped") from None
    except ValueError as error:
        raise ParseError(f"{error}; skipped") from None
    assert python_error is not None
    if "nested" in str(python_error.msg):
        raise ParseError(f"too deeply nested for the Python parser (line {python_error.lineno}); skipped")
    from pinlint.extract.cst_to_ast import convert_source  # libcst: imported only for such files

    tree = convert_source(source, MAX_NESTING)
    if tree is None:
        raise ParseError(f"syntax error at line {python_error.lineno}: {python_error.msg}; skipped")
    return PythonModule(source, tree, converted=True)
