"""What every rule kind is made of: the keys its ``[match]`` table may hold, the fact it consumes,
the names that make a file worth reading for it, and the hit its check returns.

A kind is a class with a ``name`` (the rule file's ``kind = "..."``), a ``summary``, its ``keys``
(each with a type and a meaning: the rule files are validated against them, and
docs/rule-kinds.md is generated from them) and a ``check``. The fact it consumes is the base
class it derives from (``StatementKind``, ``CallKind``...); the engine asks the kinds of each
fact type in turn and never looks at a kind's own class.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pinlint.kinds.schema import Key, validate

if TYPE_CHECKING:
    from pinlint.extract.calls import Call, ModuleCalls, Setting
    from pinlint.extract.dataapi import DataApiCall, DataApiHit
    from pinlint.extract.django_databases import DatabaseEntry
    from pinlint.extract.handlers import FactoryCall
    from pinlint.extract.iamauth import TokenAtImport, TokenPerInvocation
    from pinlint.infra.checks import CheckResult
    from pinlint.infra.facts import Stack
    from pinlint.kinds.project_condition import ProjectCondition
    from pinlint.matchers import CallHit
    from pinlint.model import Fragment
    from pinlint.sql.statements import Statement


@dataclass
class Hit:
    """Where a check on SQL text fired: offsets in the fragment text, and named parts for the message."""

    start: int
    end: int
    captures: dict[str, str] = field(default_factory=dict)
    fragment: Fragment | None = None  # the argument's own fragment, for checks on Python calls


@dataclass(frozen=True)
class Interest:
    """What a kind needs from a file before any check runs: the names that make the file worth
    reading (the prefilter) and what the extraction must record for it. Merged over all rules."""

    call_names: frozenset[str] = frozenset()  # call names that make any file worth parsing
    gated_call_names: Mapping[frozenset[str], frozenset[str]] = field(default_factory=dict)  # libraries -> names
    words: frozenset[tuple[str, ...]] = frozenset()  # a file holding all words of one group is worth parsing
    fact_calls: frozenset[str] = frozenset()  # calls recorded with their string arguments as fragments
    fact_needle: str = ""  # a regex a file must match for those calls to matter
    fact_keywords: frozenset[str] = frozenset()  # ... and the keywords it names
    module_functions: frozenset[str] = frozenset()  # qualified functions whose calls the module facts record
    module_methods: frozenset[str] = frozenset()  # methods whose calls the module facts record
    traced_methods: Mapping[str, frozenset[str]] = field(default_factory=dict)  # method -> imports ({}: any)
    setting_roots: frozenset[str] = frozenset()  # settings structures the module facts record
    needs_handlers: bool = False  # the check asks whether the module defines a Lambda handler
    project_condition: ProjectCondition | None = None  # a project-wide setting that settles its findings


def merge_interests(interests: Iterable[Interest]) -> Interest:
    """One Interest for a set of rules (a traced method any rule reads in every module stays so)."""
    call_names: set[str] = set()
    gated: dict[frozenset[str], frozenset[str]] = {}
    words: set[tuple[str, ...]] = set()
    fact_calls: set[str] = set()
    needles: list[str] = []
    fact_keywords: set[str] = set()
    functions: set[str] = set()
    methods: set[str] = set()
    traced: dict[str, frozenset[str]] = {}
    anywhere: set[str] = set()
    roots: set[str] = set()
    needs_handlers = False
    for interest in interests:
        call_names |= interest.call_names
        for libraries, names in interest.gated_call_names.items():
            gated[libraries] = gated.get(libraries, frozenset()) | names
        words |= interest.words
        fact_calls |= interest.fact_calls
        if interest.fact_needle:
            needles.append(interest.fact_needle)
        fact_keywords |= interest.fact_keywords
        functions |= interest.module_functions
        methods |= interest.module_methods
        for method, imports in interest.traced_methods.items():
            traced[method] = traced.get(method, frozenset()) | imports
            if not imports:
                anywhere.add(method)
        roots |= interest.setting_roots
        needs_handlers = needs_handlers or interest.needs_handlers
    traced.update(dict.fromkeys(anywhere, frozenset()))
    return Interest(
        call_names=frozenset(call_names),
        gated_call_names=gated,
        words=frozenset(words),
        fact_calls=frozenset(fact_calls),
        fact_needle="|".join(needles),
        fact_keywords=frozenset(fact_keywords),
        module_functions=frozenset(functions),
        module_methods=frozenset(methods),
        traced_methods=traced,
        setting_roots=frozenset(roots),
        needs_handlers=needs_handlers,
    )


def gated_by_package(names: Iterable[str]) -> dict[frozenset[str], frozenset[str]]:
    """Qualified names by their package: ``psycopg2.connect`` counts only where ``psycopg2`` is named."""
    groups: dict[frozenset[str], set[str]] = {}
    for name in names:
        groups.setdefault(frozenset({name.split(".", 1)[0]}), set()).add(name.rsplit(".", 1)[-1])
    return {libraries: frozenset(found) for libraries, found in groups.items()}


class Kind:
    """A kind of trigger; subclasses below say which fact it consumes."""

    name: ClassVar[str]
    summary: ClassVar[str]  # one paragraph for docs/rule-kinds.md
    keys: ClassVar[tuple[Key, ...]] = ()
    consumes: ClassVar[str]  # the fact type, in words, for the docs

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> Kind:
        """Validate ``table`` (the ``[match]`` table without ``kind``) and build the kind."""
        validate(table, cls.keys, "[match]", cls.name)
        return cls.build(table)

    @classmethod
    def build(cls, table: dict[str, Any]) -> Kind:
        raise NotImplementedError

    @property
    def interest(self) -> Interest:
        return Interest()


class StatementKind(Kind):
    consumes = "a statement"
    # also checks the whole text one call sends when that is a file read at run time (whose
    # statements are the .sql file's own findings): the size limit, not what each statement does
    whole_text: ClassVar[bool] = False

    def check(self, statement: Statement, text: str) -> Iterator[Hit]:
        raise NotImplementedError


class StatementsKind(Kind):
    consumes = "the statements of one SQL string in Python"

    def check(self, statements: list[Statement], text: str) -> Iterator[Hit]:
        raise NotImplementedError


class CallKind(Kind):
    consumes = "a call with its string arguments as fragments"

    def check(self, call: Call) -> Iterator[Hit]:
        raise NotImplementedError


@dataclass(frozen=True)
class ModuleFacts:
    """What a module-call check may ask about the module around the call."""

    calls: ModuleCalls
    defines_handler: bool
    source: str


class ModuleCallKind(Kind):
    consumes = "a call with its literal arguments, in a module (module facts)"

    def applies(self, module: ModuleFacts) -> bool:
        """False when nothing in this module can fire (checked once per module)."""
        return True

    def loaded_functions(self) -> frozenset[str]:
        """The qualified functions whose import-time calls this kind also judges in the project
        modules a handler's module loads (pinlint.index.loads); none by default."""
        return frozenset()

    def check(self, call: Call, module: ModuleFacts) -> Iterator[CallHit]:
        raise NotImplementedError


class SettingKind(Kind):
    consumes = "an entry of a settings structure (module facts)"

    def check(self, setting: Setting) -> Iterator[CallHit]:
        raise NotImplementedError


class DatabaseEntryKind(Kind):
    consumes = "an entry of Django's `DATABASES` in a settings module (pinlint.extract.django_databases)"

    lambda_served: bool  # judged only in a settings module that a Lambda serves

    def check(self, entry: DatabaseEntry) -> Iterator[CallHit]:
        raise NotImplementedError


class HandlerKind(Kind):
    consumes = "a connection factory call run by a Lambda handler"

    functions: frozenset[str]
    cache_decorators: frozenset[str]
    opens_nothing: frozenset[tuple[str, str]]  # (factory, keyword or position): given, it opens no connection

    def check(self, fact: FactoryCall) -> dict[str, str]:
        """The message captures for one factory call."""
        raise NotImplementedError


class DataApiKind(Kind):
    consumes = "a call of an RDS Data API client, with the statements of its `sql` (pinlint.extract.dataapi)"

    def check(self, call: DataApiCall) -> Iterator[DataApiHit]:
        raise NotImplementedError


class IamTokenKind(Kind):
    consumes = "an IAM auth token and the connections it opens (pinlint.extract.iamauth)"

    reads: str  # which facts: "import-time" or "per-invocation-direct"
    pools: frozenset[str]
    connects: frozenset[str]
    cache_decorators: frozenset[str]

    def check(self, fact: TokenAtImport | TokenPerInvocation) -> dict[str, str] | None:
        """The message captures for one fact, or None when it is fine."""
        raise NotImplementedError


class StackKind(Kind):
    consumes = "the database resources of one stack (pinlint.infra)"

    def run(self, stack: Stack) -> CheckResult:
        raise NotImplementedError


class SuppressionKind(Kind):
    consumes = "a `# noqa: CODE` comment that silenced nothing"

    def check(self, code: str) -> dict[str, str]:
        raise NotImplementedError


FACT_TYPES: tuple[type[Kind], ...] = (
    StatementKind,
    StatementsKind,
    CallKind,
    ModuleCallKind,
    SettingKind,
    HandlerKind,
    DataApiKind,
    IamTokenKind,
    SuppressionKind,
)


def compile_regex(source: str | None) -> re.Pattern[str] | None:
    return re.compile(source) if source is not None else None
