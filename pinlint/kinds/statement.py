"""Kind ``statement``: a statement whose leading tokens match a token pattern."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pinlint.kinds.base import Hit, StatementKind
from pinlint.kinds.schema import FREE_TABLE, MAP, PATTERNS, STRING, STRINGS, TABLE, Key
from pinlint.patterns import Element, compile_pattern, match_at, search
from pinlint.sql.lexer import Token
from pinlint.sql.statements import Statement
from pinlint.sql.tree import statement_tree

_MEMBERSHIP = (
    Key("in", STRINGS, "The value must be one of these (case-insensitive)."),
    Key("not-in", STRINGS, "The value must be none of these (case-insensitive)."),
)


@dataclass(frozen=True)
class StatementPattern:
    tokens: tuple[Element, ...]
    tree_node: str = ""
    tree_args: tuple[tuple[str, Any], ...] = ()


def token_text(tokens: list[Token], text: str, start: int, end: int) -> str:
    """The text of ``tokens[start:end]`` as written."""
    if start >= end:
        return ""
    return text[tokens[start].start : tokens[end - 1].end]


@dataclass(frozen=True)
class StatementMatch(StatementKind):
    patterns: tuple[StatementPattern, ...]
    unless_patterns: tuple[tuple[Element, ...], ...]
    captures: dict[str, dict[str, frozenset[str]]]

    name = "statement"
    summary = (
        "The statement's leading tokens match one of `patterns` (the token pattern language is at the"
        " end of this page), none of `unless-patterns` occurs anywhere in it, and each"
        " `captures.<name>` constraint holds. A pattern given as a table may add a `tree` condition:"
        " when sqlglot reads the statement (not as an opaque Command), its tree must contain that node"
        " with those arguments; when sqlglot cannot read it, the keyword-level match stands."
    )
    keys = (
        Key(
            "patterns",
            PATTERNS,
            "Token patterns anchored at the statement's first token; the first that matches is the finding.",
            required=True,
            keys=(
                Key("tokens", STRING, "The token pattern.", required=True),
                Key(
                    "tree",
                    TABLE,
                    "A sqlglot node the statement's tree must hold.",
                    keys=(
                        Key("node", STRING, "The sqlglot expression class, e.g. `TemporaryProperty`.", required=True),
                        Key("args", FREE_TABLE, "Arguments the node must have, with their values."),
                    ),
                ),
            ),
        ),
        Key("unless-patterns", STRINGS, "Token patterns that, found anywhere in the statement, rule it out."),
        Key(
            "captures",
            MAP,
            "Per capture name of the patterns (`{param}`), the values it may (`in`) or may not (`not-in`) take.",
            keys=_MEMBERSHIP,
        ),
    )

    @classmethod
    def build(cls, table: dict[str, Any]) -> StatementMatch:
        patterns = []
        for entry in table["patterns"]:
            if isinstance(entry, str):
                patterns.append(StatementPattern(compile_pattern(entry)))
            else:
                tree = entry.get("tree", {})
                # The node name is checked against sqlglot by the test suite, not here: importing
                # sqlglot costs a tenth of a second that most runs never need.
                args = tuple(sorted(tree.get("args", {}).items()))
                patterns.append(StatementPattern(compile_pattern(entry["tokens"]), tree.get("node", ""), args))
        if not patterns:
            raise ValueError("`patterns` must list at least one pattern")
        captures = {
            name: {key: frozenset(word.upper() for word in words) for key, words in constraint.items()}
            for name, constraint in table.get("captures", {}).items()
        }
        return cls(
            patterns=tuple(patterns),
            unless_patterns=tuple(compile_pattern(source) for source in table.get("unless-patterns", [])),
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
        tree = statement_tree(statement, text)
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

    def check(self, statement: Statement, text: str) -> Iterator[Hit]:
        tokens = statement.tokens
        for pattern in self.patterns:
            found = match_at(pattern.tokens, tokens)
            if found is None:
                continue
            if any(search(other, tokens) for other in self.unless_patterns):
                return
            values = {name: token_text(tokens, text, start, end) for name, (start, end) in found.captures.items()}
            if not self._captures_hold(values) or not self._tree_holds(pattern, statement, text):
                continue
            yield Hit(tokens[found.start].start, tokens[found.end - 1].end, values)
            return
