"""Kind ``connect-option`` (Python): a startup option passed to a connection call."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pinlint.kinds.base import CallKind, Hit, Interest
from pinlint.kinds.schema import REGEX, STRINGS, Key

if TYPE_CHECKING:
    from pinlint.facts import Argument, Call
    from pinlint.model import Fragment

VALUE_REGEX = r"(?:^|\s)(?:-c\s*|--)[A-Za-z_]"
DSN_REGEX = r"options=['\"]?(?:-c|--|%2[Dd]c)"


@dataclass(frozen=True)
class ConnectOptionMatch(CallKind):
    functions: frozenset[str]
    keywords: tuple[str, ...]
    dict_keywords: tuple[str, ...]
    value_regex: re.Pattern[str]
    dsn_regex: re.Pattern[str]

    name = "connect-option"
    summary = (
        "A call of one of `functions` (by its last name, or qualified) passes a startup option whose"
        " text matches `value-regex` through one of `keywords`, through one of them inside a"
        " `dict-keywords` dict literal, or in a DSN string matching `dsn-regex`."
    )
    keys = (
        Key("functions", STRINGS, "Python callables, by name or qualified name.", required=True),
        Key("keywords", STRINGS, "Keyword arguments that carry the option.", default='["options"]'),
        Key("dict-keywords", STRINGS, "Keywords holding a dict literal with those keys.", default='["connect_args"]'),
        Key("value-regex", REGEX, "What an option's text must match.", default=f"`{VALUE_REGEX}`"),
        Key("dsn-regex", REGEX, "What a DSN string must match.", default=f"`{DSN_REGEX}`"),
    )

    @classmethod
    def build(cls, table: dict[str, Any]) -> ConnectOptionMatch:
        return cls(
            functions=frozenset(table["functions"]),
            keywords=tuple(table.get("keywords", ["options"])),
            dict_keywords=tuple(table.get("dict-keywords", ["connect_args"])),
            value_regex=re.compile(table.get("value-regex", VALUE_REGEX)),
            dsn_regex=re.compile(table.get("dsn-regex", DSN_REGEX)),
        )

    @property
    def interest(self) -> Interest:
        """Any file calling one of the functions is read; its calls are recorded only when it has
        one of the keywords given as ``keyword=`` (a keyword argument, a DSN field; not
        ``obj.keyword =``) or as a ``"keyword":`` dict key."""
        words = "|".join(re.escape(keyword) for keyword in self.keywords)
        return Interest(
            call_names=self.functions,
            fact_calls=self.functions,
            fact_needle=rf"(?<![\w.])(?:{words})\s*=(?!=)|[\"'](?:{words})[\"']\s*:",
            fact_keywords=frozenset(self.keywords),
        )

    def check(self, call: Call) -> Iterator[Hit]:
        if call.last_name not in self.functions and call.name not in self.functions:
            return
        options = [call.keywords.get(keyword) for keyword in self.keywords]
        for keyword in self.dict_keywords:
            options.extend(call.dict_keywords.get(keyword, {}).get(key) for key in self.keywords)
        for value in _fragments(options):
            found = self.value_regex.search(value.text)
            if found:
                yield Hit(found.start(), len(value.text), {"option": value.text.strip()}, value)
        for value in _fragments([*call.positional, *call.keywords.values()]):
            found = self.dsn_regex.search(value.text)
            if found:
                yield Hit(found.start(), found.end(), {"option": found.group()}, value)


def _fragments(arguments: list[Argument | None]) -> list[Fragment]:
    """The string arguments among ``arguments``, as the code builds them."""
    return [argument.fragment for argument in arguments if argument is not None and argument.fragment is not None]
