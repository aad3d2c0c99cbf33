"""Kind ``django-database`` (Python): an entry of Django's ``DATABASES`` (pinlint.extract.django_databases)
that sets, or leaves at Django's default, a key that matters on Lambda: ``CONN_MAX_AGE``,
``CONN_HEALTH_CHECKS``, ``OPTIONS["pool"]``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pinlint.extract.calls import DYNAMIC
from pinlint.extract.calls import Call as ModuleCall
from pinlint.extract.django_databases import ROOT, DatabaseEntry
from pinlint.facts import Argument
from pinlint.kinds.base import DatabaseEntryKind, Interest, compile_regex
from pinlint.kinds.schema import BOOLEAN, NUMBER, REGEX, STRINGS, TABLES, Key
from pinlint.kinds.settings import literal_text
from pinlint.matchers import CallHit

Path = tuple[str, ...]


@dataclass(frozen=True)
class EntryCondition:
    """One test on one key path of an entry (``[[match.conditions]]``)."""

    key: Path
    flag_if_missing: bool = False
    flag_values: frozenset[str] = frozenset()
    greater_than: float | None = None
    default: float | None = None

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> EntryCondition:
        return cls(
            key=tuple(table["key"]),
            flag_if_missing=table.get("flag-if-missing", False),
            flag_values=frozenset(table.get("flag-values", [])),
            greater_than=table.get("greater-than"),
            default=table.get("default"),
        )

    def check(self, entry: DatabaseEntry) -> tuple[Argument, str] | None:
        """(where, the value as the message says it) when the condition holds."""
        found = entry.values.get(self.key)
        if found is None:
            parent = self.key[:-1]
            if parent not in entry.known or (parent and parent not in entry.values):
                return None  # the dict around it is not there, or may hold it (``**BASE``)
            place = entry.keys.get(parent, entry.place) if parent else entry.place
            if self.flag_if_missing:
                return place, "not set"
            if self.greater_than is not None and self.default is not None and self.default > self.greater_than:
                return place, f"{self.default:g} by default"
            return None
        value = found.value
        if value == DYNAMIC:
            return None  # computed at run time: pinlint cannot tell
        if value in self.flag_values:
            return found, value
        if self.greater_than is not None:
            try:
                number = float(value)
            except ValueError:
                return None
            return (found, value) if number > self.greater_than else None
        return None


@dataclass(frozen=True)
class EntryException:
    """A key whose value rules the entry out (``[[match.unless]]``)."""

    key: Path
    values: frozenset[str]
    other_than: frozenset[str] | None

    def holds(self, entry: DatabaseEntry) -> bool:
        found = entry.values.get(self.key)
        if found is None:
            return False
        value = found.value
        return (
            value == DYNAMIC or value in self.values or (self.other_than is not None and value not in self.other_than)
        )


CONDITION_KEYS = (
    Key("key", STRINGS, 'The key path inside the entry, e.g. `["OPTIONS", "pool"]`.', required=True),
    Key(
        "flag-if-missing",
        BOOLEAN,
        "Holds when the entry's dict around the key shows all its keys and not this one.",
        default="false",
    ),
    Key("flag-values", STRINGS, "Holds when the key is one of these literals (as Python writes them)."),
    Key("greater-than", NUMBER, "Holds when the key is a number above this."),
    Key("default", NUMBER, "The default, for `greater-than` when the key is missing."),
)


@dataclass(frozen=True)
class DjangoDatabaseMatch(DatabaseEntryKind):
    lambda_served: bool
    engine_regex: re.Pattern[str] | None
    conditions: tuple[EntryCondition, ...]
    unless: tuple[EntryException, ...]

    name = "django-database"
    summary = (
        "An entry of Django's `DATABASES` (a settings module's own dict literal, and the keys later"
        " statements set in it) for which one of `conditions` holds and none of `unless`; with"
        " `lambda-served`, only in a settings module that a Lambda serves (Zappa's `django_settings`,"
        " or the `DJANGO_SETTINGS_MODULE` of a declared WSGI/ASGI module behind serverless-wsgi or"
        " Mangum). A key computed at run time never holds, and a key missing from a dict that may"
        " hold more (`**BASE`) is not missing."
    )
    keys = (
        Key("lambda-served", BOOLEAN, "Only in a settings module that a Lambda serves.", default="false"),
        Key("engine-regex", REGEX, "Only entries whose `ENGINE` is a string literal matching this."),
        Key("conditions", TABLES, "Conditions on keys; the first that holds is the finding.", keys=CONDITION_KEYS),
        Key(
            "unless",
            TABLES,
            "Keys that rule the entry out when they hold one of `values`, anything but `other-than`,"
            " or a value computed at run time.",
            keys=(
                Key("key", STRINGS, "The key path inside the entry.", required=True),
                Key("values", STRINGS, "Literals that rule the entry out."),
                Key("other-than", STRINGS, "Literals that do not; any other value rules the entry out."),
            ),
        ),
    )

    @classmethod
    def build(cls, table: dict[str, Any]) -> DjangoDatabaseMatch:
        conditions = tuple(EntryCondition.from_table(item) for item in table.get("conditions", []))
        if not conditions:
            raise ValueError("django-database needs `conditions`")
        unless = tuple(
            EntryException(
                tuple(item["key"]),
                frozenset(item.get("values", [])),
                frozenset(item["other-than"]) if "other-than" in item else None,
            )
            for item in table.get("unless", [])
        )
        return cls(
            lambda_served=table.get("lambda-served", False),
            engine_regex=compile_regex(table.get("engine-regex")),
            conditions=conditions,
            unless=unless,
        )

    @property
    def interest(self) -> Interest:
        return Interest()  # a settings module a Lambda serves is read whatever it holds (pinlint.engine)

    def check(self, entry: DatabaseEntry) -> Iterator[CallHit]:
        if self.engine_regex is not None:
            engine = entry.values.get(("ENGINE",))
            if engine is None or engine.value == DYNAMIC or not self.engine_regex.search(literal_text(engine.value)):
                return
        if any(exception.holds(entry) for exception in self.unless):
            return
        for condition in self.conditions:
            found = condition.check(entry)
            if found is None:
                continue
            where, value = found
            path = (entry.alias, *condition.key)
            shown = ROOT + "".join(f"[{key!r}]" for key in path)
            call = ModuleCall(
                "", "", ".".join((ROOT, *path)), where.line, where.column, where.end_line, where.end_column
            )
            yield CallHit(
                call, where, {"setting": shown, "key": condition.key[-1], "alias": entry.alias, "value": value}
            )
            return
