"""Kind ``iam-token`` (Python): an IAM database authentication token (``generate_db_auth_token``)
used where it fails or costs: made once at import for connections opened later, or made on every
invocation for a direct connection. The facts come from pinlint.extract.iamauth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pinlint.facts import TOKEN_METHOD
from pinlint.kinds.base import IamTokenKind, Interest
from pinlint.kinds.handler_factory_call import CACHE_DECORATORS_KEY, cache_decorators
from pinlint.kinds.schema import STRING, STRINGS, Key

if TYPE_CHECKING:  # (the reader is imported where a fact is checked: a warm run needs none)
    from pinlint.extract.iamauth import TokenAtImport, TokenPerInvocation


IMPORT_TIME = "import-time"
PER_INVOCATION = "per-invocation-direct"


@dataclass(frozen=True)
class IamTokenMatch(IamTokenKind):
    reads: str
    pools: frozenset[str]
    connects: frozenset[str]
    cache_decorators: frozenset[str]

    name = "iam-token"
    summary = (
        "A token from `generate_db_auth_token()` used where it fails. `import-time`: made at import"
        " (module level, or by a module function called there) and reaching, by its name or a"
        " module-level value built from it, one of `pools` anywhere or one of `connects` inside a"
        " function: those connect later, after the token's 15 minutes. `per-invocation-direct`: the"
        " password of one of `connects` run on every invocation of a Lambda handler (as"
        " `handler-factory-call` finds them) is a token made in the same invocation, and the host the"
        " code shows is a literal that is no RDS Proxy endpoint."
    )
    keys = (
        Key("check", STRING, "What to look for.", required=True, choices=(IMPORT_TIME, PER_INVOCATION)),
        Key("pools", STRINGS, "Qualified pool and engine factories (they connect later)."),
        Key("connects", STRINGS, "Qualified connect functions.", required=True),
        CACHE_DECORATORS_KEY,
    )

    @classmethod
    def build(cls, table: dict[str, Any]) -> IamTokenMatch:
        return cls(
            reads=table["check"],
            pools=frozenset(table.get("pools", [])),
            connects=frozenset(table["connects"]),
            cache_decorators=cache_decorators(table),
        )

    @property
    def interest(self) -> Interest:
        return Interest(gated_call_names={frozenset({"boto3"}): frozenset({TOKEN_METHOD})})

    def check(self, fact: TokenAtImport | TokenPerInvocation) -> dict[str, str] | None:
        from pinlint.extract.iamauth import TokenAtImport

        if isinstance(fact, TokenAtImport):
            return {"token": fact.token, "user": fact.user, "line": str(fact.user_line), "later": fact.later}
        if not fact.host or fact.proxy:
            return None  # a proxy, or a host the code does not show: not judged
        via = f", through `{fact.via}()`" if fact.via else ""
        return {"factory": fact.factory, "handler": fact.handler, "reason": fact.reason, "via": via, "host": fact.host}
