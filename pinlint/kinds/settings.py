"""Kind ``settings`` (Python): an entry of a settings structure, such as
``DATABASES[*]["OPTIONS"]["assume_role"]`` in a Django settings module or ``os.environ["PGOPTIONS"]``."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pinlint.extract.calls import DYNAMIC
from pinlint.extract.calls import Call as ModuleCall
from pinlint.kinds.base import Interest, SettingKind, compile_regex
from pinlint.kinds.schema import KEY_PATHS, REGEX, STRINGS, Key
from pinlint.matchers import CallHit

if TYPE_CHECKING:
    from pinlint.extract.calls import Setting

SAFE_VALUES = ("None", "''", "False")


def literal_text(literal: str) -> str:
    """The text of a string literal's repr (``"'-c x'"`` -> ``-c x``); other literals as they are."""
    if literal[:1] in ("'", '"'):
        try:
            value = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            return literal
        return value if isinstance(value, str) else literal
    return literal


@dataclass(frozen=True)
class SettingsMatch(SettingKind):
    paths: tuple[tuple[str, ...], ...]
    value_regex: re.Pattern[str] | None
    safe_values: frozenset[str]

    name = "settings"
    summary = (
        "An entry of a settings structure whose key path is one of `paths` (a path element `*`"
        " matches any key), set to a literal that is none of `safe-values` and, with `value-regex`,"
        " a string matching it."
    )
    keys = (
        Key("paths", KEY_PATHS, 'Key paths, e.g. `["DATABASES", "*", "OPTIONS", "options"]`.', required=True),
        Key("value-regex", REGEX, "What the value's text must match."),
        Key("safe-values", STRINGS, "Literals (as Python writes them) never flagged.", default=", ".join(SAFE_VALUES)),
    )

    @classmethod
    def build(cls, table: dict[str, Any]) -> SettingsMatch:
        return cls(
            paths=tuple(tuple(path) for path in table["paths"]),
            value_regex=compile_regex(table.get("value-regex")),
            safe_values=frozenset(table.get("safe-values", SAFE_VALUES)),
        )

    @property
    def interest(self) -> Interest:
        """Per path, the words a file must all contain to hold it: its literal keys."""
        words = frozenset(tuple(key.rsplit(".", 1)[-1] for key in path if key != "*") for path in self.paths)
        return Interest(words=words, setting_roots=frozenset(path[0] for path in self.paths))

    def check(self, setting: Setting) -> Iterator[CallHit]:
        for path in self.paths:
            if len(path) != len(setting.path):
                continue
            if all(want in ("*", got) for want, got in zip(path, setting.path, strict=True)):
                value = setting.value.value
                if value in self.safe_values:
                    continue
                if self.value_regex is not None and (
                    value == DYNAMIC or not self.value_regex.search(literal_text(value))
                ):
                    continue
                where = setting.value
                call = ModuleCall(
                    "", "", ".".join(setting.path), where.line, where.column, where.end_line, where.end_column
                )
                shown = setting.path[0] + "".join(f"[{key!r}]" for key in setting.path[1:])
                yield CallHit(call, setting.value, {"setting": shown, "value": value})
                break
