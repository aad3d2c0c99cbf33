"""Turn the paths given on the command line into the list of files to lint.

Directories are walked recursively (symlinked directories are not followed, so a loop
cannot hang the walk); ``.gitignore`` files are honoured, with each file's patterns
applying below its own directory; default and configured excludes skip virtualenvs, build
output and caches. A file named explicitly is always linted. The order is sorted.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from pinlint.config import Settings

EXTENSIONS = (".py", ".pyi", ".sql")
_GROUP_RE = re.compile(r"\(\?P<[^>]+>")


class Spec:
    """A gitignore-style spec that answers "no match" with one combined regex: only a path that
    some pattern matches goes through pathspec's pattern-by-pattern gitignore logic."""

    def __init__(self, lines: tuple[str, ...]) -> None:
        self.spec: pathspec.PathSpec[Any] = pathspec.GitIgnoreSpec.from_lines(lines)
        regexes = []
        for pattern in self.spec.patterns:
            regex = getattr(pattern, "regex", None)
            if pattern.include and isinstance(regex, re.Pattern):
                regexes.append(_GROUP_RE.sub("(?:", regex.pattern))
        self.any = re.compile("|".join(f"(?:{regex})" for regex in regexes)) if regexes else None

    def match_file(self, path: str) -> bool:
        if self.any is None or self.any.search(path) is None:
            return False
        return self.spec.match_file(path)


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


def discover(paths: list[str], settings: Settings) -> Discovery:
    result = Discovery()
    excluded = _spec(settings.exclude + settings.extend_exclude)
    root = settings.root.resolve()
    root_prefix = str(root) + os.sep
    seen: set[str] = set()

    def add(path: Path) -> None:
        absolute = os.path.abspath(path)
        key = os.path.realpath(absolute) if os.path.islink(absolute) else absolute
        if key not in seen:
            seen.add(key)
            result.files.append(path)

    def relative(candidate: Path) -> str:
        absolute = os.path.abspath(candidate)
        if absolute.startswith(root_prefix):
            return absolute[len(root_prefix) :].replace(os.sep, "/")
        return _relative(candidate, root)  # outside the root, or reached through a symlink

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
        base_prefix = os.path.abspath(path) + os.sep
        ignores: list[tuple[Path, Spec]] = []
        for directory, subdirectories, names in os.walk(path):
            here = Path(directory)
            if settings.respect_gitignore:
                spec = _gitignore(here)
                if spec is not None:
                    ignores.append((here, spec))
            ignores = [(base, spec) for base, spec in ignores if base == here or base in here.parents]

            def skipped(
                candidate: Path,
                is_dir: bool,
                active: list[tuple[Path, Spec]] = ignores,
                forced: bool = forced,
                base_prefix: str = base_prefix,
            ) -> bool:
                suffix = "/" if is_dir else ""
                shown = relative(candidate)
                if forced:
                    shown = os.path.abspath(candidate)[len(base_prefix) :].replace(os.sep, "/")
                if excluded.match_file(shown + suffix) or excluded.match_file(candidate.name + suffix):
                    return True
                return any(spec.match_file(candidate.relative_to(base).as_posix() + suffix) for base, spec in active)

            subdirectories[:] = sorted(
                name for name in subdirectories if not (here / name).is_symlink() and not skipped(here / name, True)
            )
            for name in sorted(names):
                candidate = here / name
                if candidate.suffix in EXTENSIONS and not skipped(candidate, False):
                    add(candidate)
    result.files.sort(key=lambda item: item.as_posix())
    return result
