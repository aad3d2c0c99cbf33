"""Load rules/ (one TOML file per rule) into Rule objects, each with its configured kind.

The catalog is data: a rule's ``[match]`` table names a kind from pinlint.kinds and configures
it; every table of the file is checked against the keys it may hold.
The rules directory ships inside the wheel as ``pinlint/rules``; in a source checkout it is
the top-level ``rules/`` beside the package.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from pinlint.fix.schema import FixSpec, build_fix_spec
from pinlint.kinds import build_kind
from pinlint.kinds.base import Kind
from pinlint.kinds.schema import ANY, BOOLEAN, FREE_TABLE, STRING, STRINGS, TABLE, TABLES, Key, SchemaError, validate
from pinlint.sql.lexer import DIALECTS, MYSQL, POSTGRES

TARGETS = ("rds-proxy", "pgbouncer", "proxysql")
# The databases each pooler fronts: a rule lists its consequence on the targets of its dialects.
TARGET_DIALECTS = {"rds-proxy": (POSTGRES, MYSQL), "pgbouncer": (POSTGRES,), "proxysql": (MYSQL,)}
# "may-pin": the vendor says it sometimes pins; "undocumented": no source says, treat it as a risk.
# "costs": pays for capacity it never uses; "misconfigured": a setting the pooler does not accept or
# support; "exposes": a credential is readable in the pooler's configuration (infrastructure rules).
CONSEQUENCES = (
    "pins",
    "may-pin",
    "breaks",
    "errors",
    "churns",
    "wastes",
    "costs",
    "misconfigured",
    "exposes",
    "undocumented",
    "ok",
)
SEVERITIES = ("error", "warning")
# An example's language -> the file it is linted as, and its Markdown fence. yaml (a SAM or
# CloudFormation template), json (a JSON template), terraform and cdk are for infrastructure rules.
EXAMPLE_FILES = {
    "python": ("example.py", "python"),
    "sql": ("example.sql", "sql"),
    "yaml": ("template.yaml", "yaml"),
    "json": ("template.json", "json"),
    "terraform": ("main.tf", "hcl"),
    "cdk": ("app.py", "python"),  # an AWS CDK app in Python
}
EXAMPLE_LANGUAGES = tuple(EXAMPLE_FILES)
CODE_RE = re.compile(r"^PIN\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class CatalogError(ValueError):
    """A rule file is malformed."""


@dataclass(frozen=True)
class Example:
    language: str  # one of EXAMPLE_LANGUAGES
    source: str
    at: tuple[tuple[int, int], ...]  # every (line, column) of the rule's findings, for bad examples
    note: str = ""

    @property
    def path(self) -> str:
        """The file name the example is linted as (its suffix decides how it is read)."""
        return EXAMPLE_FILES[self.language][0]

    @property
    def fence(self) -> str:
        return EXAMPLE_FILES[self.language][1]


@dataclass(frozen=True)
class PoolerSetup:
    """What the user told about their pooler (config `pgbouncer-version`, `max-prepared-statements`,
    `track-extra-parameters`, `ignore-startup-parameters`)."""

    pgbouncer_version: tuple[int, ...] = ()
    max_prepared_statements: int | None = None
    track_extra_parameters: tuple[str, ...] | None = None  # None: PgBouncer's default (IntervalStyle)
    ignore_startup_parameters: tuple[str, ...] = ()  # PgBouncer's `ignore_startup_parameters`

    def tracks(self, parameter: str) -> bool:
        """PgBouncer restores ``parameter`` per client: ``track_extra_parameters`` exists from 1.20
        (default ``IntervalStyle``); PostgreSQL must also report the parameter (GUC_REPORT)."""
        if not self.pgbouncer_version or self.pgbouncer_version < (1, 20):
            return False
        extras = ("IntervalStyle",) if self.track_extra_parameters is None else self.track_extra_parameters
        return parameter.lower() in {name.lower() for name in extras}

    @property
    def pgbouncer_prepared_statements(self) -> bool:
        """PgBouncer tracks protocol-level prepared statements: 1.21+, max_prepared_statements > 0
        (the default is 200 from 1.24 and 0 before)."""
        if not self.pgbouncer_version or self.pgbouncer_version < (1, 21):
            return False
        limit = self.max_prepared_statements
        if limit is None:
            limit = 200 if self.pgbouncer_version >= (1, 24) else 0
        return limit > 0


@dataclass(frozen=True)
class ConsequenceIf:
    """A rule's consequence on a target when the user's pooler setup allows it (``[[consequence-if]]``)."""

    target: str
    consequence: str
    pgbouncer_version: tuple[int, ...] = ()  # at least this version
    prepared_statements: bool = False  # PgBouncer tracks prepared statements
    tracks: tuple[str, ...] = ()  # PgBouncer tracks these parameters (`track_extra_parameters`)
    ignores: tuple[str, ...] = ()  # PgBouncer ignores these startup parameters (`ignore_startup_parameters`)

    def holds(self, setup: PoolerSetup) -> bool:
        if self.pgbouncer_version and (not setup.pgbouncer_version or setup.pgbouncer_version < self.pgbouncer_version):
            return False
        if not all(setup.tracks(parameter) for parameter in self.tracks):
            return False
        ignored = {name.lower() for name in setup.ignore_startup_parameters}
        if not all(name.lower() in ignored for name in self.ignores):
            return False
        return not self.prepared_statements or setup.pgbouncer_prepared_statements


def parse_version(text: str) -> tuple[int, ...]:
    """``"1.24.1"`` -> (1, 24, 1); ValueError when it is not dotted numbers."""
    if not re.fullmatch(r"\d+(\.\d+)*", text.strip()):
        raise ValueError(f"not a version: {text!r}")
    return tuple(int(part) for part in text.strip().split("."))


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    severity: str
    dialects: tuple[str, ...]
    message: str
    fix: str
    targets: dict[str, str]
    kind: Kind
    what: str
    why: str
    references: tuple[str, ...]
    bad: tuple[Example, ...]
    good: tuple[Example, ...]
    file: str
    notes: str = ""
    consequence: str = ""  # what happens on the poolers, the line after the message
    consequence_if: tuple[ConsequenceIf, ...] = ()
    default_enabled: bool = True  # off-by-default rules run only when selected by code, name or ALL
    about_pinlint: bool = False  # ok on every pooler by nature (e.g. unused suppressions): --target keeps it
    autofix: FixSpec | None = None  # the rule's [autofix] table: how pinlint.fix fixes its findings

    def for_setup(self, setup: PoolerSetup) -> Rule:
        """This rule with its consequences adjusted to the user's pooler setup."""
        targets = dict(self.targets)
        for override in self.consequence_if:
            if override.holds(setup):
                targets[override.target] = override.consequence
        return self if targets == self.targets else replace(self, targets=targets)

    def applies_to(self, targets: tuple[str, ...]) -> bool:
        """True when the rule's consequence on any of ``targets`` is not ``ok``, and for rules
        about pinlint itself (ok on every pooler, such as unused suppressions)."""
        if self.about_pinlint:
            return True
        return any(self.targets.get(target, "ok") != "ok" for target in targets)


def rules_directory() -> Path:
    packaged = Path(__file__).parent / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "rules"


EXAMPLE_KEYS = (
    Key("python", STRING, "The example as Python source."),
    Key("sql", STRING, "The example as a .sql file."),
    Key("yaml", STRING, "The example as a SAM or CloudFormation template in YAML."),
    Key("json", STRING, "The example as a CloudFormation template in JSON."),
    Key("terraform", STRING, "The example as a Terraform file."),
    Key("cdk", STRING, "The example as an AWS CDK app in Python."),
    Key("at", ANY, "Where the findings are, `[line, column]` or a list of them (bad examples)."),
    Key("note", STRING, "What the example shows."),
)
RULE_FILE_KEYS = (
    Key("code", STRING, "PIN and three digits.", required=True),
    Key("name", STRING, "kebab-case.", required=True),
    Key("summary", STRING, "One line.", required=True),
    Key("severity", STRING, "How bad.", choices=SEVERITIES),
    Key("dialects", STRINGS, "The SQL dialects the rule applies to.", choices=DIALECTS),
    Key("enabled-by-default", BOOLEAN, "Off-by-default rules run only when selected."),
    Key("message", STRING, "The first line: what was found (90 characters of its own).", required=True),
    Key("consequence", STRING, "What happens on the poolers, one sentence: the line after the message."),
    Key("fix", STRING, "What to write instead.", required=True),
    Key("targets", FREE_TABLE, "The consequence on each pooler.", required=True),
    Key(
        "consequence-if",
        TABLES,
        "A consequence that holds for some pooler setups.",
        keys=(
            Key("target", STRING, "The pooler.", required=True, choices=TARGETS),
            Key("consequence", STRING, "The consequence.", required=True, choices=CONSEQUENCES),
            Key("pgbouncer-version", STRING, "At least this PgBouncer version."),
            Key("prepared-statements", BOOLEAN, "PgBouncer tracks prepared statements."),
            Key("tracks", STRINGS, "PgBouncer tracks these parameters (track_extra_parameters)."),
            Key("ignores-startup-parameters", STRINGS, "PgBouncer ignores these startup parameters."),
        ),
    ),
    Key("match", FREE_TABLE, "The kind and its keys (docs/rule-kinds.md).", required=True),
    Key("autofix", FREE_TABLE, "The fix action and its keys (pinlint/fix/schema.py): what `--fix` applies."),
    Key(
        "integration",
        FREE_TABLE,
        "How tests/integration/ runs the examples on a real PgBouncer: the probe that shows the state, runnable forms.",
    ),
    Key(
        "docs",
        TABLE,
        "The rule's documentation.",
        required=True,
        keys=(
            Key("what", STRING, "What it flags.", required=True),
            Key("why", STRING, "Why it matters.", required=True),
            Key("notes", STRING, "Anything else."),
            Key("references", STRINGS, "Sources."),
        ),
    ),
    Key(
        "examples",
        TABLE,
        "Examples the test suite runs.",
        keys=(
            Key("bad", TABLES, "Flagged.", keys=EXAMPLE_KEYS),
            Key("good", TABLES, "Not flagged.", keys=EXAMPLE_KEYS),
        ),
    ),
)


def _is_position(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(type(number) is int for number in value)


def _positions(value: Any) -> tuple[tuple[int, int], ...] | None:
    """``[line, column]`` or ``[[line, column], ...]`` as positions; None when it is neither."""
    if _is_position(value):
        return ((value[0], value[1]),)
    if isinstance(value, list) and all(_is_position(item) for item in value):
        return tuple((item[0], item[1]) for item in value)
    return None


def _examples(data: list[dict[str, Any]], where: str, bad: bool) -> tuple[Example, ...]:
    examples = []
    for item in data:
        languages = [key for key in EXAMPLE_LANGUAGES if key in item]
        if len(languages) != 1:
            raise CatalogError(f"{where}: each example needs exactly one of `{'`, `'.join(EXAMPLE_LANGUAGES)}`")
        at = _positions(item.get("at", []))
        if at is None:
            raise CatalogError(f"{where}: `at` must be [line, column] or a list of them")
        if bad and not at:
            raise CatalogError(f"{where}: a bad example needs `at = [line, column]`")
        examples.append(Example(language=languages[0], source=item[languages[0]], at=at, note=item.get("note", "")))
    return tuple(examples)


PARSED_CATALOG = "parsed-catalog.json"  # in rules/: each file's TOML as JSON, by the file's digest


def parsed_catalog(directory: Path) -> dict[str, Any]:
    """Each rule file's name -> [sha256 of its bytes, its TOML data]: what ``write_parsed_catalog``
    wrote, so a run decodes JSON (C-fast) instead of 100 TOML files; {} when it is missing or bad."""
    try:
        found = json.loads((directory / PARSED_CATALOG).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def write_parsed_catalog(directory: Path) -> None:
    """Rewrite ``rules/parsed-catalog.json`` from the rule files (``python -m pinlint.rulesdoc``)."""
    entries = {}
    for path in sorted(directory.glob("PIN*.toml")):
        data = path.read_bytes()
        entries[path.name] = [hashlib.sha256(data).hexdigest(), tomllib.loads(data.decode("utf-8"))]
    lines = (
        f"{json.dumps(name)}: {json.dumps(entry, ensure_ascii=False, sort_keys=True)}"
        for name, entry in entries.items()
    )
    text = "{\n" + ",\n".join(lines) + "\n}\n"  # a rule file per line, so a change is one line of diff
    (directory / PARSED_CATALOG).write_text(text, encoding="utf-8")


def load_rule(path: Path, parsed: dict[str, Any] | None = None) -> Rule:
    """The rule of one file; its TOML is taken from ``parsed`` (``parsed_catalog``) when the entry
    was made from these very bytes, else parsed here."""
    file = path.name
    where = f"{path.parent.name}/{file}"  # rules/PIN001-....toml, as errors name it
    try:
        raw = path.read_bytes()
        entry = (parsed or {}).get(file)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == hashlib.sha256(raw).hexdigest():
            data = entry[1]
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"{where}: {error}") from error
    try:
        validate(data, RULE_FILE_KEYS, "")
        kind = build_kind(data["match"])
    except SchemaError as error:
        raise CatalogError(f"{where}: {error}") from error
    code, name = data["code"], data["name"]
    if not CODE_RE.match(code):
        raise CatalogError(f"{where}: code `{code}` must look like PIN001")
    if not NAME_RE.match(name):
        raise CatalogError(f"{where}: name `{name}` must be kebab-case")
    if not file.startswith(f"{code}-{name}."):
        raise CatalogError(f"{where}: the file must be named {code}-{name}.toml")
    severity = data.get("severity", "warning")
    dialects = tuple(data.get("dialects", [POSTGRES]))
    try:
        autofix = (
            build_fix_spec(data["autofix"], data["match"].get("kind", ""), dialects) if "autofix" in data else None
        )
    except SchemaError as error:
        raise CatalogError(f"{where}: {error}") from error
    if not dialects:
        raise CatalogError(f"{where}: `dialects` must list some of {', '.join(DIALECTS)}")
    relevant = tuple(target for target in TARGETS if set(TARGET_DIALECTS[target]) & set(dialects))
    targets = data["targets"]
    for target, consequence in targets.items():
        if target not in relevant or consequence not in CONSEQUENCES:
            raise CatalogError(f"{where}: bad target entry `{target} = {consequence!r}`")
    overrides = []
    for entry in data.get("consequence-if", []):
        try:
            version = parse_version(entry["pgbouncer-version"]) if "pgbouncer-version" in entry else ()
        except ValueError as error:
            raise CatalogError(f"{where}: [[consequence-if]] {error}") from error
        overrides.append(
            ConsequenceIf(
                target=entry["target"],
                consequence=entry["consequence"],
                pgbouncer_version=version,
                prepared_statements=bool(entry.get("prepared-statements", False)),
                tracks=tuple(str(name) for name in entry.get("tracks", [])),
                ignores=tuple(str(name) for name in entry.get("ignores-startup-parameters", [])),
            )
        )
    docs = data["docs"]
    examples = data.get("examples", {})
    return Rule(
        code=code,
        name=name,
        summary=data["summary"],
        severity=severity,
        dialects=dialects,
        message=data["message"],
        consequence=data.get("consequence", ""),
        fix=data["fix"],
        targets={target: targets.get(target, "ok") for target in relevant},
        kind=kind,
        what=docs["what"],
        why=docs["why"],
        notes=docs.get("notes", ""),
        references=tuple(docs.get("references", [])),
        bad=_examples(examples.get("bad", []), where, bad=True),
        good=_examples(examples.get("good", []), where, bad=False),
        file=file,
        consequence_if=tuple(overrides),
        default_enabled=data.get("enabled-by-default", True),
        about_pinlint=all(targets.get(target, "ok") == "ok" for target in relevant),
        autofix=autofix,
    )


@lru_cache(maxsize=4)
def load_catalog(directory: Path | None = None) -> tuple[Rule, ...]:
    """All rules, sorted by code; raises CatalogError on the first malformed file."""
    directory = directory or rules_directory()
    parsed = parsed_catalog(directory)
    rules = [load_rule(path, parsed) for path in sorted(directory.glob("PIN*.toml"))]
    seen: dict[str, str] = {}
    for rule in rules:
        for key in (rule.code, rule.name):
            if key in seen:
                raise CatalogError(f"{rule.file}: `{key}` is also used by {seen[key]}")
            seen[key] = rule.file
    return tuple(sorted(rules, key=lambda rule: rule.code))
