"""The matcher vocabulary: each kind of trigger the engine can recognise, implemented once.

A rule's ``[match]`` table names one kind and configures it:

- ``statement``: the statement's leading tokens match one of ``patterns`` (see pinlint.patterns),
  none of the ``unless`` patterns occurs anywhere in it, and each ``captures.<name>``
  constraint holds. A pattern may add a ``tree`` condition: when sqlglot reads the statement
  (not as an opaque Command), its tree must contain that node with those arguments.
- ``function-call``: a call of one of ``functions`` (unqualified or qualified with one of
  ``schemas``) in a statement that runs it (``statements``), unless the argument named by
  ``safe-argument`` is one of its safe literals; ``replacements`` names a function's fix.
- ``statement-size``: the statement's text is larger than ``max-bytes`` (holes count as zero).
- ``connect-option`` (Python): a call to one of ``functions`` passes a startup option whose
  text matches ``value-regex`` through ``keywords``, a ``connect_args`` dict, or a DSN string.
- ``token``: a token of one of ``token-kinds`` (``uservar``, ``sysvar``, ``exec-comment``, ``word``),
  optionally one of ``values`` and none of ``unless-values``, anywhere in a statement whose
  leading word is not in ``not-statements``; ``first-only`` reports one per statement.
- ``set-assignment`` (MySQL): each assignment of a ``SET`` statement, classified by scope
  (``user``, ``session``, ``local``, ``next-transaction``, ``global``, ``persist``) and variable
  name; fires for the ``scopes`` listed, with ``variables.in`` / ``variables.not-in`` filters.
- ``statement-count``: a string passed to one execute call holds more than ``max-statements``.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from pinlint.facts import DYNAMIC, Argument, CallFact, CallHit, ModuleCalls
from pinlint.facts import Call as ModuleCall
from pinlint.model import HOLE, Fragment
from pinlint.patterns import Element, PatternError, compile_pattern, match_at, search
from pinlint.project import ProjectCondition
from pinlint.sql.lexer import EXEC, IDENT, OP, POSTGRES, STRING, SYSVAR, USERVAR, WORD, Token
from pinlint.sql.statements import Statement

QUERY_STATEMENTS = ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "VALUES", "MERGE", "CALL", "EXPLAIN", "TABLE")


@dataclass
class Hit:
    """Where a matcher fired: offsets in the fragment text, and named parts for the message."""

    start: int
    end: int
    captures: dict[str, str] = field(default_factory=dict)
    fragment: Fragment | None = None  # set by Python-level matchers


class Matcher(Protocol):
    level: str  # "sql" (statements), "python" (calls with their arguments) or "handler" (module facts)

    def match(self, statement: Statement, text: str) -> Iterator[Hit]: ...

    def match_call(self, call: CallFact) -> Iterator[Hit]: ...


def _string_list(spec: dict[str, Any], key: str, default: list[str] | None = None) -> list[str]:
    value = spec.get(key, default)
    if value is None:
        raise ValueError(f"match: missing `{key}`")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"match: `{key}` must be a list of strings")
    return value


def _leading_word(statement: Statement) -> str:
    for token in statement.tokens:
        if token.kind == WORD:
            return token.value
        if not (token.kind == OP and token.value == "("):
            return ""
    return ""


_sqlglot_logger_quiet = False


@lru_cache(maxsize=4096)
def parse_tree(sql: str, dialect: str = POSTGRES) -> Any:
    """The sqlglot tree of one statement, or None when sqlglot cannot parse it."""
    global _sqlglot_logger_quiet
    import sqlglot
    from sqlglot.errors import ErrorLevel, SqlglotError

    if not _sqlglot_logger_quiet:
        logging.getLogger("sqlglot").setLevel(logging.CRITICAL)
        _sqlglot_logger_quiet = True
    try:
        trees = sqlglot.parse(sql.replace(HOLE, "pinlint_hole"), read=dialect, error_level=ErrorLevel.RAISE)
    except (SqlglotError, RecursionError, ValueError):
        return None
    return trees[0] if len(trees) == 1 else None


@dataclass(frozen=True)
class StatementPattern:
    tokens: tuple[Element, ...]
    tree_node: str = ""
    tree_args: tuple[tuple[str, Any], ...] = ()


@dataclass
class StatementMatcher:
    patterns: list[StatementPattern]
    unless: list[tuple[Element, ...]]
    captures: dict[str, dict[str, set[str]]]
    level: str = "sql"

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> StatementMatcher:
        captures: dict[str, dict[str, set[str]]] = {}
        for name, constraint in spec.get("captures", {}).items():
            captures[name] = {
                key: {word.upper() for word in _string_list(constraint, key)}
                for key in ("in", "not-in")
                if key in constraint
            }
        patterns = []
        for entry in spec.get("patterns", []):
            if isinstance(entry, str):
                patterns.append(StatementPattern(compile_pattern(entry)))
            elif isinstance(entry, dict) and isinstance(entry.get("tokens"), str):
                tree = entry.get("tree", {})
                node = tree.get("node", "")
                # The node name is checked against sqlglot by the test suite, not here: importing
                # sqlglot costs a tenth of a second that most runs never need.
                args = tuple(sorted(tree.get("args", {}).items()))
                patterns.append(StatementPattern(compile_pattern(entry["tokens"]), node, args))
            else:
                raise ValueError("match: each pattern is a string or a table with `tokens` (and `tree`)")
        if not patterns:
            raise ValueError("match: `patterns` must list at least one pattern")
        return cls(
            patterns=patterns,
            unless=[compile_pattern(source) for source in _string_list(spec, "unless", [])],
            captures=captures,
        )

    def _captures_hold(self, values: dict[str, str]) -> bool:
        for name, constraint in self.captures.items():
            if name not in values:
                continue  # the pattern that matched does not capture this name
            value = values[name].upper()
            if "in" in constraint and value not in constraint["in"]:
                return False
            if "not-in" in constraint and value in constraint["not-in"]:
                return False
        return True

    @staticmethod
    def _tree_holds(pattern: StatementPattern, statement: Statement, text: str) -> bool:
        """The AST second opinion: the tree must have the node, unless sqlglot cannot read it."""
        if not pattern.tree_node:
            return True
        tree = parse_tree(text[statement.start : statement.end].rstrip().rstrip(";"), statement.dialect)
        from sqlglot import exp

        if tree is None or isinstance(tree, exp.Command):
            return True  # sqlglot cannot read it: the keyword-level match stands
        node_class = getattr(exp, pattern.tree_node, None)
        if not isinstance(node_class, type):
            return True  # unknown to this sqlglot: the keyword-level match stands
        for node in tree.find_all(node_class):
            if all(node.args.get(key) == value for key, value in pattern.tree_args):
                return True
        return False

    def match(self, statement: Statement, text: str) -> Iterator[Hit]:
        tokens = statement.tokens
        for pattern in self.patterns:
            found = match_at(pattern.tokens, tokens)
            if found is None:
                continue
            if any(search(other, tokens) for other in self.unless):
                return
            values = {name: _token_text(tokens, text, start, end) for name, (start, end) in found.captures.items()}
            if not self._captures_hold(values) or not self._tree_holds(pattern, statement, text):
                continue
            yield Hit(tokens[found.start].start, tokens[found.end - 1].end, values)
            return

    def match_call(self, call: CallFact) -> Iterator[Hit]:
        return iter(())


def _token_text(tokens: list[Token], text: str, start: int, end: int) -> str:
    if start >= end:
        return ""
    return text[tokens[start].start : tokens[end - 1].end]


def _arguments(tokens: list[Token], open_index: int) -> tuple[list[list[Token]], int]:
    """Split the arguments of a call whose ``(`` is at ``open_index``; return them and the ``)`` index."""
    arguments: list[list[Token]] = [[]]
    depth = 0
    index = open_index
    while index < len(tokens):
        token = tokens[index]
        if token.kind == OP and token.value in ("(", "["):
            depth += 1
            if depth > 1:
                arguments[-1].append(token)
        elif token.kind == OP and token.value in (")", "]"):
            depth -= 1
            if depth == 0:
                return arguments, index
            arguments[-1].append(token)
        elif token.kind == OP and token.value == "," and depth == 1:
            arguments.append([])
        else:
            arguments[-1].append(token)
        index += 1
    return arguments, len(tokens) - 1


@dataclass
class FunctionCallMatcher:
    functions: set[str]
    schemas: set[str]
    statements: set[str]
    safe_position: int = 0
    safe_literals: set[str] = field(default_factory=set)
    replacements: dict[str, str] = field(default_factory=dict)
    level: str = "sql"

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> FunctionCallMatcher:
        safe = spec.get("safe-argument", {})
        return cls(
            functions={name.upper() for name in _string_list(spec, "functions")},
            schemas={name.upper() for name in _string_list(spec, "schemas", ["pg_catalog"])},
            statements={name.upper() for name in _string_list(spec, "statements", list(QUERY_STATEMENTS))},
            safe_position=int(safe.get("position", 0)),
            safe_literals={literal.upper() for literal in safe.get("literals", [])},
            replacements={name.upper(): value for name, value in spec.get("replacements", {}).items()},
        )

    def _is_safe(self, arguments: list[list[Token]]) -> bool:
        if not self.safe_position or len(arguments) < self.safe_position:
            return False
        argument = arguments[self.safe_position - 1]
        if len(argument) >= 3 and argument[-2].kind == OP and argument[-2].value == "::":
            argument = argument[:-2]
        if len(argument) != 1 or argument[0].kind not in (WORD, STRING):
            return False
        return argument[0].value.upper() in self.safe_literals

    def match(self, statement: Statement, text: str) -> Iterator[Hit]:
        if _leading_word(statement) not in self.statements:
            return
        tokens = statement.tokens
        for index, token in enumerate(tokens[:-1]):
            name = token.value.upper() if token.kind in (WORD, IDENT) else ""
            if name not in self.functions:
                continue
            following = tokens[index + 1]
            if not (following.kind == OP and following.value == "("):
                continue
            start = token.start
            if index and tokens[index - 1].kind == OP and tokens[index - 1].value == ".":
                schema = tokens[index - 2] if index >= 2 else None
                if schema is None or schema.value.upper() not in self.schemas:
                    continue
                start = schema.start
            arguments, close = _arguments(tokens, index + 1)
            if self._is_safe(arguments):
                continue
            captures = {"function": text[token.start : token.end]}
            if name in self.replacements:
                captures["replacement"] = self.replacements[name]
            yield Hit(start, tokens[close].end, captures)

    def match_call(self, call: CallFact) -> Iterator[Hit]:
        return iter(())


@dataclass
class StatementSizeMatcher:
    max_bytes: int
    level: str = "sql"

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> StatementSizeMatcher:
        return cls(max_bytes=int(spec.get("max-bytes", 16384)))

    def match(self, statement: Statement, text: str) -> Iterator[Hit]:
        body = text[statement.start : statement.end]
        if len(body) <= self.max_bytes // 4:
            return  # fewer characters than a quarter of the limit cannot reach it in UTF-8
        size = len(body.replace(HOLE, "").encode("utf-8"))
        if size > self.max_bytes:
            first = statement.tokens[0]
            yield Hit(first.start, first.end, {"bytes": f"{size:,}", "kib": f"{size / 1024:.1f}"})

    def match_call(self, call: CallFact) -> Iterator[Hit]:
        return iter(())


@dataclass
class ConnectOptionMatcher:
    functions: set[str]
    keywords: list[str]
    dict_keywords: list[str]
    value_regex: re.Pattern[str]
    dsn_regex: re.Pattern[str]
    level: str = "python"

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> ConnectOptionMatcher:
        return cls(
            functions=set(_string_list(spec, "functions")),
            keywords=_string_list(spec, "keywords", ["options"]),
            dict_keywords=_string_list(spec, "dict-keywords", ["connect_args"]),
            value_regex=re.compile(spec.get("value-regex", r"(?:^|\s)(?:-c\s*|--)[A-Za-z_]")),
            dsn_regex=re.compile(spec.get("dsn-regex", r"options=['\"]?(?:-c|--|%2[Dd]c)")),
        )

    @property
    def needle(self) -> str:
        """A regex a file must match for this matcher to fire: one of its option keywords given
        as ``keyword=`` (a keyword argument, a DSN field; not ``obj.keyword =``) or as a
        ``"keyword":`` dict key."""
        words = "|".join(re.escape(keyword) for keyword in self.keywords)
        return rf"(?<![\w.])(?:{words})\s*=(?!=)|[\"'](?:{words})[\"']\s*:"

    def match(self, statement: Statement, text: str) -> Iterator[Hit]:
        return iter(())

    def match_call(self, call: CallFact) -> Iterator[Hit]:
        if call.name.rsplit(".", 1)[-1] not in self.functions and call.name not in self.functions:
            return
        for keyword in self.keywords:
            value = call.keywords.get(keyword)
            if value is not None:
                found = self.value_regex.search(value.text)
                if found:
                    yield Hit(found.start(), len(value.text), {"option": value.text.strip()}, value)
        for keyword in self.dict_keywords:
            for key in self.keywords:
                value = call.dict_keywords.get(keyword, {}).get(key)
                if value is not None:
                    found = self.value_regex.search(value.text)
                    if found:
                        yield Hit(found.start(), len(value.text), {"option": value.text.strip()}, value)
        for value in [*call.positional, *call.keywords.values()]:
            found = self.dsn_regex.search(value.text)
            if found:
                yield Hit(found.start(), found.end(), {"option": found.group()}, value)


@dataclass
class ConnectionInHandlerMatcher:
    """Connection factories that run on every invocation of a Lambda handler (see extract/handlers)."""

    factories: frozenset[str]
    cache_decorators: frozenset[str]
    level: str = "handler"

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> ConnectionInHandlerMatcher:
        return cls(
            factories=frozenset(_string_list(spec, "factories")),
            cache_decorators=frozenset(
                _string_list(spec, "cache-decorators", ["functools.cache", "functools.lru_cache"])
            ),
        )

    @property
    def call_names(self) -> frozenset[str]:
        """The names a file must call for this matcher to find anything (for the prefilter)."""
        return frozenset(name.rsplit(".", 1)[-1] for name in self.factories)

    @property
    def gated_call_names(self) -> dict[frozenset[str], frozenset[str]]:
        """The factories by package: a qualified factory counts only where its package is imported."""
        groups: dict[frozenset[str], set[str]] = {}
        for name in self.factories:
            groups.setdefault(frozenset({name.split(".", 1)[0]}), set()).add(name.rsplit(".", 1)[-1])
        return {libraries: frozenset(names) for libraries, names in groups.items()}

    def match(self, statement: Statement, text: str) -> Iterator[Hit]:
        return iter(())

    def match_call(self, call: CallFact) -> Iterator[Hit]:
        return iter(())


@dataclass(frozen=True)
class ArgumentCondition:
    """One test on one argument of a call; see the ``call-arguments`` matcher."""

    keyword: str
    position: int | None = None  # the same argument given positionally (0-based)
    inside: tuple[str, ...] = ()  # also look in these dict keywords: kwargs={"keyword": ...}
    flag_values: frozenset[str] = frozenset()  # present with one of these literals
    safe_values: frozenset[str] = frozenset()  # present with a literal that is none of these
    flag_if_missing: bool = False
    any_value: bool = False  # present with any literal but None
    present: bool = False  # present at all, whatever its value (also one computed at run time)
    greater_than: float | None = None
    default: float | None = None  # the library's default, for greater-than when absent
    only: frozenset[str] = frozenset()  # the condition applies to these functions only
    matches: re.Pattern[str] | None = None  # a string (or an f-string's leading text) matching this

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> ArgumentCondition:
        if not isinstance(spec.get("keyword"), str):
            raise ValueError("match: each `when` needs a `keyword`")
        known = {
            "keyword",
            "position",
            "inside",
            "flag",
            "safe",
            "flag-if-missing",
            "any-value",
            "present",
            "greater-than",
            "default",
            "only",
            "matches",
        }
        unknown = set(spec) - known
        if unknown:
            raise ValueError(f"match: unknown `when` key(s) {', '.join(sorted(unknown))}")
        return cls(
            keyword=spec["keyword"],
            position=spec.get("position"),
            inside=tuple(_string_list(spec, "inside", [])),
            flag_values=frozenset(_string_list(spec, "flag", [])),
            safe_values=frozenset(_string_list(spec, "safe", [])),
            flag_if_missing=bool(spec.get("flag-if-missing", False)),
            any_value=bool(spec.get("any-value", False)),
            present=bool(spec.get("present", False)),
            greater_than=spec.get("greater-than"),
            default=spec.get("default"),
            only=frozenset(_string_list(spec, "only", [])),
            matches=re.compile(spec["matches"]) if isinstance(spec.get("matches"), str) else None,
        )

    def _find(self, call: ModuleCall) -> Argument | None:
        if self.keyword in call.keywords:
            return call.keywords[self.keyword]
        if self.position is not None and len(call.positional) > self.position:
            return call.positional[self.position]
        unknown = Argument(DYNAMIC, call.line, call.column, call.end_line, call.end_column)
        for container in self.inside:
            if container in call.keywords and container not in call.dict_keywords:
                return unknown  # kwargs=options: built at run time
            found = call.dict_keywords.get(container, {}).get(self.keyword)
            if found is not None:
                return found
        if call.star_kwargs:
            return unknown  # f(**options) may set it
        return None

    def check(self, call: ModuleCall) -> tuple[Argument | None, str] | None:
        """(the offending argument or None when it is missing, its value) or None when fine."""
        if self.only and call.name not in self.only:
            return None
        argument = self._find(call)
        if argument is None:
            if self.flag_if_missing:
                return None, "not set"
            if self.greater_than is not None and self.default is not None and self.default > self.greater_than:
                return None, f"{self.default:g} by default"
            return None
        value = argument.value
        if self.present:
            return argument, value
        if self.matches is not None:
            found = self.matches.search(argument.text)
            return (argument, found.group()) if found else None
        if value == DYNAMIC:
            return None  # computed at run time: pinlint cannot tell
        if value in self.flag_values:
            return argument, value
        if self.safe_values and value not in self.safe_values:
            return argument, value
        if self.any_value and value != "None":
            return argument, value
        if self.greater_than is not None:
            try:
                if float(value) > self.greater_than:
                    return argument, value
            except ValueError:
                return None
        return None


@dataclass
class CallArgumentsMatcher:
    """Calls of library functions (or methods, in modules importing a library) whose arguments
    set, or fail to set, an option: ``prepare_threshold=None``, ``withhold=True``, ``max_size=10``."""

    functions: frozenset[str]
    methods: frozenset[str]
    imports: frozenset[str]
    handler_module: bool
    conditions: tuple[ArgumentCondition, ...]
    unless: tuple[ArgumentCondition, ...] = ()
    require: tuple[ArgumentCondition, ...] = ()  # every one must hold for the call to be judged
    module_scope: bool = False  # only calls that run at import time, outside any function
    receivers: frozenset[str] = frozenset()  # a method counts only on an object made by one of these
    within: frozenset[str] = frozenset()  # only inside one of these context managers or decorated functions
    unless_within: frozenset[str] = frozenset()  # not inside these context managers or decorated functions
    unless_project: ProjectCondition | None = None  # a project-wide setting that settles every finding
    unless_source: re.Pattern[str] | None = None  # a module whose text matches this is left alone
    level: str = "module"

    @property
    def traces_receivers(self) -> bool:
        return bool(self.receivers or self.within or self.unless_within)

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> CallArgumentsMatcher:
        functions = frozenset(_string_list(spec, "functions", []))
        methods = frozenset(_string_list(spec, "methods", []))
        if not functions and not methods:
            raise ValueError("match: call-arguments needs `functions` or `methods`")
        tables: dict[str, list[dict[str, Any]]] = {}
        for key in ("when", "unless", "require"):
            items = spec.get(key, [])
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise ValueError(f"match: `{key}` must be an array of tables ([[match.{key}]])")
            tables[key] = items
        return cls(
            functions=functions,
            methods=methods,
            imports=frozenset(_string_list(spec, "imports", [])),
            handler_module=bool(spec.get("handler-module", False)),
            module_scope=spec.get("scope", "any") == "module",
            conditions=tuple(ArgumentCondition.from_spec(item) for item in tables["when"]),
            unless=tuple(ArgumentCondition.from_spec(item) for item in tables["unless"]),
            require=tuple(ArgumentCondition.from_spec(item) for item in tables["require"]),
            receivers=frozenset(_string_list(spec, "receivers", [])),
            within=frozenset(_string_list(spec, "within", [])),
            unless_within=frozenset(_string_list(spec, "unless-within", [])),
            unless_project=ProjectCondition.from_spec(spec["unless-project"]) if "unless-project" in spec else None,
            unless_source=re.compile(spec["unless-source"]) if isinstance(spec.get("unless-source"), str) else None,
        )

    @property
    def call_names(self) -> frozenset[str]:
        return frozenset(name.rsplit(".", 1)[-1] for name in self.functions) | self.methods

    @property
    def gated_call_names(self) -> dict[frozenset[str], frozenset[str]]:
        """For the prefilter: the call names, by the libraries a file must name for them to count
        (a function's own package, which its qualified name needs imported; a method's ``imports``);
        the empty set for methods of any module."""
        groups: dict[frozenset[str], set[str]] = {}
        for name in self.functions:
            groups.setdefault(frozenset({name.split(".", 1)[0]}), set()).add(name.rsplit(".", 1)[-1])
        if self.methods:
            groups.setdefault(self.imports, set()).update(self.methods)
        return {libraries: frozenset(names) for libraries, names in groups.items()}

    def _known_receiver(self, origins: frozenset[str]) -> bool:
        """An origin is one of ``receivers``; an entry ``.name`` stands for any call or attribute
        that ends in ``name`` (``.objects`` matches ``shop.models.Order.objects``)."""
        return any(origin in self.receivers or f".{origin.rpartition('.')[2]}" in self.receivers for origin in origins)

    def match_module(self, calls: ModuleCalls, defines_handler: bool, source: str = "") -> Iterator[CallHit]:
        if self.handler_module and not defines_handler:
            return
        if self.unless_source is not None and self.unless_source.search(source):
            return
        methods_apply = bool(self.methods) and (not self.imports or bool(self.imports & calls.imports))
        for call in calls.calls:
            if self.module_scope and call.in_function:
                continue
            if call.name in self.functions:
                shown = call.name
            elif (
                methods_apply
                and call.method in self.methods
                and (not self.receivers or self._known_receiver(call.receiver_origins))
            ):
                shown = call.display
            else:
                continue
            if (self.within and not self.within & call.within) or self.unless_within & call.within:
                continue
            if any(condition.check(call) is None for condition in self.require):
                continue
            if any(condition.check(call) is not None for condition in self.unless):
                continue
            if not self.conditions:
                yield CallHit(call, None, {"function": shown, "keyword": "", "value": ""})
                continue
            for condition in self.conditions:
                found = condition.check(call)
                if found is not None:
                    argument, value = found
                    captures = {"function": shown, "keyword": condition.keyword, "value": value}
                    yield CallHit(call, argument, captures)
                    break

    def match(self, statement: Statement, text: str) -> Iterator[Hit]:
        return iter(())

    def match_call(self, call: CallFact) -> Iterator[Hit]:
        return iter(())


@dataclass
class SettingsMatcher:
    """Entries of settings structures: ``DATABASES[*]["OPTIONS"]["assume_role"]`` in a settings
    module, ``os.environ["PGOPTIONS"]``. A path element ``*`` matches any key."""

    paths: tuple[tuple[str, ...], ...]
    value_regex: re.Pattern[str] | None
    skip_values: frozenset[str]
    level: str = "module"

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> SettingsMatcher:
        paths = spec.get("paths")
        if not isinstance(paths, list) or not paths or not all(_is_string_list(path) for path in paths):
            raise ValueError("match: `paths` must be a list of key paths (lists of strings)")
        regex = spec.get("value-regex")
        return cls(
            paths=tuple(tuple(path) for path in paths),
            value_regex=re.compile(regex) if isinstance(regex, str) else None,
            skip_values=frozenset(_string_list(spec, "skip-values", ["None", "''", "False"])),
        )

    @property
    def call_names(self) -> frozenset[str]:
        return frozenset()

    @property
    def needles(self) -> frozenset[tuple[str, ...]]:
        """Per path, the words a file must all contain to hold it: its literal keys."""
        return frozenset(tuple(key.rsplit(".", 1)[-1] for key in path if key != "*") for path in self.paths)

    def match_settings(self, calls: ModuleCalls) -> Iterator[CallHit]:
        for setting in calls.settings:
            for path in self.paths:
                if len(path) != len(setting.path):
                    continue
                if all(want in ("*", got) for want, got in zip(path, setting.path, strict=True)):
                    value = setting.value.value
                    if value in self.skip_values:
                        continue
                    if self.value_regex is not None and (value == DYNAMIC or not self.value_regex.search(_text(value))):
                        continue
                    call = ModuleCall(
                        "",
                        "",
                        ".".join(setting.path),
                        setting.value.line,
                        setting.value.column,
                        setting.value.end_line,
                        setting.value.end_column,
                    )
                    shown = setting.path[0] + "".join(f"[{key!r}]" for key in setting.path[1:])
                    yield CallHit(call, setting.value, {"setting": shown, "value": value})
                    break

    def match(self, statement: Statement, text: str) -> Iterator[Hit]:
        return iter(())

    def match_call(self, call: CallFact) -> Iterator[Hit]:
        return iter(())


def _text(literal: str) -> str:
    """The text of a string literal's repr (``"'-c x'"`` -> ``-c x``); other literals as they are."""
    if literal[:1] in ("'", '"'):
        try:
            value = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            return literal
        return value if isinstance(value, str) else literal
    return literal


def _is_string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


@dataclass
class UnusedSuppressionMatcher:
    """Line-level ``# noqa: CODE`` comments that silence nothing (the engine tracks their use)."""

    level: str = "suppression"

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> UnusedSuppressionMatcher:
        return cls()

    def match(self, statement: Statement, text: str) -> Iterator[Hit]:
        return iter(())

    def match_call(self, call: CallFact) -> Iterator[Hit]:
        return iter(())


def _short(text: str, limit: int = 48) -> str:
    """One line of at most ``limit`` characters, for quoting a long token in a message."""
    first_line = text.splitlines()[0] if text else text
    if len(first_line) <= limit and first_line == text:
        return text
    return first_line[: limit - 1].rstrip() + "…"


TOKEN_KINDS = {"uservar": USERVAR, "sysvar": SYSVAR, "exec-comment": EXEC, "word": WORD}
_SYSVAR_SCOPES = ("GLOBAL.", "SESSION.", "LOCAL.", "PERSIST.", "PERSIST_ONLY.")


def sysvar_name(value: str) -> str:
    """``@@SESSION.SQL_MODE`` -> ``SQL_MODE``."""
    name = value[2:] if value.startswith("@@") else value
    for scope in _SYSVAR_SCOPES:
        if name.startswith(scope):
            return name[len(scope) :]
    return name


@dataclass
class TokenMatcher:
    kinds: frozenset[str]
    values: frozenset[str]
    unless_values: frozenset[str]
    not_statements: frozenset[str]
    first_only: bool
    level: str = "sql"

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> TokenMatcher:
        kinds = _string_list(spec, "token-kinds")
        unknown = [kind for kind in kinds if kind not in TOKEN_KINDS]
        if unknown:
            raise ValueError(f"match: unknown token kind(s) {', '.join(unknown)} (known: {', '.join(TOKEN_KINDS)})")
        return cls(
            kinds=frozenset(TOKEN_KINDS[kind] for kind in kinds),
            values=frozenset(value.upper() for value in _string_list(spec, "values", [])),
            unless_values=frozenset(value.upper() for value in _string_list(spec, "unless-values", [])),
            not_statements=frozenset(word.upper() for word in _string_list(spec, "not-statements", [])),
            first_only=bool(spec.get("first-only", False)),
        )

    def match(self, statement: Statement, text: str) -> Iterator[Hit]:
        if self.not_statements and _leading_word(statement) in self.not_statements:
            return
        for token in statement.tokens:
            if token.kind not in self.kinds:
                continue
            value = sysvar_name(token.value) if token.kind == SYSVAR else token.value
            if (self.values and value not in self.values) or value in self.unless_values:
                continue
            yield Hit(token.start, token.end, {"token": _short(text[token.start : token.end]), "name": value.lower()})
            if self.first_only:
                return

    def match_call(self, call: CallFact) -> Iterator[Hit]:
        return iter(())


SET_SCOPES = ("user", "session", "local", "next-transaction", "global", "persist")
_SCOPE_WORDS = {
    "GLOBAL": "global",
    "SESSION": "session",
    "LOCAL": "local",
    "PERSIST": "persist",
    "PERSIST_ONLY": "persist",
}
# Transaction characteristics set with a bare @@ apply to the next transaction only (MySQL 8.0 manual, 15.3.7).
_NEXT_TRANSACTION_VARIABLES = frozenset(
    ["TRANSACTION_ISOLATION", "TX_ISOLATION", "TRANSACTION_READ_ONLY", "TX_READ_ONLY"]
)
_NOT_VARIABLE_SETS = frozenset(["PASSWORD", "ROLE", "DEFAULT", "RESOURCE"])


@dataclass(frozen=True)
class Assignment:
    scope: str
    variable: str  # upper-cased name; NAMES, CHARACTER SET and TRANSACTION for those forms
    first: int  # token index of the assignment's first token
    last: int  # token index of its variable name


def _split_top_level(tokens: list[Token], start: int) -> list[tuple[int, int]]:
    """Index ranges of the comma-separated items from ``start``, ignoring commas in parentheses."""
    items = []
    depth = 0
    begin = start
    for index in range(start, len(tokens)):
        token = tokens[index]
        if token.kind == OP and token.value in ("(", "["):
            depth += 1
        elif token.kind == OP and token.value in (")", "]"):
            depth = max(depth - 1, 0)
        elif token.kind == OP and token.value == "," and depth == 0:
            items.append((begin, index))
            begin = index + 1
    items.append((begin, len(tokens)))
    return [(first, end) for first, end in items if first < end]


def set_assignments(tokens: list[Token]) -> list[Assignment]:
    """The assignments of a MySQL ``SET`` statement (empty for SET PASSWORD, SET ROLE...)."""
    if not tokens or tokens[0].kind != WORD or tokens[0].value != "SET" or len(tokens) < 2:
        return []
    if tokens[1].kind == WORD and tokens[1].value in _NOT_VARIABLE_SETS:
        return []
    found = []
    for first, end in _split_top_level(tokens, 1):
        token = tokens[first]
        if token.kind == USERVAR:
            found.append(Assignment("user", token.value[1:], first, first))
        elif token.kind == SYSVAR:
            name = sysvar_name(token.value)
            prefix = token.value[2 : len(token.value) - len(name)].rstrip(".")
            if prefix:
                scope = _SCOPE_WORDS.get(prefix, "session")
            else:
                scope = "next-transaction" if name in _NEXT_TRANSACTION_VARIABLES else "session"
            found.append(Assignment(scope, name, first, first))
        elif token.kind in (WORD, IDENT):
            scope = "session"
            index = first
            if token.kind == WORD and token.value in _SCOPE_WORDS and index + 1 < end:
                scope = _SCOPE_WORDS[token.value]
                index += 1
            name_token = tokens[index]
            name = name_token.value.upper() if name_token.kind in (WORD, IDENT) else ""
            if name == "TRANSACTION":
                scope = "next-transaction" if index == first else scope
            elif name in ("CHARACTER", "CHAR") and index + 1 < end and tokens[index + 1].value == "SET":
                name, index = "CHARACTER SET", index + 1
            elif name == "CHARSET":
                name = "CHARACTER SET"
            if name:
                found.append(Assignment(scope, name, first, index))
            if name == "TRANSACTION":
                break  # the items after a comma are more characteristics of the same transaction
    return found


@dataclass
class SetAssignmentMatcher:
    scopes: frozenset[str]
    variables_in: frozenset[str]
    variables_not_in: frozenset[str]
    level: str = "sql"

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> SetAssignmentMatcher:
        scopes = _string_list(spec, "scopes")
        unknown = [scope for scope in scopes if scope not in SET_SCOPES]
        if unknown:
            raise ValueError(f"match: unknown scope(s) {', '.join(unknown)} (known: {', '.join(SET_SCOPES)})")
        variables = spec.get("variables", {})
        return cls(
            scopes=frozenset(scopes),
            variables_in=frozenset(name.upper() for name in _string_list(variables, "in", [])),
            variables_not_in=frozenset(name.upper() for name in _string_list(variables, "not-in", [])),
        )

    def match(self, statement: Statement, text: str) -> Iterator[Hit]:
        tokens = statement.tokens
        for assignment in set_assignments(tokens):
            if assignment.scope not in self.scopes:
                continue
            if self.variables_in and assignment.variable not in self.variables_in:
                continue
            if assignment.variable in self.variables_not_in:
                continue
            start, end = tokens[assignment.first].start, tokens[assignment.last].end
            yield Hit(start, end, {"variable": assignment.variable.lower(), "assignment": text[start:end]})

    def match_call(self, call: CallFact) -> Iterator[Hit]:
        return iter(())


@dataclass
class StatementCountMatcher:
    """Several statements in the string of one execute call (Python fragments only)."""

    max_statements: int
    level: str = "sql"

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> StatementCountMatcher:
        return cls(max_statements=int(spec.get("max-statements", 1)))

    def match(self, statement: Statement, text: str) -> Iterator[Hit]:
        return iter(())

    def match_statements(self, statements: list[Statement], text: str) -> Iterator[Hit]:
        if len(statements) > self.max_statements:
            extra = statements[self.max_statements]
            first = extra.tokens[0]
            yield Hit(first.start, first.end, {"count": str(len(statements))})

    def match_call(self, call: CallFact) -> Iterator[Hit]:
        return iter(())


_KINDS: dict[str, Any] = {
    "token": TokenMatcher,
    "set-assignment": SetAssignmentMatcher,
    "statement-count": StatementCountMatcher,
    "statement": StatementMatcher,
    "function-call": FunctionCallMatcher,
    "statement-size": StatementSizeMatcher,
    "connect-option": ConnectOptionMatcher,
    "handler-factory-call": ConnectionInHandlerMatcher,
    "call-arguments": CallArgumentsMatcher,
    "settings": SettingsMatcher,
    "unused-suppression": UnusedSuppressionMatcher,
}


def build_matcher(spec: dict[str, Any]) -> Matcher:
    kind = spec.get("kind")
    if kind not in _KINDS:
        raise ValueError(f"match: unknown kind {kind!r} (known: {', '.join(_KINDS)})")
    try:
        matcher: Matcher = _KINDS[kind].from_spec(spec)
    except PatternError as error:
        raise ValueError(f"match: {error}") from error
    return matcher
