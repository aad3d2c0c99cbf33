"""Where paths are relative to, and how they are written there: a path relative to the project
root with POSIX separators (the one form that config globs, excludes and SARIF URIs are matched
or written in), and the walk up from a file to the root of its project or repository."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path


def relative_to_root(
    path: str | os.PathLike[str], root: str | os.PathLike[str], *, directory: bool = False, resolved: bool = False
) -> str:
    """``path`` relative to ``root`` (both resolved), with ``/`` separators; the path as given
    (``/`` separators) when it is outside ``root``. With ``directory``, the form an exclude pattern
    sees a directory in: ``""`` for ``root`` itself, otherwise with a trailing slash. With
    ``resolved``, the caller says both are real paths already (a walk that resolved its top once):
    no system call is made, which a walk needs, once per directory."""
    if not resolved:
        try:
            relative = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            relative = Path(path).as_posix()
    elif (text := os.fspath(path)) == (root_text := os.fspath(root)):
        relative = "."
    elif text.startswith(root_text + os.sep):
        relative = text[len(root_text) + 1 :].replace(os.sep, "/")
    else:
        relative = Path(path).as_posix()
    if not directory:
        return relative
    return "" if relative == "." else relative + "/"


def ancestors(start: str | os.PathLike[str], *, levels: int | None = None, stop_at: str = "") -> Iterator[Path]:
    """``start`` and the directories above it, nearest first: at most ``levels`` of them, and none
    above the first one holding ``stop_at`` (``.git``: not above the repository root)."""
    directory = Path(start)
    for _ in itertools.count() if levels is None else range(levels):
        yield directory
        if (stop_at and os.path.exists(directory / stop_at)) or directory.parent == directory:
            return
        directory = directory.parent


def nearest_ancestor(
    start: str | os.PathLike[str],
    markers: Iterable[str],
    *,
    levels: int | None = None,
    stop_at: str = "",
    holds: Callable[[Path], bool] = Path.exists,
) -> Path | None:
    """The nearest of ``ancestors(start, levels=, stop_at=)`` holding one of ``markers`` (a name
    for which ``holds(directory / name)`` is true), or None."""
    names = tuple(markers)
    for directory in ancestors(start, levels=levels, stop_at=stop_at):
        if any(holds(directory / name) for name in names):
            return directory
    return None


def files_below(
    top: str, enter: Callable[[str, int], bool], max_directories: int | None = None
) -> Iterator[os.DirEntry[str]]:
    """The regular files below the directory ``top`` (symlinks not followed), for the walks that
    are not discovery's: a directory is entered when ``enter(name, depth)`` says so (``depth`` 1
    for ``top``'s own subdirectories), and at most ``max_directories`` are listed. A directory or
    an entry that cannot be read is passed over."""
    pending: list[tuple[str, int]] = [(top, 0)]
    listed = 0
    while pending and (max_directories is None or listed < max_directories):
        directory, depth = pending.pop()
        listed += 1
        try:
            with os.scandir(directory) as scan:
                entries = list(scan)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if enter(entry.name, depth + 1):
                        pending.append((entry.path, depth + 1))
                elif entry.is_file(follow_symlinks=False):
                    yield entry
            except OSError:
                continue
