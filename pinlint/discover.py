"""Turn the paths given on the command line into the list of files to lint.

Directories are walked recursively (symlinked directories are not followed, so a loop
cannot hang the walk); ``.gitignore`` files are honoured, with each file's patterns
applying below its own directory; default and configured excludes skip virtualenvs, build
output and caches. A file named explicitly is always linted. The order is sorted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from pinlint.config import Settings

EXTENSIONS = (".py", ".pyi", ".sql")
_GROUP_RE = re.compile(r"\(\?P<[^>]+>")


class Spec:
    """A gitignore-style spec that answers "no pattern here" with one combined regex: only a path
    that some pattern matches goes through pathspec's pattern-by-pattern gitignore logic."""

    def __init__(self, lines: tuple[str, ...]) -> None:
        self.spec: pathspec.PathSpec[Any] = pathspec.GitIgnoreSpec.from_lines(lines)
        regexes = []
        for pattern in self.spec.patterns:
            regex = getattr(pattern, "regex", None)
            if pattern.include is not None and isinstance(regex, re.Pattern):
                regexes.append(_GROUP_RE.sub("(?:", regex.pattern))
        self.any = re.compile("|".join(f"(?:{regex})" for regex in regexes)) if regexes else None

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
    missing: list[str] = field(default_factory=list)


def _spec(patterns: tuple[str, ...]) -> Spec:
    return Spec(patterns)


def _gitignore(directory: Path) -> Spec | None:
    path = directory / ".gitignore"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return _spec(tuple(lines)) if lines else None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _excluded_file(path: Path, root: Path, excluded: Spec) -> bool:
    """Whether an exclude pattern matches the file, its name, or one of its directories."""
    relative = _relative(path, root)
    parts = relative.split("/")
    candidates = [relative, parts[-1]]
    for index in range(len(parts) - 1):
        candidates.append("/".join(parts[: index + 1]) + "/")
        candidates.append(parts[index] + "/")
    return any(excluded.match_file(candidate) for candidate in candidates)


def _skipped(name: str, suffix: str, prefix: str, excluded: Spec, ignores: list[tuple[Spec, str]]) -> bool:
    """Whether an exclude pattern (on the shown path or the bare name) or a .gitignore skips ``name``."""
    if excluded.match_file(prefix + name + suffix) or excluded.match_file(name + suffix):
        return True
    for spec, below in reversed(ignores):  # the deepest .gitignore that speaks of the path decides
        decision = spec.decision(below + name + suffix)
        if decision is not None:
            return decision
    return False


def _walk(
    top: Path,
    base: str,
    root: Path,
    excluded: Spec,
    respect_gitignore: bool,
    forced: bool,
    add: Callable[[Path, bool, str], None],
) -> None:
    """Walk the directory ``top`` (absolute ``base``) with os.scandir, on strings: the names
    each exclude and .gitignore pattern sees are built once per directory, not per file.
    Symlinked directories are not entered, so a child's shown path is its parent's plus its name."""
    root_text = str(root)
    if forced or base == root_text:  # forced: an exclude pattern covers ``top``; patterns see below it
        top_shown = ""
    elif base.startswith(root_text + os.sep):
        top_shown = base[len(root_text) + 1 :].replace(os.sep, "/")
    else:
        top_shown = _relative(top, root)  # outside the root, or reached through a symlink

    # (directory as given, its absolute path, how excludes see it, the .gitignore specs above it:
    # (absolute directory of the .gitignore, spec)); the final list is sorted, so the walk is not
    stack: list[tuple[str, str, str, list[tuple[str, Spec]]]] = [(str(top), base, top_shown, [])]
    while stack:
        here, here_abs, shown, inherited = stack.pop()
        try:
            with os.scandir(here) as scan:
                entries = list(scan)
        except OSError:
            continue
        active = inherited
        if respect_gitignore and any(entry.name == ".gitignore" for entry in entries):
            spec = _gitignore(Path(here))
            if spec is not None:
                active = [*inherited, (here_abs, spec)]
        prefix = f"{shown}/" if shown else ""
        # each .gitignore sees names relative to its own directory
        ignores = []
        for spec_base, spec in active:
            below = here_abs[len(spec_base) + 1 :].replace(os.sep, "/") if here_abs != spec_base else ""
            ignores.append((spec, f"{below}/" if below else ""))
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not _skipped(name, "/", prefix, excluded, ignores):
                        stack.append((os.path.join(here, name), os.path.join(here_abs, name), prefix + name, active))
                    continue
                if not name.endswith(EXTENSIONS) or _skipped(name, "", prefix, excluded, ignores):
                    continue
                add(Path(here, name), entry.is_symlink(), os.path.join(here_abs, name))
            except OSError:
                continue


def discover(paths: list[str], settings: Settings) -> Discovery:
    result = Discovery()
    excluded = _spec(settings.exclude + settings.extend_exclude)
    root = settings.root.resolve()
    seen: set[str] = set()

    def add(path: Path, is_link: bool | None = None, absolute: str = "") -> None:
        absolute = absolute or os.path.abspath(path)
        if is_link is None:
            is_link = os.path.islink(absolute)
        key = os.path.realpath(absolute) if is_link else absolute
        if key not in seen:
            seen.add(key)
            result.files.append(path)

    for given in paths:
        path = Path(given)
        if path.is_file():
            # A file named on the command line is linted, unless --force-exclude (pre-commit
            # passes every staged file) and an exclude pattern matches it.
            if not (settings.force_exclude and _excluded_file(path, root, excluded)):
                add(path)
            continue
        if not path.is_dir():
            result.missing.append(given)
            continue
        # A directory named on the command line is linted even when an exclude pattern covers it
        # (`pinlint check .venv/lib/python3.12/site-packages`): excludes then apply below it only.
        forced = (
            not settings.force_exclude and _excluded_file(path, root, excluded) if path.resolve() != root else False
        )
        base = os.path.abspath(path)
        _walk(path, base, root, excluded, settings.respect_gitignore, forced, add)
    result.files.sort(key=lambda item: item.as_posix())
    return result
