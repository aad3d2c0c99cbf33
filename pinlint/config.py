"""Settings: one frozen dataclass, read from ``[tool.pinlint]`` or ``pinlint.toml``, then the CLI.

Each file gets the configuration nearest above it (as ruff does): the first ``pinlint.toml``,
``.pinlint.toml`` or ``pyproject.toml`` with a ``[tool.pinlint]`` table (in that order within one
directory), found by ``SettingsResolver``, which resolves each configuration once and remembers
each directory's. ``extend = "path"`` puts another configuration under one, key by key; the
command line's ``--config key=value`` overrides and options go on top of every configuration.
Paths in the config (excludes, per-file-ignores) are relative to the config file's directory
(for inherited keys too: the directory of the configuration the file gets).
An unknown key or a value of the wrong type is a ConfigError naming the key and the file; so is
a value of the right type that cannot mean anything (an empty rule selector, a glob git would
not match with, a handler without its ``:function``, a sink that is not a dotted name).
A configuration file that cannot be read (not a regular file, permission denied, not UTF-8,
not TOML, a ``tool`` that is not a table) is a ConfigError naming the file: pinlint never falls
back to the defaults, or to a parent's configuration, because a file it meant to read was bad.

The project root (``Settings.project_root``, where the result cache goes, as ruff does) is the
directory of the configuration file, else the repository around the first linted path (the
nearest directory above it with ``.git``), else the current directory.
"""

from __future__ import annotations

import os
import re
import stat
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
from pinlint.dialect import EMBEDDED
from pinlint.files import MAX_CONFIG_BYTES, UnreadableFile, inspect, read_text
from pinlint.globs import pattern_problem
from pinlint.paths import ancestors, nearest_ancestor
from pinlint.sql.lexer import DIALECTS, POSTGRES

OUTPUT_FORMATS = ("full", "concise", "json", "json-lines", "sarif", "github", "gitlab", "junit", "pylint")
MACHINE_FORMATS = ("json", "json-lines", "sarif", "github", "gitlab", "junit")  # no summary line mixed in
TARGET_CHOICES = ("auto", "all", *TARGETS)
# `per-path-target` values: a pooler, no pooler, the RDS Data API, or every target
PER_PATH_TARGETS = ("all", *TARGETS, "direct", "data-api")
# Names that mean one thing only. Virtual environments (by their pyvenv.cfg) and build output
# (`build`, `dist` beside a project file) are recognised by pinlint.discover, not by name.
DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    ".env",
    ".direnv",
    ".aws-sam",  # AWS SAM's build output and cache
    ".tox",
    ".nox",
    "__pycache__",
    "node_modules",
    "site-packages",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".pinlint_cache",
    "*.egg-info",
)
COMMAND_LINE = "the command line"  # the origin of the values given as options
CONFIG_FILES = ("pinlint.toml", ".pinlint.toml", "pyproject.toml")


class ConfigError(ValueError):
    """The configuration is wrong; the message names the key and the file."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()  # empty: the rules enabled by default
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    target: str = "auto"  # auto: the pooler each file's function uses, where the project shows it (pinlint.targets)
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
    per_path_target: dict[str, str] = field(default_factory=dict)
    dialect_origin: str = ""  # where `dialect` was set ("" when it is pinlint's default)
    root: Path = field(default_factory=Path.cwd)
    config_file: Path | None = None
    project_root: Path = field(default_factory=Path.cwd)  # where the result cache goes

    @property
    def pooler_setup(self) -> PoolerSetup:
        version = parse_version(self.pgbouncer_version) if self.pgbouncer_version else ()
        return PoolerSetup(
            version, self.max_prepared_statements, self.track_extra_parameters, self.ignore_startup_parameters
        )

    @property
    def targets(self) -> tuple[str, ...]:
        if self.target not in ("all", "auto"):
            return (self.target,)
        return self.target_list or TARGETS

    @property
    def auto_target(self) -> bool:
        """Whether each file's targets are those of its function (``target = "auto"``, the
        default, with no `targets` list: a list the user gives is what they chose)."""
        return self.target == "auto" and not self.target_list


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _choice(choices: tuple[str, ...]) -> Callable[[Any], bool]:
    return lambda value: value in choices


def _version(value: Any) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"\d+(\.\d+)*", value.strip()))


# per-path-dialect may also say that a path's SQL goes to a database no pooler fronts (pinlint.dialect)
PATH_DIALECTS = (*DIALECTS, EMBEDDED)


def _per_path_dialect(value: Any) -> bool:
    return isinstance(value, dict) and all(dialect in PATH_DIALECTS for dialect in value.values())


def _per_path_target(value: Any) -> bool:
    return isinstance(value, dict) and all(target in PER_PATH_TARGETS for target in value.values())


def _per_file(value: Any) -> bool:
    return isinstance(value, dict) and all(_strings(codes) for codes in value.values())


def _selectors(values: list[str], what: str = "") -> str:
    if any(not value.strip() for value in values):
        return f"an empty rule selector{what} selects nothing (write a code, a prefix, a name or ALL)"
    return ""


def _globs(globs: Any, what: str = "") -> str:
    for glob in globs:
        problem = pattern_problem(glob)
        if problem:
            return f"the glob `{glob}`{what} is not valid: {problem}"
    return ""


def _per_file_selectors(table: dict[str, list[str]]) -> str:
    problems = (_selectors(codes, f" (for `{glob}`)") for glob, codes in table.items())
    return next((problem for problem in problems if problem), "")


def _sink(value: str) -> bool:
    name = value.removeprefix("*.")
    return all(part.isidentifier() for part in name.split(".")) and (value == name or "." not in name)


def _handler(value: str) -> bool:
    file, colon, function = value.rpartition(":")
    return bool(colon and file.strip() and function.isidentifier())


# key -> what makes a value of the right type meaningless ('' when nothing does)
CONTENT_CHECKS: dict[str, Callable[[Any], str]] = {
    "select": _selectors,
    "extend-select": _selectors,
    "ignore": _selectors,
    "exclude": _globs,
    "extend-exclude": _globs,
    "per-file-ignores": lambda table: _globs(table) or _per_file_selectors(table),
    "per-path-dialect": _globs,
    "per-path-target": _globs,
    "sinks": lambda sinks: next(
        (f"`{sink}` is not a dotted function name or `*.method`" for sink in sinks if not _sink(sink)), ""
    ),
    "handlers": lambda handlers: next(
        (f'`{entry}` is not "path/module.py:function"' for entry in handlers if not _handler(entry)), ""
    ),
}


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
        f'a table of glob = dialect (one of {", ".join(PATH_DIALECTS)}), e.g. {{"migrations/mysql/**" = "mysql"}}',
    ),
    "per-path-target": (
        "per_path_target",
        _per_path_target,
        f'a table of glob = target (one of {", ".join(PER_PATH_TARGETS)}), e.g. {{"workers/**" = "pgbouncer"}}',
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


def _toml(path: Path) -> dict[str, Any]:
    """The TOML document in ``path``; ConfigError when it cannot be read or parsed."""
    try:
        text = read_text(path, MAX_CONFIG_BYTES)
    except UnreadableFile as error:
        joiner = " " if str(error) == "does not exist" else ": "
        raise ConfigError(f"config file {path}{joiner}{error}") from None
    try:
        document: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{path} is not valid TOML: nested too deeply") from None
    except Exception as error:  # the parser's own failure: still one line naming the file
        raise ConfigError(f"{path} cannot be read as TOML ({type(error).__name__}: {error})") from None
    return document


def _tool(data: dict[str, Any], path: Path) -> dict[str, Any] | None:
    """The ``tool`` table of a TOML document (None when there is none)."""
    tool = data.get("tool")
    if tool is not None and not isinstance(tool, dict):
        raise ConfigError(f"`tool` in {path} must be a table, not {tool!r}")
    return tool


def find_config(start: Path) -> Path | None:
    """The configuration file that applies to ``start``: the first pinlint.toml, .pinlint.toml or
    pyproject.toml with a [tool.pinlint] table in it or the nearest directory above it."""
    for candidate in ancestors(start.resolve()):
        found = _config_in(candidate)
        if found is not None:
            return found
    return None


def _config_in(directory: Path) -> Path | None:
    """The configuration file of ``directory`` itself, if it has one."""
    for name in CONFIG_FILES:
        path = directory / name
        status = inspect(path)
        if status in ("does not exist", "permission denied"):  # a directory without x: nothing here can be read
            continue
        if not isinstance(status, str) and stat.S_ISDIR(status.st_mode):
            continue
        if name != "pyproject.toml":
            return path
        tool = _tool(_toml(path), path)
        if tool is not None and "pinlint" in tool:
            return path
    return None


def _table(path: Path) -> dict[str, Any]:
    data = _toml(path)
    tool = _tool(data, path)
    if path.name == "pyproject.toml":
        table = (tool or {}).get("pinlint", {})
    else:
        table = tool.get("pinlint", data) if tool is not None else data
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.pinlint] in {path} must be a table")
    return table


def repository_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` that holds ``.git``."""
    return nearest_ancestor(start.resolve(), (".git",), holds=os.path.lexists)


def apply_values(settings: Settings, values: dict[str, Any], origin: str) -> Settings:
    """Validate ``values`` (config keys) and return updated settings."""
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in KEYS:
            known = ", ".join(sorted(KEYS))
            raise ConfigError(f"unknown key `{key}` in {origin} (known keys: {known})")
        name, valid, expected = KEYS[key]
        if not valid(value):
            named = f"`--{key}`" if origin == COMMAND_LINE else f"`{key}` in {origin}"
            raise ConfigError(f"{named} must be {expected}, not {value!r}")
        problem = CONTENT_CHECKS[key](value) if key in CONTENT_CHECKS else ""
        if problem:
            named = f"`--{key}`" if origin == COMMAND_LINE else f"`{key}` in {origin}"
            raise ConfigError(f"{named}: {problem}")
        if name == "per_file_ignores":
            value = {glob: tuple(codes) for glob, codes in value.items()}
        elif name in ("per_path_dialect", "per_path_target"):
            value = dict(value)
        elif name == "target" and origin == COMMAND_LINE:
            changes["target_list"] = ()  # `--target` replaces the configured list, `all` included
        elif name == "dialect":
            changes["dialect_origin"] = "--dialect" if origin == COMMAND_LINE else "the configured `dialect`"
        elif isinstance(value, list):
            value = tuple(value)
        changes[name] = value
    return replace(settings, **changes)


def _label(path: Path) -> str:
    return f"[tool.pinlint] of {path}" if path.name == "pyproject.toml" else str(path)


def config_layers(path: Path, inheriting: tuple[Path, ...] = ()) -> list[tuple[dict[str, Any], str]]:
    """The tables that make up the configuration in ``path``, base first: each ``extend = "..."``
    (relative to the file that names it) puts the file it names under the one that names it.
    A cycle is a ConfigError naming the files in order."""
    table = dict(_table(path))
    layers: list[tuple[dict[str, Any], str]] = []
    if "extend" in table:
        extend = table.pop("extend")
        if not isinstance(extend, str) or not extend.strip():
            raise ConfigError(f"`extend` in {_label(path)} must be the path of a configuration file, not {extend!r}")
        base = Path(os.path.normpath(path.resolve().parent / os.path.expanduser(extend)))
        chain = (*inheriting, path.resolve())
        if base in chain:
            cycle = " -> ".join(str(item) for item in (*chain[chain.index(base) :], base))
            raise ConfigError(f"`extend` makes a cycle: {cycle}")
        if not os.path.lexists(base):
            raise ConfigError(f"`extend` in {_label(path)} names {base}, which does not exist")
        layers = config_layers(base, chain)
    return [*layers, (table, _label(path))]


def load_settings(config_file: Path | None, start: Path) -> Settings:
    """The settings of ``config_file`` (else of the nearest configuration above ``start``, else
    pinlint's defaults rooted at ``start``), with the files it extends under it."""
    path = config_file if config_file is not None else find_config(start)
    if path is None:
        return default_settings(start)
    settings = Settings(root=path.resolve().parent, config_file=path, project_root=path.resolve().parent)
    for table, label in config_layers(path):
        settings = apply_values(settings, table, label)
    return settings


def default_settings(root: Path) -> Settings:
    """pinlint's defaults, for files with no configuration above them: paths relative to ``root``."""
    return Settings(root=root.resolve(), project_root=repository_root(root) or Path.cwd().resolve())


def parse_override(text: str) -> dict[str, Any]:
    """``--config 'key = value'`` (TOML, as ruff takes it) as config values; a ConfigError
    when it is not TOML (the keys are checked where the values are applied)."""
    try:
        values: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"--config {text!r} is neither a file nor a TOML `key = value` ({error})") from None
    return values


def is_override(value: str) -> bool:
    """Whether a ``--config`` value is a ``key = value`` override rather than a file (ruff's rule:
    a value with ``=`` in it that names no file)."""
    return "=" in value and not os.path.isfile(value)


class SettingsResolver:
    """The settings of each file: those of the nearest configuration above it (or of ``--config
    FILE`` for every file), each resolved once, then ``finish`` (the command line's overrides).
    Directories map to their configuration through a cache filled on the way up, so a run over
    many files reads each directory and each configuration once. Files with no configuration
    above them get pinlint's defaults rooted at ``default_root``."""

    def __init__(
        self,
        config_file: Path | None = None,
        finish: Callable[[Settings], Settings] | None = None,
        default_root: Path | None = None,
    ) -> None:
        self.config_file = config_file
        self.finish = finish or (lambda settings: settings)
        self.default_root = default_root or Path.cwd()
        self._config_of: dict[str, Path | None] = {}  # absolute directory -> its configuration
        self._settings: dict[Path | None, Settings] = {}

    def config_for(self, directory: Path) -> Path | None:
        """The configuration file that decides for files in ``directory``."""
        if self.config_file is not None:
            return self.config_file
        candidate = os.path.abspath(directory)
        visited: list[str] = []
        found: Path | None = None
        while True:
            if candidate in self._config_of:
                found = self._config_of[candidate]
                break
            visited.append(candidate)
            found = _config_in(Path(candidate))
            parent = os.path.dirname(candidate)
            if found is not None or parent == candidate:
                break
            candidate = parent
        for seen in visited:
            self._config_of[seen] = found
        return found

    def for_directory(self, directory: Path) -> Settings:
        config = self.config_for(directory)
        settings = self._settings.get(config)
        if settings is None:
            loaded = default_settings(self.default_root) if config is None else load_settings(config, config.parent)
            settings = self._settings[config] = self.finish(loaded)
        return settings

    def for_path(self, path: Path | str) -> Settings:
        """The settings of a file, or of the files in a directory."""
        path = Path(path)
        return self.for_directory(path if os.path.isdir(path) else path.parent)


def resolve_selection(settings: Settings, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """The rules enabled by select / extend-select / ignore; unknown selectors are errors."""

    def expand(selector: str, option: str) -> set[str]:
        key = selector.strip()
        if not key:
            raise ConfigError(f"an empty rule selector in {option} selects nothing")
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
