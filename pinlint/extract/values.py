"""The possible values of a string expression in one module: what SQL a sink may be sent.

``ValueReader.values(node, chain, at)`` returns a bounded set of ``Value``s (at most
``MAX_VALUES``; more, and the expression is dynamic). Each value is a ``Piece``: its text and,
for every character, the place in the file it came from, so a finding inside a value points at
the literal that holds it, however many steps away from the sink. A part the code does not show
(a parameter, a call result, a number) is a hole, as in ``pinlint.pystrings``. It reads:

* literals of every kind (str, bytes, f-strings, implicit concatenation);
* ``a + b``, ``%``-formatting and ``.format()``: a field is filled with the value of its argument
  when that is a string the code shows (``"SELECT %s(1)" % (fn,)``), else it is a hole;
* f-string fields and conditional expressions with string branches (``f"pg{'_try' if w else ''}"``):
  each branch is a value, with the condition under which it is taken (``Value.conditions``);
* names, flow-sensitively inside their scope: the assignments that reach the place of use,
  ``if``/``else`` branches united (path-insensitive), ``x += "..."`` extending what reaches it,
  loops taken zero or one time, ``for s in ("A", "B")`` binding each element;
* class attributes of a module-level class (``self.LOCK``, ``cls.LOCK``, ``Repository.LOCK``), and
  through ``self.`` the values its methods assign on the instance (``self._sql = "..."`` in
  ``__init__``), when those are every place the module sets an attribute of that name and each is a
  string the code shows (``_instance_assignments``);
* what a function of the module, or a method of the class around the call, returns
  (``lock_sql()``, ``self.lock_query()``, ``await self.query()``): the union of its ``return``s,
  when each is a string the code shows (``_returned``);
* entries of dict, list and tuple literals under constant keys (``QUERIES["lock"]``, ``STMTS[0]``,
  ``QUERIES.get("lock")``; ``dict(LOCK="...")`` is the literal it builds), and ``sep.join([...])``
  of a literal list (or a list built with ``append``/``extend``);
* ``textwrap.dedent(...)``, ``.strip()`` and ``.decode()`` of a value (whitespace means nothing to
  SQL: the text is read as written);
* psycopg's ``sql.SQL(...)`` (its ``.format()`` and ``.join()`` as above) and ``sql.Composed([...])``;
  ``sql.Identifier``/``sql.Literal`` are holes.

Names imported from another module, and their entries under a constant key (``QUERIES["lock"]``),
are asked of ``resolve_import`` (the name and key -> the text, or None), the one hook a project
index plugs in; without it they are dynamic.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pinlint.bindings import (
    ANNOTATED,
    ASSIGN,
    AUGMENTED,
    COMPREHENSION,
    EXCEPT,
    PARAMETER,
    WALRUS,
    Binding,
    dotted_name,
)
from pinlint.files import UnreadableFile, read_bytes
from pinlint.model import HOLE, Finding, Fragment
from pinlint.pymodel import PythonModule
from pinlint.pystrings import AUTOMATIC, AUTOMATIC_HOLE, HOLE_FIELD, Piece, format_fields

MAX_VALUES = 64  # more possible values than this: the expression is dynamic
MAX_DEPTH = 12  # names and containers followed from a sink to its literals
MAX_CONDITION_TEXT = 40  # a longer test is not quoted in a message

Chain = tuple[ast.AST | None, ...]  # the module (None), then the defs around a place, innermost last
Condition = tuple[str, bool]  # (the test's source, whether it is true)

_PSYCOPG_SQL = ("psycopg.sql.", "psycopg2.sql.")
_TRANSPARENT_METHODS = frozenset({"decode", "strip", "lstrip", "rstrip"})
_OPENERS = frozenset({"open", "io.open", "codecs.open"})
_PATH_TYPES = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})
_RESOURCE_FILES = frozenset({"importlib.resources.files", "importlib_resources.files"})
_RESOURCE_READERS = frozenset({"importlib.resources.read_text", "importlib.resources.read_binary"})


@dataclass(frozen=True)
class Value:
    """One possible value of an expression."""

    piece: Piece
    literal: ast.expr | None  # the first literal that holds known text (None: nothing is known)
    via: str = ""  # the name it came through, if any
    conditions: tuple[Condition, ...] = ()  # when it is the value (conditional expressions)
    read_from: str = ""  # the file it is the text of, read at run time
    # text another module's function returns, placed at the call that gives it: where that call
    # ends (line, last column, 1-based) and where the function is (" in locklib/lock.py:8")
    call_end: tuple[int, int] | None = None
    returned_in: str = ""

    @property
    def known(self) -> bool:
        return self.literal is not None


Literal = bool | int | str | None  # an argument whose value a call shows


@dataclass(frozen=True)
class Parameters:
    """What a call's literal arguments say about a function's parameters: the positional ones in
    order (``self`` included), the keyword-only ones, the literal defaults, and which names the
    body never rebinds (only those may decide a condition). ``bound`` is the first parameter a call
    through an instance (``"self"``) or the class as well (``"cls"``) fills itself."""

    positional: tuple[str, ...] = ()
    keyword_only: tuple[str, ...] = ()
    defaults: dict[str, Literal] = dataclasses.field(default_factory=dict)
    fixed: tuple[str, ...] = ()
    bound: str = ""


def call_arguments(parameters: Parameters, call: ast.Call, *, through_instance: bool) -> dict[str, ast.expr] | None:
    """Parameter -> the argument ``call`` passes for it; None when the call's arguments cannot be
    matched (``*args``, ``**kwargs``, more positional arguments than parameters)."""
    if any(isinstance(argument, ast.Starred) for argument in call.args) or any(
        keyword.arg is None for keyword in call.keywords
    ):
        return None
    positional = parameters.positional
    if parameters.bound == "cls" or (parameters.bound == "self" and through_instance):
        positional = positional[1:]
    if len(call.args) > len(positional):
        return None
    given: dict[str, ast.expr] = dict(zip(positional, call.args, strict=False))
    given.update({keyword.arg: keyword.value for keyword in call.keywords if keyword.arg is not None})
    return given


def call_literals(parameters: Parameters, call: ast.Call, *, through_instance: bool) -> dict[str, Literal]:
    """Parameter -> the literal (bool, int, str, None) it holds in ``call``, passed or left at its
    literal default; only parameters the body never rebinds. {} when the call's arguments cannot be
    matched (``*args``, ``**kwargs``, more positional arguments than parameters)."""
    given = call_arguments(parameters, call, through_instance=through_instance)
    if given is None:
        return {}
    found: dict[str, Literal] = {}
    for name in parameters.fixed:
        if name in given:
            argument = given[name]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, bool | int | str | type(None)):
                found[name] = argument.value
        elif name in parameters.defaults:
            found[name] = parameters.defaults[name]
    return found


def _truth(test: ast.expr, literals: dict[str, Literal]) -> bool | None:
    """Whether ``test`` holds when the names in ``literals`` have those values; None when it tests
    anything else (only names, ``not``, ``and``/``or`` and one ``==``/``!=``/``is``/``is not``
    against a literal are read)."""
    if isinstance(test, ast.Name):
        return bool(literals[test.id]) if test.id in literals else None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _truth(test.operand, literals)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        parts = [_truth(value, literals) for value in test.values]
        decisive = isinstance(test.op, ast.Or)  # (``or``: one true decides; ``and``: one false)
        if decisive in parts:
            return decisive
        return None if None in parts else not decisive
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right = test.left, test.comparators[0]
        if isinstance(right, ast.Name):
            left, right = right, left
        if not (isinstance(left, ast.Name) and left.id in literals and isinstance(right, ast.Constant)):
            return None
        value, other, operator = literals[left.id], right.value, test.ops[0]
        if isinstance(operator, ast.Eq | ast.NotEq):
            # (the values the call passes, compared as Python compares them: ``1 == True`` holds)
            return (value == other) is isinstance(operator, ast.Eq)
        if isinstance(operator, ast.Is | ast.IsNot) and (other is None or isinstance(other, bool)):  # (singletons)
            return (value is other) is isinstance(operator, ast.Is)
    return None


def in_callers_terms(
    values: Sequence[Value], parameters: Parameters, given: dict[str, ast.expr] | None, callee: str
) -> list[Value]:
    """The conditions of what a function returns, said in the terms of the function that returns
    its call (``return _lock(in_transaction)``): a condition on the callee's parameter ``xact``
    becomes one on ``in_transaction``, so the outer call's own ``xact`` cannot decide it; a
    parameter given anything but a name (or nothing) is named ``callee.xact``, which no call decides."""
    names = {*parameters.positional, *parameters.keyword_only}
    renamed = []
    for value in values:
        conditions = []
        for test, truth in value.conditions:
            try:
                tree = ast.parse(test, mode="eval")
            except SyntaxError:
                conditions.append((test, truth))
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Name) and node.id in names:
                    argument = (given or {}).get(node.id)
                    node.id = argument.id if isinstance(argument, ast.Name) else f"{callee}.{node.id}"
            conditions.append((ast.unparse(tree), truth))
        renamed.append(replace(value, conditions=tuple(conditions)))
    return renamed


def taken_by(values: Sequence[Value], literals: dict[str, Literal]) -> list[Value]:
    """The ``values`` whose conditions a call with these literal arguments can meet, without the
    conditions the call meets for certain (one it does not decide is kept)."""
    if not literals:
        return list(values)
    kept = []
    for value in values:
        undecided: list[Condition] = []
        for test, truth in value.conditions:
            try:
                holds = _truth(ast.parse(test, mode="eval").body, literals)
            except SyntaxError:
                holds = None
            if holds is None:
                undecided.append((test, truth))
            elif holds is not truth:
                break
        else:
            kept.append(replace(value, conditions=tuple(undecided)))
    return kept


# a name this module imports (and a key of the container it is, or the keys into the containers
# nested there) -> the string its module binds there
EntryKey = str | int | tuple[str | int, ...]
ResolveImport = Callable[[str, "EntryKey | None"], "str | None"]
# a name this module imports and the attributes after it (``Lock``, ``("lock_query",)``) -> the strings
# the function of another module it names returns, each with its conditions, and where that function
# is (" in locklib/lock.py:8"; None: not known)
ReturnedElsewhere = tuple[tuple[tuple[str, tuple[Condition, ...]], ...], str, Parameters | None]
ResolveReturn = Callable[[str, tuple[str, ...]], "ReturnedElsewhere | None"]


def describe(conditions: Sequence[Condition]) -> str:
    """``when `xact` is false and `nowait` is true``; '' for no condition."""
    parts = []
    for test, truth in conditions:
        if test.startswith("not ") and " " not in test[4:]:
            test, truth = test[4:], not truth
        parts.append(f"`{test}` is {'true' if truth else 'false'}")
    return "when " + " and ".join(parts) if parts else ""


def _concat(left: Value, right: Value) -> Value | None:
    """``left`` then ``right``; None when their conditions contradict each other."""
    conditions = left.conditions
    for condition in right.conditions:
        if (condition[0], not condition[1]) in conditions:
            return None
        if condition not in conditions:
            conditions = (*conditions, condition)
    piece = Piece(
        left.piece.text + right.piece.text,
        left.piece.lines + right.piece.lines,
        left.piece.columns + right.piece.columns,
    )
    via = left.via if left.known else right.via  # the name of the first part the code shows
    whole = right if not left.piece.text else left if not right.piece.text else None  # (the other: nothing)
    return Value(
        piece,
        left.literal or right.literal,
        via,
        conditions,
        left.read_from or right.read_from,
        whole.call_end if whole else None,
        whole.returned_in if whole else "",
    )


class ValueReader:
    """The possible values of the expressions of one module (see the module docstring)."""

    def __init__(
        self,
        model: PythonModule,
        path: str = "",
        resolve_import: ResolveImport | None = None,
        resolve_return: ResolveReturn | None = None,
    ) -> None:
        self.model = model
        self.path = path
        self.directory = Path(path).parent if path else Path()
        self.resolve_import = resolve_import
        self.resolve_return = resolve_return
        self._flows: dict[tuple[str, int], _Flow] = {}  # (name, id of its scope) -> its flow
        self._returns: dict[int, tuple[Value, ...]] = {}  # id of a def -> what it returns (() dynamic)
        self._returning: set[int] = set()  # the defs whose returns are being read (a recursion guard)
        self._attribute_stores: dict[str, int] | None = None  # attribute name -> places the module sets it

    # --- helpers ------------------------------------------------------------------------------
    def dynamic(self, node: ast.AST) -> tuple[Value, ...]:
        line = getattr(node, "lineno", 1)
        column = self.model.lines.column(line, getattr(node, "col_offset", 0)) + 1
        return (Value(Piece.hole(line, column), None),)

    def _bounded(self, values: list[Value], node: ast.AST) -> tuple[Value, ...]:
        unique: dict[tuple[str, tuple[int, ...], tuple[int, ...], tuple[Condition, ...]], Value] = {}
        for value in values:
            key = (value.piece.text, tuple(value.piece.lines), tuple(value.piece.columns), value.conditions)
            unique.setdefault(key, value)
        if not unique or len(unique) > MAX_VALUES:
            return self.dynamic(node)
        return tuple(unique.values())

    def _product(self, parts: Sequence[tuple[Value, ...]], node: ast.AST) -> tuple[Value, ...]:
        """Every way of putting one value of each part after the other."""
        combined: list[Value] = [Value(Piece(), None)]
        for part in parts:
            following = [joined for value in combined for other in part if (joined := _concat(value, other))]
            if len(following) > MAX_VALUES:
                return self.dynamic(node)
            combined = following
        return self._bounded(combined, node)

    # --- expressions --------------------------------------------------------------------------
    def values(self, node: ast.expr, chain: Chain, at: ast.stmt | None, depth: int = 0) -> tuple[Value, ...]:
        """The possible values of ``node``, an expression of the statement ``at`` in the scopes ``chain``."""
        if depth > MAX_DEPTH:
            return self.dynamic(node)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str | bytes):
                return (Value(self.model.string(node), node),)
            return self.dynamic(node)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, chain, at, depth)
        if isinstance(node, ast.IfExp):
            test = ast.unparse(node.test) if len(ast.unparse(node.test)) <= MAX_CONDITION_TEXT else ""
            found: list[Value] = []
            for branch, truth in ((node.body, True), (node.orelse, False)):
                for value in self.values(branch, chain, at, depth):
                    if test:
                        condition = ((test, truth),)
                        value = _concat(Value(Piece(), None, "", condition), value) or value
                    found.append(value)
            return self._bounded(found, node)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                left = self.values(node.left, chain, at, depth)  # (the tree's own nesting: no step)
                right = self.values(node.right, chain, at, depth)
                return self._product([left, right], node)
            if isinstance(node.op, ast.Mod):
                return self._percent(node, chain, at, depth)
            return self.dynamic(node)
        if isinstance(node, ast.Name):
            return self.name(node.id, chain, at, depth + 1, node)
        if isinstance(node, ast.Subscript):
            return self._subscript(node.value, node.slice, chain, at, depth, node)
        if isinstance(node, ast.Attribute):
            return self._class_attribute(node, chain, depth)
        if isinstance(node, ast.Call):
            return self._call(node, chain, at, depth)
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):  # ``await self.query()``
            return self._returned(node.value, chain, depth, awaited=True) or self.dynamic(node)
        return self.dynamic(node)

    def _fstring(self, node: ast.JoinedStr, chain: Chain, at: ast.stmt | None, depth: int) -> tuple[Value, ...]:
        """An f-string: its text, each replacement field filled with the values of its expression
        when they are strings the code shows (else a hole, as ``pystrings`` reads it)."""
        piece = self.model.string(node)
        fields = [value for value in node.values if isinstance(value, ast.FormattedValue)]
        holes = [index for index, char in enumerate(piece.text) if char == HOLE]
        if not fields or len(holes) != len(fields):
            return (Value(piece, node),)
        parts: list[tuple[Value, ...]] = []
        last = 0
        for index, field in zip(holes, fields, strict=True):
            parts.append((Value(_slice(piece, last, index), node),))
            hole = (Value(_slice(piece, index, index + 1), None),)
            if field.format_spec is None and field.conversion in (-1, ord("s")):
                filled = self.values(field.value, chain, at, depth + 1)
                parts.append(tuple(value if value.known else hole[0] for value in filled))
            else:
                parts.append(hole)
            last = index + 1
        parts.append((Value(_slice(piece, last, len(piece.text)), node),))
        filled = self._product(parts, node)
        return tuple(Value(value.piece, node, value.via, value.conditions, value.read_from) for value in filled)

    def _fill(
        self,
        template: Value,
        style: str,
        positional: Sequence[tuple[Value, ...] | None],
        keywords: dict[str, tuple[Value, ...]],
        node: ast.AST,
    ) -> tuple[Value, ...]:
        """``template`` with its ``%`` (``style="percent"``) or ``.format()`` (``"brace"``) fields
        filled: a field whose argument has known values takes them, any other becomes a hole."""
        piece = template.piece
        parts: list[tuple[Value, ...]] = []
        last = 0
        automatic = 0
        for start, end, key in format_fields(piece, style):
            parts.append((Value(_slice(piece, last, start), template.literal),))
            last = end
            if key is None:  # ``%%``, ``{{``, ``}}``: the one character they stand for
                parts.append((Value(Piece(piece.text[start], [piece.lines[start]], [piece.columns[start]]), None),))
                continue
            hole = (Value(Piece.hole(piece.lines[start], piece.columns[start]), None),)
            argument: tuple[Value, ...] | None = None
            if key in (AUTOMATIC, AUTOMATIC_HOLE):
                if key == AUTOMATIC and automatic < len(positional):
                    argument = positional[automatic]
                automatic += 1
            elif key.isdigit():
                argument = positional[int(key)] if int(key) < len(positional) else None
            elif key != HOLE_FIELD:
                argument = keywords.get(key)
            if argument is None:
                parts.append(hole)
            else:
                parts.append(tuple(value if value.known else hole[0] for value in argument))
        parts.append((Value(_slice(piece, last, len(piece.text)), template.literal),))
        filled = self._product(parts, node)
        return tuple(
            Value(
                value.piece,
                template.literal,
                template.via or value.via,
                _merge(template.conditions, value),
                template.read_from or value.read_from,
            )
            for value in filled
        )

    def _percent(self, node: ast.BinOp, chain: Chain, at: ast.stmt | None, depth: int) -> tuple[Value, ...]:
        templates = self.values(node.left, chain, at, depth)
        if not any(template.known for template in templates):
            return templates
        mappings = self._mappings(node.right, chain, depth + 1)
        if mappings:  # ``"SELECT %(fn)s(1)" % {"fn": fn}``
            filled = [
                value
                for template in templates
                if template.known
                for mapping in mappings
                for value in self._fill(template, "percent", [], mapping, node)
            ]
            return self._bounded(filled, node)
        sequences = self.sequences(node.right, chain, at, depth + 1)
        rows: list[list[tuple[Value, ...]]]
        if sequences is not None:
            rows = [
                [self.values(element, where, place, depth + 1) for element, where, place in row] for row in sequences
            ]
        elif isinstance(node.right, ast.Dict):
            rows = [[]]
        else:  # one value (a string, or something unknown)
            rows = [[self.values(node.right, chain, at, depth + 1)]]
        found: list[Value] = []
        for row in rows:
            for template in templates:
                if template.known:
                    found.extend(self._fill(template, "percent", row, {}, node))
        return self._bounded(found, node)

    def _mappings(self, node: ast.expr, chain: Chain, depth: int) -> list[dict[str, tuple[Value, ...]]]:
        """The dict literals ``node`` may be, as the values of their constant string keys."""
        containers = self.containers(node, chain, depth) or []
        if not containers or not all(isinstance(literal, ast.Dict) for literal, _, _ in containers):
            return []
        mappings = []
        for literal, literal_chain, literal_at in containers:
            assert isinstance(literal, ast.Dict)
            mappings.append(
                {
                    key.value: self.values(value, literal_chain, literal_at, depth + 1)
                    for key, value in zip(literal.keys, literal.values, strict=True)
                    if isinstance(key, ast.Constant) and isinstance(key.value, str)
                }
            )
        return mappings

    def _call(self, node: ast.Call, chain: Chain, at: ast.stmt | None, depth: int) -> tuple[Value, ...]:
        func = node.func
        qualified = self.model.qualify(func)
        if qualified == "textwrap.dedent" and len(node.args) == 1:  # indentation means nothing to SQL
            return self.values(node.args[0], chain, at, depth + 1)
        if qualified.startswith(_PSYCOPG_SQL):
            last = qualified.rsplit(".", 1)[-1]
            if last == "SQL" and len(node.args) == 1:
                return self.values(node.args[0], chain, at, depth + 1)
            if last == "Composed" and len(node.args) == 1:
                alternatives = self.sequences(node.args[0], chain, at, depth + 1)
                return self._joined(None, alternatives, node, depth)
            return self.dynamic(node)
        read = self._file_read(node, chain, depth)
        if read is not None:
            return read
        returned = self._returned(node, chain, depth)
        if returned is not None:
            return returned
        if not isinstance(func, ast.Attribute):
            return self.dynamic(node)
        if func.attr in _TRANSPARENT_METHODS and not node.args:  # whitespace (and encoding) only
            return self.values(func.value, chain, at, depth + 1)
        if func.attr == "format":
            templates = self.values(func.value, chain, at, depth + 1)
            if not any(template.known for template in templates) or any(
                isinstance(argument, ast.Starred) for argument in node.args
            ):
                return templates if not any(t.known for t in templates) else self.dynamic(node)
            positional: list[tuple[Value, ...] | None] = [
                self.values(argument, chain, at, depth + 1) for argument in node.args
            ]
            keywords = {
                keyword.arg: self.values(keyword.value, chain, at, depth + 1)
                for keyword in node.keywords
                if keyword.arg is not None
            }
            found = [
                value
                for template in templates
                if template.known
                for value in self._fill(template, "brace", positional, keywords, node)
            ]
            return self._bounded(found, node)
        if func.attr == "join" and len(node.args) == 1:
            separators = self.values(func.value, chain, at, depth + 1)
            if not any(separator.known for separator in separators):
                return self.dynamic(node)
            return self._joined(separators, self.sequences(node.args[0], chain, at, depth + 1), node, depth)
        if func.attr == "get" and node.args:
            return self._subscript(func.value, node.args[0], chain, at, depth, node)
        return self.dynamic(node)

    def _joined(
        self,
        separators: tuple[Value, ...] | None,
        alternatives: list[list[tuple[ast.expr, Chain, ast.stmt | None]]] | None,
        node: ast.AST,
        depth: int,
    ) -> tuple[Value, ...]:
        """The elements of each alternative list joined by each separator (None: no separator)."""
        if alternatives is None:
            return self.dynamic(node)
        found: list[Value] = []
        for elements in alternatives:
            values = [
                self.values(element, element_chain, element_at, depth + 1)
                for element, element_chain, element_at in elements
            ]
            for separator in separators or (None,):
                parts: list[tuple[Value, ...]] = []
                for index, part in enumerate(values):
                    if index and separator is not None:
                        parts.append((separator,))
                    parts.append(part)
                found.extend(self._product(parts, node) if parts else ())
        return self._bounded([value for value in found if value.known], node)

    def _subscript(
        self, container: ast.expr, key: ast.expr, chain: Chain, at: ast.stmt | None, depth: int, node: ast.AST
    ) -> tuple[Value, ...]:
        """``QUERIES["lock"]``, ``STMTS[0]``, ``QUERIES.get("lock")``: the entries of the literal
        containers the name is bound to, under a constant key."""
        if (
            isinstance(key, ast.UnaryOp)
            and isinstance(key.op, ast.USub)
            and isinstance(key.operand, ast.Constant)
            and isinstance(key.operand.value, int)
        ):
            key = ast.Constant(-key.operand.value)  # ``STMTS[-1]``
        if not isinstance(key, ast.Constant) or isinstance(key.value, bool):
            return self.dynamic(node)
        if isinstance(key.value, str | int):
            imported = self._imported_entry(container, key.value, chain)
            if imported is not None:
                return self._imported(imported[0], node, imported[1])
        found: list[Value] = []
        for literal, literal_chain, literal_at in self.containers(container, chain, depth + 1) or []:
            entry = _entry_of(literal, key.value)
            if entry is None:
                return self.dynamic(node)
            found.extend(self.values(entry, literal_chain, literal_at, depth + 1))
        return self._bounded(found, node) if found else self.dynamic(node)

    def _imported_entry(self, container: ast.expr, key: str | int, chain: Chain) -> tuple[str, EntryKey] | None:
        """(the imported name, the key or keys) when ``container[key]`` is an entry of a container
        another module binds, imported here: ``QUERIES["lock"]``, ``QUERIES["pg"]["lock"]``."""
        keys: list[str | int] = [key]
        while isinstance(container, ast.Subscript) and len(keys) < MAX_DEPTH:
            inner = container.slice
            if not isinstance(inner, ast.Constant) or isinstance(inner.value, bool):
                return None
            if not isinstance(inner.value, str | int):
                return None
            keys.insert(0, inner.value)
            container = container.value
        if not isinstance(container, ast.Name) or not self.is_imported(container.id, chain):
            return None
        return container.id, keys[0] if len(keys) == 1 else tuple(keys)

    def _class_attribute(self, node: ast.Attribute, chain: Chain, depth: int) -> tuple[Value, ...]:
        """``self.QUERY``, ``cls.QUERY`` in a method, or ``Repository.QUERY``: the values the class
        body binds to the name, when nothing in the module assigns it on an instance."""
        owner = node.value
        if not isinstance(owner, ast.Name):
            return self.dynamic(node)
        classes = [statement for statement in self.model.tree.body if isinstance(statement, ast.ClassDef)]
        if owner.id in ("self", "cls"):  # the module-level class whose method this is
            found = next((cls for cls in classes if chain[-1] in cls.body), None)
        else:
            found = next((cls for cls in classes if cls.name == owner.id), None)
        if found is None:
            return self.dynamic(node)
        on_instance: list[tuple[ast.expr, ast.FunctionDef | ast.AsyncFunctionDef, ast.stmt]] = []
        if self.model.scopes.attribute_origins(f"{owner.id}.{node.attr}", lambda _: "set"):
            assigned = self._instance_assignments(found, node.attr) if owner.id == "self" else None
            if assigned is None:
                return self.dynamic(node)
            on_instance = assigned
        bindings = [  # (``name: str`` alone declares the attribute and binds nothing)
            binding
            for binding in self.model.scopes.scope(found).bindings.get(node.attr, [])
            if not (binding.kind == ANNOTATED and binding.value is None)
        ]
        if (not bindings and not on_instance) or any(
            binding.kind not in (ASSIGN, ANNOTATED) or binding.value is None for binding in bindings
        ):
            return self.dynamic(node)
        values: list[Value] = []
        for value_node, method, assignment in on_instance:  # ``self._sql = "..."`` in ``__init__``
            assigned_values = self.values(value_node, (None, method), assignment, depth + 1)
            if not all(value.known for value in assigned_values):
                return self.dynamic(node)
            via = f"self.{node.attr}"
            values.extend(replace(v, via=v.via or via) for v in assigned_values)
        for binding in bindings:
            statement = binding.node if isinstance(binding.node, ast.stmt) else None
            assert binding.value is not None
            for value in self.values(binding.value, (None,), statement, depth + 1):
                values.append(replace(value, via=value.via or f"{owner.id}.{node.attr}"))
        return self._bounded(values, node)

    def _instance_assignments(
        self, cls: ast.ClassDef, attribute: str
    ) -> list[tuple[ast.expr, ast.FunctionDef | ast.AsyncFunctionDef, ast.stmt]] | None:
        """The values the methods of ``cls`` assign to ``self.<attribute>`` (``self._sql = "..."``),
        each with its method and statement, when those plain assignments are every place the
        module sets, deletes or augments an attribute of that name (on any object) and it calls no
        ``setattr``; None otherwise (then the instance may hold anything)."""
        if "setattr(" in self.model.source:
            return None
        if self._attribute_stores is None:
            self._attribute_stores = {}
            for item in ast.walk(self.model.tree):
                if isinstance(item, ast.Attribute) and not isinstance(item.ctx, ast.Load):
                    self._attribute_stores[item.attr] = self._attribute_stores.get(item.attr, 0) + 1
        found: list[tuple[ast.expr, ast.FunctionDef | ast.AsyncFunctionDef, ast.stmt]] = []
        for method in cls.body:
            if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            arguments = [*method.args.posonlyargs, *method.args.args]
            if not arguments or not _plain_function(method) or method.decorator_list:
                continue  # (a static or class method has no ``self``)
            own = arguments[0].arg
            for statement in _own_statements(method.body):
                target: ast.expr | None = None
                value: ast.expr | None = None
                if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                    target, value = statement.targets[0], statement.value
                elif isinstance(statement, ast.AnnAssign):
                    target, value = statement.target, statement.value
                if (
                    value is not None
                    and isinstance(target, ast.Attribute)
                    and target.attr == attribute
                    and isinstance(target.value, ast.Name)
                    and target.value.id == own
                ):
                    found.append((value, method, statement))
        if not found or len(found) != self._attribute_stores.get(attribute, 0):
            return None
        return found

    # --- what a function of the module returns ------------------------------------------------
    def _returned(self, node: ast.Call, chain: Chain, depth: int, *, awaited: bool = False) -> tuple[Value, ...] | None:
        """``lock_sql()``, ``self.lock_query()``, ``await cls.query()``: the union of what the
        module's function (or the method of the class around the call) returns, when every
        ``return`` gives a string the code shows (``return None`` sends nothing); dynamic when one
        does not, or for a generator. Its parameters are holes. None when the call names no such
        function (then it is read as any other call)."""
        found = self._callee(node.func, chain)
        if found is None:
            return None if awaited else self._returned_elsewhere(node, chain)
        function, function_chain = found
        if isinstance(function, ast.AsyncFunctionDef) is not awaited:
            return self.dynamic(node)  # a coroutine not awaited, or awaiting a plain function
        values = self._returns.get(id(function))
        if values is None:
            if id(function) in self._returning or depth > MAX_DEPTH:  # recursion: not followed
                return self.dynamic(node)
            self._returning.add(id(function))
            try:
                values = self._return_values(function, function_chain, depth)
            finally:
                self._returning.discard(id(function))
            self._returns[id(function)] = values
        through_instance = isinstance(node.func, ast.Attribute)  # (``self.m()``, ``cls.m()``)
        if any(value.conditions for value in values):  # (no condition: nothing for the arguments to choose)
            parameters = self.parameters(function)
            values = tuple(taken_by(values, call_literals(parameters, node, through_instance=through_instance)))
            if chain and chain[-1] is not None and id(chain[-1]) in self._returning:  # returned on by the caller
                given = call_arguments(parameters, node, through_instance=through_instance)
                values = tuple(in_callers_terms(values, parameters, given, function.name))
        if not values:
            return self.dynamic(node)
        via = f"{dotted_name(node.func)}()"
        return tuple(replace(v, via=via) for v in values)

    def parameters(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> Parameters:
        """``function``'s parameters, as ``call_literals`` reads them."""
        arguments = function.args
        positional = [*arguments.posonlyargs, *arguments.args]
        defaulted = list(zip(positional[len(positional) - len(arguments.defaults) :], arguments.defaults, strict=True))
        defaulted += [(a, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if d is not None]
        defaults: dict[str, Literal] = {
            argument.arg: default.value
            for argument, default in defaulted
            if isinstance(default, ast.Constant) and isinstance(default.value, bool | int | str | type(None))
        }
        bindings = self.model.scopes.scope(function).bindings
        names = [argument.arg for argument in [*positional, *arguments.kwonlyargs]]
        fixed = tuple(name for name in names if len(bindings.get(name, [])) == 1)
        decorators = {dotted_name(d.func if isinstance(d, ast.Call) else d) for d in function.decorator_list}
        in_class = any(isinstance(s, ast.ClassDef) and function in s.body for s in self.model.tree.body)
        bound = "" if not in_class or "staticmethod" in decorators else "cls" if "classmethod" in decorators else "self"
        return Parameters(
            tuple(a.arg for a in positional), tuple(a.arg for a in arguments.kwonlyargs), defaults, fixed, bound
        )

    def function_returns(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Value, ...]:
        """What a module-level function or a method of a module-level class returns, as a call of
        it reads (``_returned``); () when that is dynamic."""
        if not _plain_function(function):
            return ()
        values = self._returns.get(id(function))
        if values is None:
            self._returning.add(id(function))
            try:
                values = self._returns[id(function)] = self._return_values(function, (None, function), 0)
            finally:
                self._returning.discard(id(function))
        return values

    def _returned_elsewhere(self, node: ast.Call, chain: Chain) -> tuple[Value, ...] | None:
        """What a function of another project module returns (asked of ``resolve_return``), called
        through this module's imports: ``lock_sql()``, ``queries.lock_sql()``, or a method on a
        parameter annotated with an imported class (``lock: Lock``, ``lock.lock_query()``). Its
        text is placed at the call, as an imported constant is; None for any other call."""
        dotted = dotted_name(node.func)
        if self.resolve_return is None or not dotted:
            return None
        head, *rest = dotted.split(".")
        if dotted.rsplit(".", 1)[-1][:1].isupper():
            return None  # ``CreateTable(...)``, ``Statement(...)``: a class makes an object, not a string
        through_instance = False  # (``lock.lock_query()`` on an annotated parameter: ``self`` is bound)
        if not self.is_imported(head, chain):
            through_instance = True
            function = chain[-1]
            if not rest or not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                return None
            bindings = self.model.scopes.scope(function).bindings.get(head, [])
            annotation = bindings[0].annotation if len(bindings) == 1 and bindings[0].kind == PARAMETER else None
            if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
                written = annotation.value  # ``lock: "Lock"``
            else:
                written = dotted_name(annotation) if annotation is not None else ""
            if not written or not self.is_imported(written.split(".")[0], chain):
                return None
            head, *more = written.split(".")
            rest = [*more, *rest]
        found = self.resolve_return(head, tuple(rest))
        if not found or not found[0]:
            return None
        returned, place, parameters = found
        if parameters is not None and any(conditions for _, conditions in returned):  # the branches it takes
            literals = call_literals(parameters, node, through_instance=through_instance)
            returned = tuple(
                (text, taken[0].conditions)
                for text, conditions in returned
                if (taken := taken_by([Value(Piece(), None, "", conditions)], literals))
            )
            if not returned:
                return self.dynamic(node)
        line = node.lineno
        column = self.model.lines.column(line, node.col_offset) + 1
        end_line = node.end_lineno or line
        end = (end_line, self.model.lines.column(end_line, node.end_col_offset or node.col_offset))
        via = f"{dotted}()"
        return self._bounded(
            [
                Value(Piece(text, [line] * len(text), [column] * len(text)), node, via, conditions, "", end, place)
                for text, conditions in returned
            ],
            node,
        )

    def _callee(self, func: ast.expr, chain: Chain) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, Chain] | None:
        """The def ``func`` calls, with the scopes around its body: a function bound once by a
        ``def`` in the scopes of ``chain`` (``lock_sql``), or a method of the module-level class
        whose method ``chain`` is in (``self.lock_query``, ``cls.query``), not set on an instance."""
        scopes = self.model.scopes
        if isinstance(func, ast.Name):
            for index in range(len(chain) - 1, -1, -1):
                if index and func.id in scopes.scope(chain[index]).globals:
                    index = 0
                bindings = scopes.scope(chain[index]).bindings.get(func.id)
                if bindings:
                    (binding, *others) = bindings
                    if others or not isinstance(binding.node, ast.FunctionDef | ast.AsyncFunctionDef):
                        return None
                    if not _plain_function(binding.node):
                        return None
                    return binding.node, (*chain[: index + 1], binding.node)
            return None
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return None
        if func.value.id not in ("self", "cls"):
            return None
        owner = next(
            (
                statement
                for statement in self.model.tree.body
                if isinstance(statement, ast.ClassDef) and chain[-1] in statement.body
            ),
            None,
        )
        if owner is None:
            return None
        methods = [item for item in owner.body if getattr(item, "name", None) == func.attr]
        if len(methods) != 1 or not isinstance(methods[0], ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        if not _plain_function(methods[0]) or self.model.scopes.attribute_origins(
            f"{func.value.id}.{func.attr}", lambda _: "set"
        ):
            return None  # (a method the module also assigns on an instance may be anything)
        return methods[0], (None, methods[0])

    def _return_values(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, chain: Chain, depth: int
    ) -> tuple[Value, ...]:
        """The values ``function``'s ``return`` statements give; () when one is not a string the
        code shows (or it yields)."""
        found: list[Value] = []
        conditions = _return_conditions(function.body)
        for statement in _own_statements(function.body):
            if _yields(statement):
                return ()
            if not isinstance(statement, ast.Return):
                continue
            if statement.value is None or (isinstance(statement.value, ast.Constant) and statement.value.value is None):
                continue  # ``return None``: no SQL
            values = self.values(statement.value, chain, statement, depth + 1)
            if not all(value.known for value in values):
                return ()
            when = Value(Piece(), None, "", conditions.get(id(statement), ()))
            found.extend(joined for value in values if (joined := _concat(when, value)))  # (a contradiction: never)
        bounded = self._bounded(found, function) if found else ()
        return bounded if all(value.known for value in bounded) else ()

    # --- files read at run time -----------------------------------------------------------------
    def _file_read(self, node: ast.Call, chain: Chain, depth: int) -> tuple[Value, ...] | None:
        """``open(P).read()``, ``Path(P).read_text()``, ``f.read()`` in ``with open(P) as f``,
        ``(resources.files("pkg") / "x.sql").read_text()``, ``resources.read_text("pkg", "x.sql")``,
        where the file ``P`` names is in the project: its text, sent whole (``Value.read_from``);
        every character is placed at the call. None for any other call."""
        func = node.func
        target: Path | None = None
        if isinstance(func, ast.Attribute) and func.attr in ("read", "read_text", "read_bytes") and not node.args:
            opened = func.value
            if isinstance(opened, ast.Name):  # ``with open(P) as f: f.read()``
                found = self.bound_scope(opened.id, chain)
                bindings = found[0] if found else []
                opened = bindings[0].value if len(bindings) == 1 and bindings[0].value is not None else opened
            if func.attr == "read" and isinstance(opened, ast.Call) and self.model.qualify(opened.func) in _OPENERS:
                if opened.args:
                    target = self._path(opened.args[0], chain, depth + 1)
            elif func.attr != "read":
                target = self._path(opened, chain, depth + 1)
        elif self.model.qualify(func) in _RESOURCE_READERS and len(node.args) == 2:
            package = self._package(node.args[0])
            name = node.args[1]
            if package is not None and isinstance(name, ast.Constant) and isinstance(name.value, str):
                target = package / name.value
        else:
            return None
        if target is None:
            return self.dynamic(node)
        try:
            data = read_bytes(target)
        except UnreadableFile:
            return self.dynamic(node)
        text = data.decode("utf-8", errors="replace")
        line = node.lineno
        column = self.model.lines.column(line, node.col_offset) + 1
        piece = Piece(text, [line] * len(text), [column] * len(text))
        return (Value(piece, node, target.name, read_from=str(target)),)

    def path_of(self, node: ast.expr, chain: Chain) -> Path | None:
        """The file or directory a path expression names (see ``_path``), for readers outside."""
        return self._path(node, chain, 0)

    def _path(self, node: ast.expr, chain: Chain, depth: int) -> Path | None:
        """The file a path expression names: a literal (relative to the module's directory),
        ``__file__``-relative (``Path(__file__).parent / "x.sql"``, ``os.path.join(os.path.dirname(
        __file__), "x.sql")``) or ``importlib.resources.files("pkg") / "x.sql"``; None otherwise."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return self.directory / node.value
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return self.directory / Path(self.path).name
            found = self.bound_scope(node.id, chain)
            if found is None or len(found[0]) != 1 or found[0][0].kind not in (ASSIGN, ANNOTATED):
                return None
            value = found[0][0].value
            return self._path(value, found[1], depth + 1) if value is not None else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            base = self._path(node.left, chain, depth + 1)
            if base is None or not (isinstance(node.right, ast.Constant) and isinstance(node.right.value, str)):
                return None
            return base / node.right.value
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            base = self._path(node.value, chain, depth + 1)
            return base.parent if base is not None else None
        if not isinstance(node, ast.Call):
            return None
        qualified = self.model.qualify(node.func)
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        strings = [arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
        if qualified in _PATH_TYPES and len(node.args) == 1:
            return self._path(node.args[0], chain, depth + 1)
        if qualified in ("os.path.dirname", "os.path.abspath", "os.path.realpath") and len(node.args) == 1:
            base = self._path(node.args[0], chain, depth + 1)
            return (base.parent if qualified == "os.path.dirname" else base) if base is not None else None
        if qualified == "os.path.join" and node.args and len(strings) == len(node.args) - 1:
            base = self._path(node.args[0], chain, depth + 1)
            return base.joinpath(*strings) if base is not None else None
        if qualified in _RESOURCE_FILES and len(node.args) == 1:
            return self._package(node.args[0])
        if isinstance(node.func, ast.Attribute) and method in ("resolve", "absolute") and not node.args:
            return self._path(node.func.value, chain, depth + 1)
        if (
            isinstance(node.func, ast.Attribute)
            and method in ("joinpath", "with_name")
            and len(strings) == len(node.args)
        ):
            base = self._path(node.func.value, chain, depth + 1)
            if base is None:
                return None
            return base.joinpath(*strings) if method == "joinpath" else base.with_name(strings[0])
        return None

    def _package(self, node: ast.expr) -> Path | None:
        """The directory of the package ``node`` names (``"app.sql"``), looked for from the module's
        directory up."""
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or not node.value:
            return None
        parts = node.value.split(".")
        for directory in [self.directory, *self.directory.parents]:
            candidate = directory.joinpath(*parts)
            if candidate.is_dir():
                return candidate
        return None

    # --- containers and sequences -------------------------------------------------------------
    def containers(
        self, node: ast.expr, chain: Chain, depth: int
    ) -> list[tuple[ast.expr, Chain, ast.stmt | None]] | None:
        """The dict, list or tuple literals ``node`` may be (a literal, or a name bound only to
        literals in the scope that binds it), each with its scopes and statement; None otherwise."""
        if isinstance(node, ast.Dict | ast.List | ast.Tuple):
            return [(node, chain, None)]
        written = self._dict_call(node, chain)
        if written is not None:
            return [(written, chain, None)]
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Subscript):  # ``QUERIES["pg"]``: the literals nested there
            key = node.slice
            outer = self.containers(node.value, chain, depth + 1)
            if outer is None or not isinstance(key, ast.Constant) or isinstance(key.value, bool):
                return None
            nested: list[tuple[ast.expr, Chain, ast.stmt | None]] = []
            for literal, literal_chain, literal_at in outer:
                entry = _entry_of(literal, key.value)
                inner = self.containers(entry, literal_chain, depth + 1) if entry is not None else None
                if inner is None:
                    return None
                nested.extend((found, where, place or literal_at) for found, where, place in inner)
            return nested or None
        if not isinstance(node, ast.Name):
            return None
        found = self.bound_scope(node.id, chain)
        if found is None:
            return None
        bindings, scope_chain = found
        literals: list[tuple[ast.expr, Chain, ast.stmt | None]] = []
        for binding in bindings:
            statement = binding.node if isinstance(binding.node, ast.stmt) else None
            if binding.kind not in (ASSIGN, ANNOTATED) or binding.value is None:
                return None
            inner = self.containers(binding.value, scope_chain, depth + 1)
            if inner is None:
                return None
            literals.extend(
                (literal, literal_chain, literal_at or statement) for literal, literal_chain, literal_at in inner
            )
        return literals or None

    def _dict_call(self, node: ast.expr, chain: Chain) -> ast.Dict | None:
        """``dict(LOCK="...", PING="...")`` as the dict literal it builds (``dict_call_literal``),
        when ``dict`` is the builtin here; None for any other expression."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"):
            return None
        if self.bound_scope("dict", chain) is not None:  # ``dict`` rebound in the module: not the builtin
            return None
        return dict_call_literal(node)

    def sequences(
        self, node: ast.expr, chain: Chain, at: ast.stmt | None, depth: int
    ) -> list[list[tuple[ast.expr, Chain, ast.stmt | None]]] | None:
        """The element lists ``node`` may be: a list or tuple literal, a name bound to such
        literals (with the elements ``append``/``extend``/``+=`` add in its scope, in source order),
        or a sum of sequences; None when the code does not show them."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.List | ast.Tuple):
            if any(isinstance(element, ast.Starred) for element in node.elts):
                return None
            return [[(element, chain, at) for element in node.elts]]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.sequences(node.left, chain, at, depth + 1)
            right = self.sequences(node.right, chain, at, depth + 1)
            if left is None or right is None or len(left) * len(right) > MAX_VALUES:
                return None
            return [first + second for first in left for second in right]
        if not isinstance(node, ast.Name):
            return None
        found = self.bound_scope(node.id, chain)
        if found is None:
            return None
        bindings, scope_chain = found
        alternatives: list[list[tuple[ast.expr, Chain, ast.stmt | None]]] = []
        for binding in bindings:
            if binding.kind not in (ASSIGN, ANNOTATED) or binding.value is None:
                if binding.kind == AUGMENTED and isinstance(binding.value, ast.List | ast.Tuple):
                    continue  # ``parts += [...]``: added below
                return None
            statement = binding.node if isinstance(binding.node, ast.stmt) else at
            inner = self.sequences(binding.value, scope_chain, statement, depth + 1)
            if inner is None:
                return None
            alternatives.extend(inner)
        added = list(self._additions(node.id, scope_chain))
        if added is None or len(alternatives) > MAX_VALUES:
            return None
        if added:
            alternatives = [[*elements, *added] for elements in alternatives]
        return alternatives or None

    def _additions(self, name: str, chain: Chain) -> Iterator[tuple[ast.expr, Chain, ast.stmt | None]]:
        """The elements ``name.append(x)``, ``name.extend([...])`` and ``name += [...]`` add in
        the scope (its own statements, in source order)."""
        key = chain[-1]
        body = self.model.tree.body if key is None else getattr(key, "body", [])
        for statement in _own_statements(body):
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
                call = statement.value
                target = call.func
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == name
                    and len(call.args) == 1
                ):
                    if target.attr == "append":
                        yield call.args[0], chain, statement
                    elif target.attr == "extend" and isinstance(call.args[0], ast.List | ast.Tuple):
                        yield from ((element, chain, statement) for element in call.args[0].elts)
            elif (
                isinstance(statement, ast.AugAssign)
                and isinstance(statement.target, ast.Name)
                and statement.target.id == name
                and isinstance(statement.value, ast.List | ast.Tuple)
            ):
                yield from ((element, chain, statement) for element in statement.value.elts)

    def bound_scope(self, name: str, chain: Chain) -> tuple[list[Binding], Chain] | None:
        """The bindings of ``name`` in the innermost scope of ``chain`` that binds it, and that
        part of the chain; None when none does (a name declared global: the module's)."""
        scopes = self.model.scopes
        for index in range(len(chain) - 1, -1, -1):
            if index and name in scopes.scope(chain[index]).globals:
                break
            bindings = scopes.sql_names(chain[index]).get(name)
            if bindings:
                return bindings, chain[: index + 1]
        module = scopes.sql_names(None).get(name)
        return (module, (None,)) if module else None

    # --- names ------------------------------------------------------------------------------
    def name(self, name: str, chain: Chain, at: ast.stmt | None, depth: int, node: ast.AST) -> tuple[Value, ...]:
        """The values of ``name`` where the statement ``at`` uses it: the assignments of the scope
        that binds it which reach ``at`` (the whole scope, for a name of an outer scope). Each
        name's flow through its scope is followed once, recording what reaches every statement."""
        if depth > MAX_DEPTH:
            return self.dynamic(node)
        scopes = self.model.scopes
        for index in range(len(chain) - 1, -1, -1):
            key = chain[index]
            if index and name in scopes.scope(key).globals:
                index, key = 0, None
            elif name not in scopes.sql_names(key):
                continue
            kinds = {binding.kind for binding in scopes.sql_names(key).get(name, ())}
            if key is None and kinds and kinds <= _IMPORTS:
                return self._imported(name, node)
            if not kinds or kinds & _UNFOLLOWED:
                return self.dynamic(node)
            memo = (name, id(key))
            flow = self._flows.get(memo)
            if flow is None:
                flow = self._flows[memo] = _Flow(self, name, chain[: index + 1], depth)
                body = self.model.tree.body if key is None else getattr(key, "body", [])
                flow.final = flow.run(body, self.dynamic(node) if PARAMETER in kinds else None)
                flow.done = True
            if index == len(chain) - 1 and at is not None:
                state = flow.before.get(id(at))  # (not there yet: a cycle through this name)
            else:
                state = flow.final if flow.done else None
            if state is None:
                return self.dynamic(node)
            here = self.dynamic(node)[0]  # an unknown value is a hole where the name is used
            return self._bounded(
                [replace(v, via=v.via or name) if v.known else here for v in state],
                node,
            )
        return self._imported(name, node)

    def is_imported(self, name: str, chain: Chain) -> bool:
        """``name`` is, where ``chain`` uses it, only a module-level import."""
        found = self.bound_scope(name, chain)
        if found is None:
            return False
        bindings, scope_chain = found
        return scope_chain == (None,) and {binding.kind for binding in bindings} <= _IMPORTS

    def _imported(self, name: str, node: ast.AST, key: EntryKey | None = None) -> tuple[Value, ...]:
        """A string constant another module of the project binds to ``name`` (or under ``key`` in
        the container it binds), imported here (asked of ``resolve_import``): its text, every
        character placed where this module names it."""
        text = self.resolve_import(name, key) if self.resolve_import is not None else None
        if not text or not isinstance(node, ast.expr):
            return self.dynamic(node)
        line = node.lineno
        column = self.model.lines.column(line, node.col_offset) + 1
        piece = Piece(text, [line] * len(text), [column] * len(text))
        keys = () if key is None else key if isinstance(key, tuple) else (key,)
        via = self.model.imports.get(name, name) + "".join(f"[{part!r}]" for part in keys)
        return (Value(piece, node, via),)


_IMPORTS = frozenset({"import", "relative-import"})  # a module-level name another module's constant may give
# bindings the flow does not follow: the name's value there is unknown
_UNFOLLOWED = frozenset({"relative-import", "star-parameter", WALRUS, EXCEPT, COMPREHENSION})


_PLAIN_DECORATORS = frozenset(
    {"staticmethod", "classmethod", "functools.cache", "functools.lru_cache", "cache", "lru_cache"}
)


def _plain_function(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A def whose call returns what its body does: no decorator but the caching and method kinds."""
    return all(
        dotted_name(decorator.func if isinstance(decorator, ast.Call) else decorator) in _PLAIN_DECORATORS
        for decorator in function.decorator_list
    )


def _yields(statement: ast.stmt) -> bool:
    """Whether ``statement`` itself (not a def, class or lambda inside it) holds a ``yield``."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return False
    stack: list[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Yield | ast.YieldFrom):
            return True
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda | ast.stmt):
                stack.append(child)
    return False


def dict_call_literal(call: ast.Call) -> ast.Dict | None:
    """The dict literal a call of ``dict`` with keyword arguments only (``dict(LOCK="...")``) or a
    dict literal and keywords (``dict({"a": ...}, b=...)``) builds: its keys as constants, its values
    the arguments themselves; None when a ``**other`` or another positional argument may add any key."""
    if len(call.args) > 1 or any(keyword.arg is None for keyword in call.keywords):
        return None
    literal = call.args[0] if call.args else ast.Dict(keys=[], values=[])
    if not isinstance(literal, ast.Dict) or any(key is None for key in literal.keys):
        return None
    keys: list[ast.expr | None] = [*literal.keys]
    values = [*literal.values]
    for keyword in call.keywords:
        keys.append(ast.Constant(keyword.arg))
        values.append(keyword.value)
    return ast.Dict(keys=keys, values=values)


def _entry_of(literal: ast.expr, key: object) -> ast.expr | None:
    """The value under the constant ``key`` of a dict, list or tuple literal; None when it has none."""
    entry: ast.expr | None = None
    if isinstance(literal, ast.Dict):
        for dict_key, dict_value in zip(literal.keys, literal.values, strict=True):
            if isinstance(dict_key, ast.Constant) and dict_key.value == key:
                entry = dict_value
    elif (
        isinstance(literal, ast.List | ast.Tuple)
        and isinstance(key, int)
        and not isinstance(key, bool)
        and -len(literal.elts) <= key < len(literal.elts)
        and not any(isinstance(element, ast.Starred) for element in literal.elts)
    ):
        entry = literal.elts[key]
    return entry


def _merge(conditions: tuple[Condition, ...], value: Value) -> tuple[Condition, ...]:
    merged = value.conditions
    for condition in conditions:
        if condition not in merged:
            merged = (*merged, condition)
    return merged


def _slice(piece: Piece, start: int, end: int) -> Piece:
    return Piece(piece.text[start:end], piece.lines[start:end], piece.columns[start:end])


_BLOCKS = ("body", "orelse", "handlers", "finalbody", "cases")


def _return_conditions(body: list[ast.stmt]) -> dict[int, tuple[Condition, ...]]:
    """``id`` of each ``return`` of a def's body -> the ``if`` tests that decide it is reached:
    inside ``if xact:`` it needs ``xact`` true; after an ``if xact:`` whose block always returns
    (or raises), ``xact`` false. Loops, ``with`` and ``try`` blocks add nothing; a test longer than
    ``MAX_CONDITION_TEXT`` is not quoted (so not known)."""
    found: dict[int, tuple[Condition, ...]] = {}

    def walk(statements: list[ast.stmt], conditions: tuple[Condition, ...]) -> None:
        for statement in statements:
            if isinstance(statement, ast.Return):
                found[id(statement)] = conditions
            elif isinstance(statement, ast.If):
                tested, truth = statement.test, True
                while isinstance(tested, ast.UnaryOp) and isinstance(tested.op, ast.Not):  # ``if not x``: x false
                    tested, truth = tested.operand, not truth
                test = ast.unparse(tested)
                known = len(test) <= MAX_CONDITION_TEXT
                taken = (*conditions, (test, truth)) if known else conditions
                skipped = (*conditions, (test, not truth)) if known else conditions
                walk(statement.body, taken)
                walk(statement.orelse, skipped)
                if known and _always_leaves(statement.body) and not _always_leaves(statement.orelse):
                    conditions = skipped
                elif known and _always_leaves(statement.orelse) and not _always_leaves(statement.body):
                    conditions = taken
            elif not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                for name in _BLOCKS:
                    for child in getattr(statement, name, None) or []:
                        walk(
                            child.body if isinstance(child, ast.ExceptHandler | ast.match_case) else [child], conditions
                        )

    walk(body, ())
    return found


def _always_leaves(block: list[ast.stmt]) -> bool:
    """Whether a block ends in a ``return`` or ``raise`` on every path (an ``if`` whose branches both do)."""
    if not block:
        return False
    last = block[-1]
    if isinstance(last, ast.Return | ast.Raise):
        return True
    return isinstance(last, ast.If) and _always_leaves(last.body) and _always_leaves(last.orelse)


def _own_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a scope's body in source order, nested blocks included, nested defs
    and classes not entered."""
    stack = list(reversed(body))
    while stack:
        statement = stack.pop()
        yield statement
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        children: list[ast.stmt] = []
        for name in _BLOCKS:
            for child in getattr(statement, name, None) or []:
                children.extend(child.body if isinstance(child, ast.ExceptHandler | ast.match_case) else [child])
        stack.extend(reversed(children))


class _Flow:
    """The values of one name along the statements of its scope: ``before`` holds what reaches
    each statement (by ``id``), ``final`` what is left at the end."""

    def __init__(self, reader: ValueReader, name: str, chain: Chain, depth: int) -> None:
        self.reader = reader
        self.name = name
        self.chain = chain
        self.depth = depth
        self.before: dict[int, tuple[Value, ...] | None] = {}
        self.final: tuple[Value, ...] | None = None
        self.done = False

    def _values(self, node: ast.expr, at: ast.stmt) -> tuple[Value, ...]:
        return self.reader.values(node, self.chain, at, self.depth + 1)

    def _union(self, *states: tuple[Value, ...] | None) -> tuple[Value, ...] | None:
        known = [state for state in states if state is not None]
        if not known:
            return None
        if all(state is known[0] for state in known):
            return known[0]  # nothing changed on any path
        return self.reader._bounded([value for state in known for value in state], ast.Pass(lineno=1, col_offset=0))

    def run(self, body: Sequence[ast.stmt], state: tuple[Value, ...] | None) -> tuple[Value, ...] | None:
        """The state after ``body``, recording the state before each of its statements."""
        for statement in body:
            self.before[id(statement)] = state
            state = self._after(statement, state)
        return state

    def _loop(self, body: Sequence[ast.stmt], start: tuple[Value, ...] | None) -> tuple[Value, ...] | None:
        """A loop body: run once, and again from what the first time left when it changed the name."""
        once = self.run(body, start)
        if once is not start:
            once = self.run(body, self._union(start, once))
        return once

    def _loop_target(
        self, statement: ast.For | ast.AsyncFor, state: tuple[Value, ...] | None
    ) -> tuple[Value, ...] | None:
        if not (isinstance(statement.target, ast.Name) and statement.target.id == self.name):
            return state if not _binds(statement.target, self.name) else self.reader.dynamic(statement)
        sequences = self.reader.sequences(statement.iter, self.chain, statement, self.depth + 1)
        if sequences is None:
            return self.reader.dynamic(statement)
        elements = [self._values(element, at or statement) for elements in sequences for element, _, at in elements]
        return self._union(*elements) or self.reader.dynamic(statement)

    def _after(self, statement: ast.stmt, state: tuple[Value, ...] | None) -> tuple[Value, ...] | None:
        name = self.name
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    state = self._values(statement.value, statement)
                elif _binds(target, name):
                    state = self._unpacked(target, statement.value, statement)
            return state
        if isinstance(statement, ast.AnnAssign):
            if isinstance(statement.target, ast.Name) and statement.target.id == name and statement.value is not None:
                return self._values(statement.value, statement)
            return state
        if isinstance(statement, ast.AugAssign):
            if isinstance(statement.target, ast.Name) and statement.target.id == name:
                if not isinstance(statement.op, ast.Add) or state is None:
                    return self.reader.dynamic(statement)
                added = self._values(statement.value, statement)
                return self.reader._product([state, added], statement)
            return state
        if isinstance(statement, ast.If):
            taken = self.run(statement.body, state)
            return self._union(self.run(statement.orelse, state), taken)  # the branch not taken first
        if isinstance(statement, ast.For | ast.AsyncFor | ast.While):
            start = self._loop_target(statement, state) if isinstance(statement, ast.For | ast.AsyncFor) else state
            return self.run(statement.orelse, self._union(state, self._loop(statement.body, start)))
        if isinstance(statement, ast.With | ast.AsyncWith):
            for item in statement.items:
                if item.optional_vars is not None and _binds(item.optional_vars, name):
                    state = self.reader.dynamic(statement)
            return self.run(statement.body, state)
        if isinstance(statement, ast.Try | getattr(ast, "TryStar", ast.Try)):
            tried = self.run(statement.body, state)
            handled = [self.run(handler.body, self._union(state, tried)) for handler in statement.handlers]
            otherwise = self.run(statement.orelse, tried)
            return self.run(statement.finalbody, self._union(otherwise, *handled))
        if isinstance(statement, ast.Match):
            cases = [self.run(case.body, state) for case in statement.cases]
            return self._union(state, *cases)
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            return self.reader.dynamic(statement) if statement.name == name else state
        if isinstance(statement, ast.ClassDef):
            if statement.name == name:
                return self.reader.dynamic(statement)
            return self.run(statement.body, state)  # a class body binds in its scope (as before)
        if isinstance(statement, ast.Import | ast.ImportFrom):
            for alias in statement.names:
                if (alias.asname or alias.name.split(".")[0]) == name:
                    return self.reader.dynamic(statement)
            return state
        if isinstance(statement, ast.Delete):
            return None if any(isinstance(t, ast.Name) and t.id == name for t in statement.targets) else state
        return state

    def _unpacked(self, target: ast.expr, value: ast.expr, statement: ast.stmt) -> tuple[Value, ...]:
        """``a, b = "x", "y"``: the element at the name's place, when both sides line up."""
        if (
            isinstance(target, ast.Tuple | ast.List)
            and isinstance(value, ast.Tuple | ast.List)
            and len(target.elts) == len(value.elts)
            and not any(isinstance(element, ast.Starred) for element in target.elts)
        ):
            for element, part in zip(target.elts, value.elts, strict=True):
                if isinstance(element, ast.Name) and element.id == self.name:
                    return self._values(part, statement)
                if _binds(element, self.name):
                    return self._unpacked(element, part, statement)
        return self.reader.dynamic(statement)


def _binds(target: ast.AST, name: str) -> bool:
    return any(isinstance(node, ast.Name) and node.id == name for node in ast.walk(target))


def merge_alternatives(results: Sequence[tuple[Fragment, list[Finding]]]) -> list[Finding]:
    """The findings of fragments that are possible values of one argument (one ``group``), each
    place and rule once: the first value's finding, saying when it happens (the conditions all
    the values that produce it share) unless every value of the argument produces it."""
    findings: list[Finding] = []
    groups: dict[int, list[Fragment]] = {}
    produced: dict[tuple[int, str, int, int], tuple[Finding, list[Fragment]]] = {}
    for fragment, found in results:
        if not fragment.group:
            findings.extend(found)
            continue
        groups.setdefault(fragment.group, []).append(fragment)
        for finding in found:
            key = (fragment.group, finding.code, finding.line, finding.column)
            kept = produced.get(key)
            if kept is None:
                produced[key] = (finding, [fragment])
            elif _taken(fragment) < _taken(kept[1][0]):  # the plainest value's finding speaks for all
                produced[key] = (finding, [fragment, *kept[1]])
            else:
                kept[1].append(fragment)
    for (group, *_), (finding, fragments) in produced.items():
        common = [
            condition for condition in fragments[0].conditions if all(condition in f.conditions for f in fragments)
        ]
        if common and len(fragments) < len(groups[group]):
            finding = replace(finding, message=f"{finding.message} ({describe(common)})")
        findings.append(finding)
    return findings


def _taken(fragment: Fragment) -> int:
    """How many of a value's conditions are true: the value with fewest is the plainest (a flag's
    default is usually false), the one whose finding speaks for the others."""
    return sum(truth for _, truth in fragment.conditions)
