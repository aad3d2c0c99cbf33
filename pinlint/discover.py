"""Turn the paths given on the command line into the list of files to lint.

Directories are walked recursively (symlinked directories are not followed, so a loop
cannot hang the walk); ``.gitignore`` files are honoured, with each file's patterns
applying below its own directory (a line git tolerates but cannot match with is dropped, as
git drops it: see pinlint.globs); default and configured excludes skip caches and tool output.
A file named explicitly is always linted. The order is sorted.

The same walk collects the infrastructure files below the directories (templates and Terraform,
see pinlint.infra.files) into their own list, under the same excludes and ``.gitignore`` files,
and also outside the directories that hold tool output rather than sources (``cdk.out``,
``.terraform``, ``node_modules``, any dot-directory): the tree is walked once per run.

Only regular files are linted: a FIFO, socket, device, dangling symlink or symlink loop with a
lintable name, in a tree or named on the command line, is skipped with a warning that says
what it is, and so is a path that cannot be reached or a directory that cannot be listed
(permission denied). The run goes on with the other paths.

The default excludes judge a directory by what it is rather than only by its name:

* a virtual environment is the directory that holds ``pyvenv.cfg`` (venv, virtualenv, uv) or
  ``conda-meta`` (conda), whatever it is called: the standard library's ``venv`` package and a
  project's ``env`` package are linted, a virtualenv called ``.direnv/python-3.12`` is not;
* ``build`` and ``dist`` are skipped only beside a ``pyproject.toml``, ``setup.py`` or
  ``setup.cfg``, where setuptools and the build front ends put their output; a package named
  ``build`` (``pip/_internal/operations/build``) is linted;
* names that mean one thing only (``.git``, ``.venv``, ``.tox``, ``node_modules``,
  ``__pycache__``, ``site-packages``, ``*.egg-info``...) stay in ``DEFAULT_EXCLUDE``.

Setting ``exclude`` replaces all of these defaults, the two judged by content included.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from pinlint.config import DEFAULT_EXCLUDE, Settings, SettingsResolver
from pinlint.files import MAX_CONFIG_BYTES, UnreadableFile, inspect, not_regular, read_bytes
from pinlint.globs import compile_regex, config_spec, gitignore_spec
from pinlint.infra.files import holds_infrastructure_sources, is_infrastructure_path
from pinlint.paths import files_below, relative_to_root

EXTENSIONS = (".py", ".pyi", ".sql")
VIRTUALENV_MARKERS = ("pyvenv.cfg", "conda-meta")
BUILD_OUTPUT = ("build", "dist")
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
_GROUP_RE = re.compile(r"\(\?P<[^>]+>")
EXCLUDED = "\0excluded"  # what _skipped says for an exclude pattern (never a directory's name)


class Spec:
    """A gitignore-style spec that answers "no pattern here" with one combined regex: only a path
    that some pattern matches goes through pathspec's pattern-by-pattern gitignore logic."""

    def __init__(self, lines: tuple[str, ...], *, from_gitignore: bool = False) -> None:
        """``lines`` of a .gitignore file (lines git cannot match with are dropped), or configured
        globs (checked when the configuration was read)."""
        self.spec: pathspec.PathSpec[Any] = gitignore_spec(lines) if from_gitignore else config_spec(lines)
        regexes = []
        for pattern in self.spec.patterns:
            regex = getattr(pattern, "regex", None)
            if pattern.include is not None and isinstance(regex, re.Pattern):
                regexes.append(_GROUP_RE.sub("(?:", regex.pattern))
        self.any = compile_regex("|".join(f"(?:{regex})" for regex in regexes)) if regexes else None

    def decision(self, path: str) -> bool | None:
        """True: ignored; False: re-included by a `!pattern`; None: no pattern here speaks of it."""
        if self.any is None or self.any.search(path) is None:
            return None
        include: bool | None = self.spec.check_file(path).include
        return include

    def match_file(self, path: str) -> bool:
        return bool(self.decision(path))


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    infrastructure: list[Path] = field(default_factory=list)  # found in a walk; named files are in ``files``
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one line each, without "warning:"
    ignored: list[Ignored] = field(default_factory=list)  # what a .gitignore skipped in the walk


@dataclass(frozen=True)
class Ignored:
    """A file (of a kind pinlint reads) or a directory that a .gitignore skipped in the walk."""

    path: str  # absolute
    shown: str  # as the walk shows it (``src/``)
    gitignore: str  # the .gitignore that skipped it
    directory: bool

    def holds(self, path: str) -> bool:
        """Whether the absolute ``path`` is this entry or lies below it."""
        return path == self.path or (self.directory and path.startswith(os.path.join(self.path, "")))


def _spec(patterns: tuple[str, ...]) -> Spec:
    return Spec(patterns)


def _gitignore(directory: Path, warnings: list[str]) -> Spec | None:
    path = directory / ".gitignore"
    try:
        data = read_bytes(path, MAX_CONFIG_BYTES)
    except UnreadableFile as error:
        warnings.append(f"{path.as_posix()}: {error}; its patterns are not applied")
        return None
    lines = data.decode("utf-8", errors="replace").splitlines()
    return Spec(tuple(lines), from_gitignore=True) if lines else None


def _excluded_file(path: Path, root: Path, excluded: Spec) -> bool:
    """Whether an exclude pattern matches the file, its name, or one of its directories."""
    relative = relative_to_root(path, root)
    parts = relative.split("/")
    candidates = [relative, parts[-1]]
    for index in range(len(parts) - 1):
        candidates.append("/".join(parts[: index + 1]) + "/")
        candidates.append(parts[index] + "/")
    return any(excluded.match_file(candidate) for candidate in candidates)


def _skipped(name: str, suffix: str, prefix: str, excluded: Spec, ignores: list[tuple[Spec, str, str]]) -> str:
    """What skips ``name``: ``EXCLUDED`` (an exclude pattern, on the shown path or the bare name),
    the path of the .gitignore that does, or "" (nothing)."""
    if excluded.match_file(prefix + name + suffix) or excluded.match_file(name + suffix):
        return EXCLUDED
    for spec, below, base in reversed(ignores):  # the deepest .gitignore that speaks of the path decides
        decision = spec.decision(below + name + suffix)
        if decision is not None:
            return os.path.join(base, ".gitignore") if decision else ""
    return ""


def _is_virtualenv(names: set[str]) -> bool:
    return any(marker in names for marker in VIRTUALENV_MARKERS)


def _in_default_excluded_directory(path: Path, root: Path) -> bool:
    """Whether a directory between ``path`` and ``root`` (or above it, when it is outside) is one
    the default excludes skip in a walk: a virtual environment, or build output beside a project
    file. For a file named on the command line with --force-exclude."""
    for directory in path.resolve().parents:
        if any(os.path.lexists(directory / marker) for marker in VIRTUALENV_MARKERS):
            return True
        if directory.name in BUILD_OUTPUT and any((directory.parent / name).is_file() for name in PROJECT_FILES):
            return True
        if directory == root:
            break
    return False


@dataclass
class _Walk:
    """What one walk needs besides the directory: the rules that skip, and where files go."""

    root: Path
    excluded: Spec
    respect_gitignore: bool
    judge_by_content: bool  # the default excludes: virtualenvs by marker, build output beside a project file
    add: Callable[[Path, bool, str], None]
    add_infrastructure: Callable[[Path, bool, str], None]
    warnings: list[str]
    ignored: list[Ignored]


def _shown(path: str) -> str:
    """A path as warnings show it: as the linter shows the files (``./x.py`` is ``x.py``)."""
    return Path(path).as_posix()


def _walk(top: Path, base: str, forced: bool, walk: _Walk) -> None:
    """Walk the directory ``top`` (absolute ``base``) with os.scandir, on strings: the names
    each exclude and .gitignore pattern sees are built once per directory, not per file.
    Symlinked directories are not entered, so a child's shown path is its parent's plus its name."""
    root_text = str(walk.root)
    if forced or base == root_text:  # forced: an exclude pattern covers ``top``; patterns see below it
        top_shown = ""
    elif base.startswith(root_text + os.sep):
        top_shown = base[len(root_text) + 1 :].replace(os.sep, "/")
    else:
        top_shown = relative_to_root(top, walk.root)  # outside the root, or reached through a symlink

    # (directory as given, its absolute path, how excludes see it, the .gitignore specs above it:
    # (absolute directory of the .gitignore, spec), whether its infrastructure files are collected);
    # the final lists are sorted, so the walk is not
    stack: list[tuple[str, str, str, list[tuple[str, Spec]], bool]] = [(str(top), base, top_shown, [], True)]
    while stack:
        here, here_abs, shown, inherited, infrastructure = stack.pop()
        try:
            with os.scandir(here) as scan:
                entries = list(scan)
        except OSError as error:
            reason = inspect(here)
            reason = reason if isinstance(reason, str) else error.strerror or str(error)
            walk.warnings.append(f"{_shown(here)}: cannot list this directory ({reason.lower()}); skipped")
            continue
        names = {entry.name for entry in entries}
        if walk.judge_by_content and here_abs != base and _is_virtualenv(names):
            continue  # a virtual environment, whatever its name (a named one is linted)
        active = inherited
        if walk.respect_gitignore and ".gitignore" in names:
            spec = _gitignore(Path(here), walk.warnings)
            if spec is not None:
                active = [*inherited, (here_abs, spec)]
        build_output = walk.judge_by_content and not names.isdisjoint(PROJECT_FILES)
        prefix = f"{shown}/" if shown else ""
        # each .gitignore sees names relative to its own directory
        ignores = []
        for spec_base, spec in active:
            below = here_abs[len(spec_base) + 1 :].replace(os.sep, "/") if here_abs != spec_base else ""
            ignores.append((spec, f"{below}/" if below else "", spec_base))
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if build_output and name in BUILD_OUTPUT:
                        continue
                    skipped_by = _skipped(name, "/", prefix, walk.excluded, ignores)
                    if not skipped_by:
                        collects = infrastructure and holds_infrastructure_sources(name)
                        stack.append(
                            (os.path.join(here, name), os.path.join(here_abs, name), prefix + name, active, collects)
                        )
                    elif skipped_by != EXCLUDED:
                        walk.ignored.append(Ignored(os.path.join(here_abs, name), f"{prefix}{name}/", skipped_by, True))
                    continue
                infrastructure_file = not name.endswith(EXTENSIONS)
                if infrastructure_file and not (infrastructure and is_infrastructure_path(name)):
                    continue
                skipped_by = _skipped(name, "", prefix, walk.excluded, ignores)
                if skipped_by:
                    if skipped_by != EXCLUDED:
                        walk.ignored.append(Ignored(os.path.join(here_abs, name), prefix + name, skipped_by, False))
                    continue
                if not entry.is_file(follow_symlinks=False):  # a symlink, FIFO, socket or device
                    status = inspect(entry.path)
                    if not isinstance(status, str) and stat.S_ISDIR(status.st_mode):
                        continue  # a symlinked directory: not followed
                    reason = status if isinstance(status, str) else not_regular(entry.path, status.st_mode)
                    if reason and not infrastructure_file:  # pinlint.infra's reader reports what it cannot read
                        walk.warnings.append(f"{_shown(os.path.join(here, name))}: {reason}; skipped")
                        continue
                add = walk.add_infrastructure if infrastructure_file else walk.add
                add(Path(here, name), entry.is_symlink(), os.path.join(here_abs, name))
            except OSError as error:
                walk.warnings.append(f"{_shown(os.path.join(here, name))}: {error.strerror or error}; skipped")


def discover(paths: list[str], settings: Settings) -> Discovery:
    result = Discovery()
    excluded = _spec(settings.exclude + settings.extend_exclude)
    root = settings.root.resolve()
    seen: set[str] = set()

    def adder(found: list[Path]) -> Callable[[Path, bool | None, str], None]:
        def add(path: Path, is_link: bool | None = None, absolute: str = "") -> None:
            absolute = absolute or os.path.abspath(path)
            if is_link is None:
                is_link = os.path.islink(absolute)
            key = os.path.realpath(absolute) if is_link else absolute
            if key not in seen:
                seen.add(key)
                found.append(path)

        return add

    add = adder(result.files)
    judge_by_content = settings.exclude == DEFAULT_EXCLUDE
    walk = _Walk(
        root,
        excluded,
        settings.respect_gitignore,
        judge_by_content,
        add,
        adder(result.infrastructure),
        result.warnings,
        result.ignored,
    )
    for given in paths:
        path = Path(given)
        status = inspect(given)
        if isinstance(status, str):
            if status == "does not exist":
                result.missing.append(given)
            else:  # it is there, but cannot be reached or read (permission, dangling symlink, loop)
                result.warnings.append(f"{_shown(given)}: {status}; skipped")
            continue
        if not stat.S_ISDIR(status.st_mode):
            reason = not_regular(given, status.st_mode)
            if reason:
                result.warnings.append(f"{_shown(given)}: {reason}; skipped")
            # A file named on the command line is linted, unless --force-exclude (pre-commit
            # passes every staged file) and an exclude pattern (or a virtualenv or build output around it) covers it.
            elif not (
                settings.force_exclude
                and (
                    _excluded_file(path, root, excluded)
                    or (judge_by_content and _in_default_excluded_directory(path, root))
                )
            ):
                add(path, None, "")
            continue
        # A directory named on the command line is linted even when an exclude pattern covers it
        # (`pinlint check .venv/lib/python3.12/site-packages`): excludes then apply below it only.
        forced = (
            not settings.force_exclude and _excluded_file(path, root, excluded) if path.resolve() != root else False
        )
        _walk(path, os.path.abspath(path), forced, walk)
    result.files.sort(key=lambda item: item.as_posix())
    result.infrastructure.sort(key=lambda item: item.as_posix())
    return result


MAX_COUNTED_DIRECTORIES = 2000


def sources_in(entry: Ignored) -> int:
    """How many files pinlint reads (``EXTENSIONS``) ``entry`` is or holds, counted in at most
    MAX_COUNTED_DIRECTORIES directories (dot-directories and default excludes left out): asked
    only to explain a run that checked nothing."""
    if not entry.directory:
        return int(entry.path.endswith(EXTENSIONS))

    def enter(name: str, _depth: int) -> bool:
        return not name.startswith(".") and name not in DEFAULT_EXCLUDE

    return sum(1 for file in files_below(entry.path, enter, MAX_COUNTED_DIRECTORIES) if file.name.endswith(EXTENSIONS))


def is_excluded(path: Path, settings: Settings) -> bool:
    """Whether ``settings``' excludes (or, with the default excludes, a virtual environment or
    build output around it) cover ``path``, as --force-exclude judges a file named on the command
    line; the path need not exist (``--stdin-filename``)."""
    root = settings.root.resolve()
    if _excluded_file(path, root, _spec(settings.exclude + settings.extend_exclude)):
        return True
    return settings.exclude == DEFAULT_EXCLUDE and _in_default_excluded_directory(path, root)


@dataclass
class SettingsGroup:
    """Files that share one configuration, and the command-line paths that configuration owns."""

    settings: Settings
    files: list[Path] = field(default_factory=list)
    infrastructure: list[Path] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


@dataclass
class GroupedDiscovery(Discovery):
    groups: list[SettingsGroup] = field(default_factory=list)


def discover_per_settings(paths: list[str], resolver: SettingsResolver) -> GroupedDiscovery:
    """The files under ``paths``, grouped by the settings that decide for each (its nearest
    configuration). Each command-line path is walked with its own settings; a file the walk finds
    below a nested configuration is also dropped when that configuration's excludes cover it (a
    directory the walking configuration excludes is not entered, whatever a configuration inside
    it says). Infrastructure files found in the walk are grouped the same way."""
    result = GroupedDiscovery()
    groups: dict[int, SettingsGroup] = {}
    walks: dict[int, list[str]] = {}
    for given in paths:
        settings = resolver.for_path(given)
        groups.setdefault(id(settings), SettingsGroup(settings)).paths.append(given)
        walks.setdefault(id(settings), []).append(given)
    seen: set[str] = set()
    nested_specs: dict[int, Spec] = {}
    for key, walked in walks.items():
        walk_settings = groups[key].settings
        found = discover(walked, walk_settings)
        result.missing.extend(found.missing)
        result.warnings.extend(found.warnings)
        result.ignored.extend(found.ignored)
        for path, infrastructure in [
            *((path, False) for path in found.files),
            *((path, True) for path in found.infrastructure),
        ]:
            if len(walks) > 1:  # one walk has no duplicates (discover drops them)
                absolute = os.path.abspath(path)
                if absolute in seen:
                    continue
                seen.add(absolute)
            own = resolver.for_directory(path.parent)
            if own is not walk_settings:
                spec = nested_specs.get(id(own))
                if spec is None:
                    spec = nested_specs[id(own)] = _spec(own.exclude + own.extend_exclude)
                if _excluded_file(path, own.root.resolve(), spec):
                    continue
            group = groups.setdefault(id(own), SettingsGroup(own))
            (group.infrastructure if infrastructure else group.files).append(path)
            (result.infrastructure if infrastructure else result.files).append(path)
    result.files.sort(key=lambda item: item.as_posix())
    result.infrastructure.sort(key=lambda item: item.as_posix())
    for group in groups.values():
        group.files.sort(key=lambda item: item.as_posix())
        group.infrastructure.sort(key=lambda item: item.as_posix())
    result.groups = list(groups.values())
    return result
