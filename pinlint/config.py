"""Settings: one frozen dataclass, read from ``[tool.pinlint]`` or ``pinlint.toml``, then the CLI.

Discovery walks up from the current directory to the first ``pinlint.toml``, ``.pinlint.toml``
or ``pyproject.toml`` with a ``[tool.pinlint]`` table (in that order within one directory).
Paths in the config (excludes, per-file-ignores) are relative to the config file's directory.
An unknown key or a value of the wrong type is a ConfigError naming the key and the file.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from pinlint.catalog import TARGETS, PoolerSetup, Rule, parse_version
from pinlint.sql.lexer import DIALECTS, POSTGRES

OUTPUT_FORMATS = ("full", "concise", "json", "json-lines", "sarif", "github", "gitlab", "junit", "pylint")
MACHINE_FORMATS = ("json", "json-lines", "sarif", "github", "gitlab", "junit")  # no summary line mixed in
TARGET_CHOICES = ("all", *TARGETS)
DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".env",
    "env",
    "virtualenv",
    ".tox",
    ".nox",
    "__pycache__",
    "node_modules",
    "build",
    "dist",
    "site-packages",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".pinlint_cache",
    "*.egg-info",
)
CONFIG_FILES = ("pinlint.toml", ".pinlint.toml", "pyproject.toml")


class ConfigError(ValueError):
    """The configuration is wrong; the message names the key and the file."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()  # empty: the rules enabled by default
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    target: str = "all"
    target_list: tuple[str, ...] = ()  # `targets = [...]`: several poolers (a single `target` wins)
    output_format: str = "full"
    exit_zero: bool = False
    statistics: bool = False
    quiet: bool = False
    color: bool | None = None
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    force_exclude: bool = False
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sinks: tuple[str, ...] = ()
    handlers: tuple[str, ...] = ()
    pgbouncer_version: str = ""
    cache_dir: str = ""
    max_prepared_statements: int | None = None
    track_extra_parameters: tuple[str, ...] | None = None  # None: PgBouncer's default
    ignore_startup_parameters: tuple[str, ...] = ()
    dialect: str = POSTGRES
    per_path_dialect: dict[str, str] = field(default_factory=dict)
    dialect_origin: str = ""  # where `dialect` was set ("" when it is pinlint's default)
    root: Path = field(default_factory=Path.cwd)
    config_file: Path | None = None

    @property
    def pooler_setup(self) -> PoolerSetup:
        version = parse_version(self.pgbouncer_version) if self.pgbouncer_version else ()
        return PoolerSetup(
            version, self.max_prepared_statements, self.track_extra_parameters, self.ignore_startup_parameters
        )

    @property
    def targets(self) -> tuple[str, ...]:
        if self.target != "all":
            return (self.target,)
        return self.target_list or TARGETS


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _choice(choices: tuple[str, ...]) -> Callable[[Any], bool]:
    return lambda value: value in choices


def _version(value: Any) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"\d+(\.\d+)*", value.strip()))


def _per_path_dialect(value: Any) -> bool:
    return isinstance(value, dict) and all(dialect in DIALECTS for dialect in value.values())


def _per_file(value: Any) -> bool:
    return isinstance(value, dict) and all(_strings(codes) for codes in value.values())


# key -> (Settings field, validator, description of the expected value)
KEYS: dict[str, tuple[str, Callable[[Any], bool], str]] = {
    "select": ("select", _strings, "a list of rule codes or prefixes"),
    "extend-select": ("extend_select", _strings, "a list of rule codes or prefixes"),
    "ignore": ("ignore", _strings, "a list of rule codes or prefixes"),
    "target": ("target", _choice(TARGET_CHOICES), f"one of {', '.join(TARGET_CHOICES)}"),
    "targets": (
        "target_list",
        lambda value: _strings(value) and bool(value) and all(item in TARGETS for item in value),
        f"a non-empty list of poolers among {', '.join(TARGETS)}",
    ),
    "output-format": ("output_format", _choice(OUTPUT_FORMATS), f"one of {', '.join(OUTPUT_FORMATS)}"),
    "exit-zero": ("exit_zero", lambda value: isinstance(value, bool), "true or false"),
    "statistics": ("statistics", lambda value: isinstance(value, bool), "true or false"),
    "quiet": ("quiet", lambda value: isinstance(value, bool), "true or false"),
    "color": ("color", lambda value: isinstance(value, bool), "true or false"),
    "exclude": ("exclude", _strings, "a list of glob patterns"),
    "extend-exclude": ("extend_exclude", _strings, "a list of glob patterns"),
    "respect-gitignore": ("respect_gitignore", lambda value: isinstance(value, bool), "true or false"),
    "force-exclude": ("force_exclude", lambda value: isinstance(value, bool), "true or false"),
    "per-file-ignores": ("per_file_ignores", _per_file, "a table of glob = [codes]"),
    "sinks": ("sinks", _strings, "a list of dotted function names (or *.method)"),
    "handlers": ("handlers", _strings, 'a list of "path/module.py:function" Lambda handlers'),
    "dialect": ("dialect", _choice(DIALECTS), f"one of {', '.join(DIALECTS)}"),
    "per-path-dialect": (
        "per_path_dialect",
        _per_path_dialect,
        f'a table of glob = dialect (one of {", ".join(DIALECTS)}), e.g. {{"migrations/mysql/**" = "mysql"}}',
    ),
    "cache-dir": ("cache_dir", lambda value: isinstance(value, str), "a directory path"),
    "pgbouncer-version": ("pgbouncer_version", _version, 'a version string such as "1.24"'),
    "max-prepared-statements": (
        "max_prepared_statements",
        lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        "a whole number (0 turns prepared-statement support off)",
    ),
    "track-extra-parameters": (
        "track_extra_parameters",
        _strings,
        'a list of parameter names, as in PgBouncer\'s `track_extra_parameters` (default ["IntervalStyle"])',
    ),
    "ignore-startup-parameters": (
        "ignore_startup_parameters",
        _strings,
        'a list of startup parameter names, as in PgBouncer\'s `ignore_startup_parameters` (e.g. ["options"])',
    ),
}


def find_config(start: Path) -> Path | None:
    directory = start.resolve()
    for candidate in (directory, *directory.parents):
        for name in CONFIG_FILES:
            path = candidate / name
            if not path.is_file():
                continue
            if name != "pyproject.toml":
                return path
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
            except tomllib.TOMLDecodeError as error:
                raise ConfigError(f"{path} is not valid TOML: {error}") from None
            if "pinlint" in data.get("tool", {}):
                return path
    return None


def _table(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("pinlint", {})
    else:
        table = data.get("tool", {}).get("pinlint", data) if "tool" in data else data
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.pinlint] in {path} must be a table")
    return table


def apply_values(settings: Settings, values: dict[str, Any], origin: str) -> Settings:
    """Validate ``values`` (config keys) and return updated settings."""
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in KEYS:
            known = ", ".join(sorted(KEYS))
            raise ConfigError(f"unknown key `{key}` in {origin} (known keys: {known})")
        name, valid, expected = KEYS[key]
        if not valid(value):
            raise ConfigError(f"`{key}` in {origin} must be {expected}, not {value!r}")
        if name == "per_file_ignores":
            value = {glob: tuple(codes) for glob, codes in value.items()}
        elif name == "per_path_dialect":
            value = dict(value)
        elif name == "target" and origin == "the command line":
            changes["target_list"] = ()  # `--target` replaces the configured list, `all` included
        elif name == "dialect":
            changes["dialect_origin"] = "--dialect" if origin == "the command line" else "the configured `dialect`"
        elif isinstance(value, list):
            value = tuple(value)
        changes[name] = value
    return replace(settings, **changes)


def load_settings(config_file: Path | None, start: Path) -> Settings:
    path = config_file if config_file is not None else find_config(start)
    if path is None:
        return Settings(root=start.resolve())
    settings = Settings(root=path.resolve().parent, config_file=path)
    label = f"[tool.pinlint] of {path}" if path.name == "pyproject.toml" else str(path)
    return apply_values(settings, _table(path), label)


def resolve_selection(settings: Settings, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """The rules enabled by select / extend-select / ignore; unknown selectors are errors."""

    def expand(selector: str, option: str) -> set[str]:
        key = selector.strip()
        if key.upper() == "ALL":
            return {rule.code for rule in rules}
        exact = {rule.code for rule in rules if rule.code == key.upper() or rule.name == key}
        if exact:
            return exact
        matched = [rule for rule in rules if rule.code.startswith(key.upper())]
        if not matched:
            raise ConfigError(f"unknown rule selector `{selector}` in {option}")
        # a prefix picks the rules that are on by default, unless it names only opt-in ones
        enabled = {rule.code for rule in matched if rule.default_enabled}
        return enabled or {rule.code for rule in matched}

    chosen: set[str] = set() if settings.select else {rule.code for rule in rules if rule.default_enabled}
    for selector in settings.select:
        chosen |= expand(selector, "select")
    for selector in settings.extend_select:
        chosen |= expand(selector, "extend-select")
    for selector in settings.ignore:
        chosen -= expand(selector, "ignore")
    for codes in settings.per_file_ignores.values():
        for selector in codes:
            expand(selector, "per-file-ignores")
    return tuple(rule for rule in rules if rule.code in chosen)
