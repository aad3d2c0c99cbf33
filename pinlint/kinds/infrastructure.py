"""Kind ``infrastructure``: one of pinlint.infra's checks over the database resources of a stack
(a SAM/CloudFormation template, serverless.yml's resources, a Terraform module, a CDK app)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pinlint.infra.checks import CHECKS, SETTINGS, validate_settings
from pinlint.kinds.base import StackKind
from pinlint.kinds.schema import FREE_TABLE, REGEX, STRING, STRINGS, Key

if TYPE_CHECKING:
    from pinlint.infra.checks import CheckResult
    from pinlint.infra.facts import Stack

_KEY_TYPES: dict[type, str] = {list: STRINGS, str: STRING, dict: FREE_TABLE}
_KEY_DOCS = {
    "engine-families": "The engine families (`POSTGRESQL`, `MYSQL`) the check applies to.",
    "filters": "The RDS Proxy session pinning filters that are reported.",
    "regex": "What, in an init query, holds a credential.",
    "services": "The AWS services whose interface endpoint the function needs.",
    "layer": "The name of a Lambda layer that reads the same services at run time.",
    "postgres-minimums": "The first PostgreSQL version of each major version with the feature.",
    "mysql-minimum": "The first Aurora MySQL version with the feature.",
    "instance-memory-gib": "GiB of memory of each DB instance class the check knows (others are not judged).",
    "aurora-mysql-connections": "Aurora MySQL's default max_connections of each DB instance class.",
    "mysql-serverless-v2-connections": "Aurora MySQL Serverless v2's max_connections by maximum ACUs.",
}


def _setting_keys() -> tuple[Key, ...]:
    seen: dict[str, Key] = {}
    for settings in SETTINGS.values():
        for name, kind in settings.items():
            type_name = REGEX if name == "regex" else _KEY_TYPES[kind]
            seen.setdefault(name, Key(name, type_name, _KEY_DOCS.get(name, "A setting of the check.")))
    return tuple(seen.values())


@dataclass(frozen=True)
class InfrastructureMatch(StackKind):
    check_name: str
    settings: dict[str, Any] = field(default_factory=dict)

    name = "infrastructure"
    summary = (
        "One of pinlint.infra's checks (`check`) over the database resources a stack declares:"
        " Aurora clusters, RDS Proxies and their pools, Lambda functions; a finding lands on the"
        " property that is wrong. Each check takes only its own settings."
    )
    keys = (
        Key("check", STRING, "The check to run.", required=True, choices=tuple(CHECKS)),
        *_setting_keys(),
    )

    @classmethod
    def build(cls, table: dict[str, Any]) -> InfrastructureMatch:
        check = table["check"]
        settings = {key: value for key, value in table.items() if key != "check"}
        validate_settings(check, settings)
        return cls(check_name=check, settings=settings)

    def run(self, stack: Stack) -> CheckResult:
        return CHECKS[self.check_name](stack, self.settings)
