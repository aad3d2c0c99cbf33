"""Kind ``handler-factory-call`` (Python): a connection factory run on every invocation of a Lambda
handler (the facts come from pinlint.extract.handlers, over the project's call graph: pinlint.index)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pinlint.kinds.base import HandlerKind, Interest, gated_by_package
from pinlint.kinds.schema import INTEGER, STRING, STRINGS, TABLES, Key

if TYPE_CHECKING:
    from pinlint.extract.handlers import FactoryCall

CACHE_DECORATORS = ("functools.cache", "functools.lru_cache")
# the key of every kind that asks whether a call runs per invocation (this one, iam-token)
CACHE_DECORATORS_KEY = Key(
    "cache-decorators", STRINGS, "Decorators that make a function run once.", default=", ".join(CACHE_DECORATORS)
)


OPENS_NOTHING_KEYS = (
    Key("functions", STRINGS, "The factories this applies to, e.g. `pypgstac.db.PgstacDB`.", required=True),
    Key("keyword", STRING, "The argument's keyword.", required=True),
    Key("position", INTEGER, "The same argument given positionally, 0 for the first."),
)


def cache_decorators(table: dict[str, Any]) -> frozenset[str]:
    """The ``cache-decorators`` of a ``[match]`` table, or the default."""
    return frozenset(table.get("cache-decorators", CACHE_DECORATORS))


@dataclass(frozen=True)
class HandlerFactoryCallMatch(HandlerKind):
    functions: frozenset[str]
    cache_decorators: frozenset[str]
    opens_nothing: frozenset[tuple[str, str]] = frozenset()  # (factory, keyword or position) given: no connection

    name = "handler-factory-call"
    summary = (
        "A call of one of `functions` that runs on every invocation of a Lambda handler: in the"
        " handler's body, or in anything it calls in the project's own modules (functions, methods,"
        " constructors, properties, functions handed to threads) that no lazy-init guard and none of"
        " `cache-decorators` makes run once. Handlers come from the project's declarations (serverless.yml, SAM,"
        " CDK, Terraform, Chalice, the configuration) or, where none exist, the naming convention."
    )
    keys = (
        Key("functions", STRINGS, "Qualified connection factories, e.g. `psycopg2.connect`.", required=True),
        CACHE_DECORATORS_KEY,
        Key(
            "unless-arguments",
            TABLES,
            "Arguments that, when given at all (also computed at run time), make a factory open nothing"
            " of its own: the caller's connection or pool is used (`PgstacDB(connection=conn)`).",
            keys=OPENS_NOTHING_KEYS,
        ),
    )

    @classmethod
    def build(cls, table: dict[str, Any]) -> HandlerFactoryCallMatch:
        return cls(
            functions=frozenset(table["functions"]),
            cache_decorators=cache_decorators(table),
            opens_nothing=frozenset(
                (function, slot)
                for condition in table.get("unless-arguments", ())
                for function in condition["functions"]
                for slot in (condition["keyword"], *_position(condition))
            ),
        )

    @property
    def interest(self) -> Interest:
        return Interest(gated_call_names=gated_by_package(self.functions))

    def check(self, fact: FactoryCall) -> dict[str, str]:
        return {
            "factory": fact.factory,
            "site": fact.site,
            "handler": fact.handler,
            "reason": fact.reason,
            "via": fact.via,
        }


def _position(condition: dict[str, Any]) -> tuple[str, ...]:
    """The position of an ``unless-arguments`` condition as a call's slot names it ("2"), if any."""
    return (str(condition["position"]),) if "position" in condition else ()
