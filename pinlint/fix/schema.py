"""The ``[autofix]`` table of a rule file: which fix action the rule has, and its settings.

Each action declares its keys (``pinlint.kinds.schema.Key``) and the rule kinds whose matches it
can fix; the catalog validates a rule's table against them when it loads (an unknown key, a
wrong type or an action that cannot fix the rule's kind is an error naming the file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pinlint.kinds.schema import STRING, STRING_MAP, STRINGS, Key, SchemaError, validate

SAFE = "safe"
UNSAFE = "unsafe"
APPLICABILITIES = (SAFE, UNSAFE)

SET_LOCAL = "set-local"
SET_CONFIG_LOCAL = "set-config-local"
TRANSACTION_ADVISORY_LOCK = "transaction-advisory-lock"
ADD_KEYWORD = "add-keyword"
CACHE_CONNECTION = "cache-connection"

_COMMON = (
    Key("action", STRING, "The fix action.", required=True),
    Key("title", STRING, "What the fix does, as an editor's menu shows it.", required=True),
)
_OUTSIDE = Key(
    "outside-transaction",
    STRING,
    "What to offer when no explicit transaction is visible around the trigger: an unsafe fix, or none.",
    default="unsafe",
    choices=(UNSAFE, "none"),
)

# action -> (the kinds it fixes, its keys)
ACTIONS: dict[str, tuple[tuple[str, ...], tuple[Key, ...]]] = {
    SET_LOCAL: (("statement",), (*_COMMON, _OUTSIDE)),
    SET_CONFIG_LOCAL: (("function-call",), (*_COMMON, _OUTSIDE)),
    TRANSACTION_ADVISORY_LOCK: (
        ("function-call",),
        (
            *_COMMON,
            Key("rename", STRING_MAP, "Session-level lock function -> its transaction-level twin.", required=True),
            Key("unlock", STRING_MAP, "Lock function -> the unlock call that is removed with it.", required=True),
        ),
    ),
    CACHE_CONNECTION: (("handler-factory-call",), _COMMON),
    ADD_KEYWORD: (
        ("call-arguments",),
        (
            *_COMMON,
            Key("keyword", STRING, "The keyword argument added (or whose value is replaced).", required=True),
            Key("value", STRING, "Its value, as Python source.", required=True),
            Key("applicability", STRING, "safe or unsafe.", required=True, choices=APPLICABILITIES),
            Key("dict-keyword", STRING, "For the callees below, the keyword goes into this dict argument."),
            Key("dict-keyword-callees", STRINGS, "Callees (last name) that take the keyword in `dict-keyword`."),
        ),
    ),
}


@dataclass(frozen=True)
class FixSpec:
    """A rule's ``[autofix]`` table, validated."""

    action: str
    title: str
    settings: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)


# Actions that rewrite PostgreSQL: `SET LOCAL` means the session in MySQL.
POSTGRES_ONLY = frozenset({SET_LOCAL, SET_CONFIG_LOCAL, TRANSACTION_ADVISORY_LOCK})


def build_fix_spec(table: Any, kind: str, dialects: tuple[str, ...]) -> FixSpec:
    """The ``[autofix]`` table of a rule of ``kind`` (for ``dialects``) as a FixSpec; SchemaError
    when it does not fit."""
    if not isinstance(table, dict):
        raise SchemaError("[autofix] must be a table")
    action = table.get("action")
    if action not in ACTIONS:
        raise SchemaError(f"unknown [autofix] action {action!r} (known: {', '.join(ACTIONS)})")
    kinds, keys = ACTIONS[action]
    if kind not in kinds:
        raise SchemaError(f"[autofix] action {action!r} fixes rules of kind {', '.join(kinds)}, not {kind}")
    validate(table, keys, "[autofix]", action)
    if action in POSTGRES_ONLY and tuple(dialects) != ("postgres",):
        raise SchemaError(f"[autofix] action {action!r} rewrites PostgreSQL: the rule's dialects must be postgres only")
    settings = {key: value for key, value in table.items() if key not in ("action", "title")}
    return FixSpec(action, table["title"], settings)
