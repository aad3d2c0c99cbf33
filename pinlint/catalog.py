"""Load rules/ (one TOML file per rule) into Rule objects with compiled matchers.

The catalog is data: a rule names a matcher kind from pinlint.matchers and configures it.
The rules directory ships inside the wheel as ``pinlint/rules``; in a source checkout it is
the top-level ``rules/`` beside the package.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from pinlint.matchers import Matcher, build_matcher
from pinlint.sql.lexer import DIALECTS, MYSQL, POSTGRES

TARGETS = ("rds-proxy", "pgbouncer", "proxysql")
# The databases each pooler fronts: a rule lists its consequence on the targets of its dialects.
TARGET_DIALECTS = {"rds-proxy": (POSTGRES, MYSQL), "pgbouncer": (POSTGRES,), "proxysql": (MYSQL,)}
# "may-pin": the vendor says it sometimes pins; "undocumented": no source says, treat it as a risk.
CONSEQUENCES = ("pins", "may-pin", "breaks", "errors", "churns", "wastes", "undocumented", "ok")
SEVERITIES = ("error", "warning")
CODE_RE = re.compile(r"^PIN\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class CatalogError(ValueError):
    """A rule file is malformed."""


@dataclass(frozen=True)
class Example:
    language: str  # "python" or "sql"
    source: str
    at: tuple[int, int] | None  # expected (line, column) of the finding, for bad examples
    note: str = ""


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
    matcher: Matcher
    what: str
    why: str
    references: tuple[str, ...]
    bad: tuple[Example, ...]
    good: tuple[Example, ...]
    file: str
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    consequence_if: tuple[ConsequenceIf, ...] = ()
    default_enabled: bool = True  # off-by-default rules run only when selected by code, name or ALL
    about_pinlint: bool = False  # ok on every pooler by nature (e.g. unused suppressions): --target keeps it

    def for_setup(self, setup: PoolerSetup) -> Rule:
        """This rule with its consequences adjusted to the user's pooler setup."""
        targets = dict(self.targets)
        for override in self.consequence_if:
            if override.holds(setup):
                targets[override.target] = override.consequence
        return self if targets == self.targets else replace(self, targets=targets)

    @property
    def doc(self) -> str:
        """Where a user reads this rule's documentation: the CLI renders it from this file."""
        return f"pinlint rule {self.code}"

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


def _require(data: dict[str, Any], key: str, kind: type, file: str) -> Any:
    if key not in data:
        raise CatalogError(f"{file}: missing key `{key}`")
    value = data[key]
    if not isinstance(value, kind):
        raise CatalogError(f"{file}: `{key}` must be a {kind.__name__}")
    return value


def _examples(data: list[dict[str, Any]], file: str, bad: bool) -> tuple[Example, ...]:
    examples = []
    for item in data:
        languages = [key for key in ("python", "sql") if key in item]
        if len(languages) != 1:
            raise CatalogError(f"{file}: each example needs exactly one of `python` or `sql`")
        at = item.get("at")
        if bad and (not isinstance(at, list) or len(at) != 2):
            raise CatalogError(f"{file}: a bad example needs `at = [line, column]`")
        examples.append(
            Example(
                language=languages[0],
                source=item[languages[0]],
                at=(int(at[0]), int(at[1])) if at else None,
                note=item.get("note", ""),
            )
        )
    return tuple(examples)


def load_rule(path: Path) -> Rule:
    file = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"{file}: {error}") from error
    code = _require(data, "code", str, file)
    name = _require(data, "name", str, file)
    if not CODE_RE.match(code):
        raise CatalogError(f"{file}: code `{code}` must look like PIN001")
    if not NAME_RE.match(name):
        raise CatalogError(f"{file}: name `{name}` must be kebab-case")
    if not file.startswith(f"{code}-{name}."):
        raise CatalogError(f"{file}: the file must be named {code}-{name}.toml")
    severity = data.get("severity", "warning")
    if severity not in SEVERITIES:
        raise CatalogError(f"{file}: severity must be one of {', '.join(SEVERITIES)}")
    dialects = tuple(data.get("dialects", [POSTGRES]))
    if not dialects or any(dialect not in DIALECTS for dialect in dialects):
        raise CatalogError(f"{file}: `dialects` must list some of {', '.join(DIALECTS)}")
    relevant = tuple(target for target in TARGETS if set(TARGET_DIALECTS[target]) & set(dialects))
    targets = _require(data, "targets", dict, file)
    for target, consequence in targets.items():
        if target not in relevant or consequence not in CONSEQUENCES:
            raise CatalogError(f"{file}: bad target entry `{target} = {consequence!r}`")
    overrides = []
    for entry in data.get("consequence-if", []):
        if not isinstance(entry, dict) or entry.get("target") not in TARGETS:
            raise CatalogError(f"{file}: each [[consequence-if]] needs a known `target`")
        if entry.get("consequence") not in CONSEQUENCES:
            raise CatalogError(f"{file}: [[consequence-if]] `consequence` must be one of {', '.join(CONSEQUENCES)}")
        try:
            version = parse_version(entry["pgbouncer-version"]) if "pgbouncer-version" in entry else ()
        except ValueError as error:
            raise CatalogError(f"{file}: [[consequence-if]] {error}") from error
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
    docs = _require(data, "docs", dict, file)
    examples = data.get("examples", {})
    try:
        matcher = build_matcher(_require(data, "match", dict, file))
    except ValueError as error:
        raise CatalogError(f"{file}: {error}") from error
    return Rule(
        code=code,
        name=name,
        summary=_require(data, "summary", str, file),
        severity=severity,
        dialects=dialects,
        message=_require(data, "message", str, file),
        fix=_require(data, "fix", str, file),
        targets={target: targets.get(target, "ok") for target in relevant},
        matcher=matcher,
        what=_require(docs, "what", str, file),
        why=_require(docs, "why", str, file),
        notes=docs.get("notes", ""),
        references=tuple(docs.get("references", [])),
        bad=_examples(examples.get("bad", []), file, bad=True),
        good=_examples(examples.get("good", []), file, bad=False),
        file=file,
        consequence_if=tuple(overrides),
        default_enabled=bool(data.get("enabled-by-default", True)),
        about_pinlint=all(targets.get(target, "ok") == "ok" for target in relevant),
    )


@lru_cache(maxsize=4)
def load_catalog(directory: Path | None = None) -> tuple[Rule, ...]:
    """All rules, sorted by code; raises CatalogError on the first malformed file."""
    directory = directory or rules_directory()
    rules = [load_rule(path) for path in sorted(directory.glob("PIN*.toml"))]
    seen: dict[str, str] = {}
    for rule in rules:
        for key in (rule.code, rule.name):
            if key in seen:
                raise CatalogError(f"{rule.file}: `{key}` is also used by {seen[key]}")
            seen[key] = rule.file
    return tuple(sorted(rules, key=lambda rule: rule.code))
