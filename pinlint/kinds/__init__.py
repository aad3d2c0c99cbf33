"""Rule kinds: what a rule file's ``[match]`` table can say, one module per kind.

Each kind (a class derived from one of the fact types in pinlint.kinds.base) declares the fact
it consumes, its keys (validated when the catalog loads, documented in docs/rule-kinds.md), the
names that make a file worth reading for it (``interest``) and its check. A new kind is a new
module here, added to ``KINDS``; a new trigger of a known kind is one file in rules/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pinlint.kinds.base import Kind
from pinlint.kinds.call_arguments import CallArgumentsMatch
from pinlint.kinds.connect_option import ConnectOptionMatch
from pinlint.kinds.data_api_call import DataApiCallMatch
from pinlint.kinds.django_database import DjangoDatabaseMatch
from pinlint.kinds.function_call import FunctionCallMatch
from pinlint.kinds.handler_factory_call import HandlerFactoryCallMatch
from pinlint.kinds.iam_token import IamTokenMatch
from pinlint.kinds.infrastructure import InfrastructureMatch
from pinlint.kinds.schema import SchemaError
from pinlint.kinds.set_assignment import SetAssignmentMatch
from pinlint.kinds.settings import SettingsMatch
from pinlint.kinds.statement import StatementMatch
from pinlint.kinds.statement_count import StatementCountMatch
from pinlint.kinds.statement_size import StatementSizeMatch
from pinlint.kinds.token import TokenMatch
from pinlint.kinds.unused_suppression import UnusedSuppressionMatch

if TYPE_CHECKING:
    from collections.abc import Iterable

KINDS: dict[str, type[Kind]] = {
    kind.name: kind
    for kind in (
        StatementMatch,
        FunctionCallMatch,
        StatementSizeMatch,
        TokenMatch,
        SetAssignmentMatch,
        StatementCountMatch,
        ConnectOptionMatch,
        HandlerFactoryCallMatch,
        CallArgumentsMatch,
        SettingsMatch,
        UnusedSuppressionMatch,
        InfrastructureMatch,
        DataApiCallMatch,
        IamTokenMatch,
        DjangoDatabaseMatch,
    )
}

FactKind = TypeVar("FactKind", bound=Kind)
Owner = TypeVar("Owner")


def build_kind(table: dict[str, Any]) -> Kind:
    """The kind a ``[match]`` table names, configured by it; SchemaError when it does not fit."""
    name = table.get("kind")
    if not isinstance(name, str) or name not in KINDS:
        raise SchemaError(f"unknown kind {name!r} in [match] (known: {', '.join(KINDS)})")
    kind = KINDS[name]
    spec = {key: value for key, value in table.items() if key != "kind"}
    try:
        return kind.from_table(spec)
    except SchemaError:
        raise
    except ValueError as error:  # a bad pattern, a missing alternative
        raise SchemaError(f"{error} in [match] (kind {name})") from error


def consuming(items: Iterable[tuple[Owner, Kind]], fact: type[FactKind]) -> tuple[tuple[Owner, FactKind], ...]:
    """The (rule, kind) pairs whose kind consumes ``fact`` (one of the fact types of pinlint.kinds.base)."""
    return tuple((rule, kind) for rule, kind in items if isinstance(kind, fact))
