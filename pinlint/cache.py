"""Per-file result cache: a file whose content, settings and tool versions are unchanged is not
linted again.

The key of a file is a hash of its bytes' digest, the run's fingerprint (settings, the selected rules
and their files, the handler declarations that cover the file, and the versions of pinlint,
libcst and sqlglot). Entries live in one JSON file per run root in the cache directory
(``.pinlint_cache`` by default, with a CACHEDIR.TAG and a ``.gitignore`` so that backup tools
and git leave it alone). The cache directory sits at the project root (``Settings.project_root``:
the configuration's directory, else the repository root, else the current directory), as ruff's
does, so that ``pinlint check lib/sub/x.py`` does not leave one beside every linted path.

Everything read back is checked before it is trusted: the cache file is read like any other
file (regular files only, a size limit, see pinlint.files; a FIFO in its place is a warning and a
miss), a file that is not JSON or nests too deeply is ignored and rebuilt, and an entry whose
fields do not have the types of a ``Finding`` (a line that is not a number, a message that is not
a string) is a miss, linted again and rewritten. The file is replaced atomically through a
temporary file, which is removed when the write fails (a full disk); concurrent runs at worst
redo each other's work.

As in ruff's cache, a file whose size and modification time (in nanoseconds) are those recorded
at the last run is not read again: its recorded digest is used. A file modified less than two
seconds before it was read is not recorded that way (git's "racy" rule: a second edit within the
file system's clock tick could keep both), so it is read again next time.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import tempfile
import time
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import asdict, fields, is_dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pinlint import __version__
from pinlint.engine import FileResult
from pinlint.files import MAX_SOURCE_BYTES, UnreadableFile, read_bytes, read_text
from pinlint.model import Finding

CACHE_DIR = ".pinlint_cache"
FORMAT = 2
MAX_CACHE_BYTES = 256 * 1024 * 1024
RACY_NS = 2_000_000_000  # a file modified this recently is read again next time, whatever its stat says
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pinlint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def _version(package: str) -> str:
    """Where the installed package lives and when its ``__init__`` was written: changes with every
    install or upgrade, and costs one stat (importlib.metadata alone takes 20 ms to import)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return "?"
    if spec is None or not spec.origin:
        return "?"
    try:
        status = os.stat(spec.origin)
    except OSError:
        return spec.origin
    return f"{spec.origin}:{status.st_size}:{status.st_mtime_ns}"


def _code_digest() -> str:
    """pinlint's own source: a development checkout changes without a version bump."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(path.name.encode())
    return digest.hexdigest()


def run_fingerprint(settings_text: str, rule_files: list[tuple[str, ...]]) -> str:
    """What, besides a file's bytes, decides its findings."""
    digest = hashlib.sha256()
    parts = (FORMAT, __version__, _code_digest(), _version("libcst"), _version("sqlglot"), settings_text, rule_files)
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_key(digest: str, run: str, extra: str = "") -> str:
    """The cache key of a file with content ``digest`` in a run with fingerprint ``run``."""
    return hashlib.sha256(f"{digest}\0{run}\0{extra}".encode()).hexdigest()


def _to_json(result: FileResult) -> dict[str, Any]:
    return {
        "error": result.error,
        "note": result.note,
        "findings": [asdict(finding) for finding in result.findings],
        "project_keys": result.project_keys,
        "depends": result.depends,
    }


class _Mismatch(Exception):
    """A value read from the cache does not have the type its field declares."""


def _typed(value: Any, hint: Any) -> Any:
    """``value`` (from JSON) as a value of type ``hint``: arrays become tuples where a tuple is
    declared; _Mismatch when it is not of that type (a bool is no int, as JSON tells them apart)."""
    if hint is str or hint is int or hint is bool:  # most fields: exact types (a bool is no int)
        if type(value) is hint:
            return value
        raise _Mismatch
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        for argument in arguments:
            try:
                return _typed(value, argument)
            except _Mismatch:
                continue
        raise _Mismatch
    if origin is typing.Literal:
        if value in arguments:
            return value
        raise _Mismatch
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise _Mismatch
        if origin is list:
            return [_typed(item, arguments[0]) for item in value]
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return tuple(_typed(item, arguments[0]) for item in value)
        if len(value) != len(arguments):
            raise _Mismatch
        return tuple(_typed(item, argument) for item, argument in zip(value, arguments, strict=True))
    if origin is dict:
        if not isinstance(value, dict):
            raise _Mismatch
        return {_typed(key, arguments[0]): _typed(item, arguments[1]) for key, item in value.items()}
    if hint is type(None):
        if value is None:
            return value
        raise _Mismatch
    if isinstance(hint, type) and is_dataclass(hint):  # a Finding's autofix and its edits
        if not isinstance(value, dict) or set(value) != {field.name for field in fields(hint)}:
            raise _Mismatch
        hints = typing.get_type_hints(hint)
        return hint(**{name: _typed(item, hints[name]) for name, item in value.items()})
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(hint, type) and isinstance(value, hint) and not (isinstance(value, bool) and hint is not bool):
        return value
    raise _Mismatch


@lru_cache(maxsize=1)
def _finding_fields() -> dict[str, Any]:
    """Finding's fields and their types, except ``path`` (an entry stands for one file)."""
    hints = typing.get_type_hints(Finding)
    return {field.name: hints[field.name] for field in fields(Finding) if field.name != "path"}


def _from_json(path: str, data: Any) -> FileResult:
    """The result recorded in a cache entry; _Mismatch when the entry is not one pinlint wrote."""
    if not isinstance(data, dict):
        raise _Mismatch
    wanted = _finding_fields()
    findings = []
    for item in _typed(data.get("findings"), list[dict[str, Any]]):
        _typed(item.pop("path", ""), str)  # recorded, but the file's path now is the one that counts
        if not set(item) <= set(wanted):
            raise _Mismatch
        values = {name: _typed(item[name], wanted[name]) for name in item}
        try:
            findings.append(Finding(path=path, **values))
        except TypeError:  # a field without a default is missing
            raise _Mismatch from None
    error = _typed(data.get("error", ""), str)
    note = _typed(data.get("note", ""), str)
    project_keys = _typed(data.get("project_keys", []), list[str])
    depends = _typed(data.get("depends", {}), dict[str, str])
    return FileResult(path, findings, error, note, project_keys, depends)


def _stat_record(recorded: Any) -> tuple[int, int, str] | None:
    """A file's recorded [size, mtime_ns, digest], or None when the record is not one."""
    if not isinstance(recorded, list) or len(recorded) != 3:
        return None
    size, mtime, digest = recorded
    if type(size) is not int or type(mtime) is not int or type(digest) is not str:
        return None
    return size, mtime, digest


class Cache:
    """Results by file key for one run root; ``save()`` writes what this run saw; ``warnings``
    are one line each, for the caller to print."""

    def __init__(self, directory: Path, root: Path) -> None:
        self.directory = directory
        self.file = directory / f"results-{hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]}.json"
        self.entries: dict[str, Any] = {}
        self.fresh: dict[str, Any] = {}
        self.stats: dict[str, Any] = {}  # absolute path -> [size, mtime_ns, digest]
        self.fresh_stats: dict[str, list[Any]] = {}
        self.warnings: list[str] = []
        self.summaries: dict[str, Any] = {}  # digest -> module summary (pinlint.index), read back lazily
        self.fresh_summaries: dict[str, Any] = {}
        self.notes: dict[str, Any] = {}  # absolute path -> [size, mtime_ns, yes/no]: what ``noted`` found
        self.fresh_notes: dict[str, list[Any]] = {}
        loaded = self._read()
        if isinstance(loaded, dict) and loaded.get("format") == FORMAT and isinstance(loaded.get("entries"), dict):
            self.entries = loaded["entries"]
            if isinstance(loaded.get("stats"), dict):
                self.stats = loaded["stats"]
            if isinstance(loaded.get("summaries"), dict):
                self.summaries = loaded["summaries"]
            if isinstance(loaded.get("notes"), dict):
                self.notes = loaded["notes"]

    def _read(self) -> Any:
        """The cache file's JSON; None when there is none or it is not JSON (it is rebuilt)."""
        try:
            text = read_text(self.file, MAX_CACHE_BYTES)
        except UnreadableFile as error:
            if str(error) != "does not exist":
                self.warnings.append(f"cache file {self.file}: {error}; not used, and replaced at the end of the run")
            return None
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return None  # corrupt, or nested deeper than anything pinlint writes

    def digest(self, path: Path) -> str | None:
        """The digest of the file's content, from the record of the last run when its size and
        modification time are unchanged; None when it cannot be read (the linter reports it)."""
        absolute = os.path.abspath(path)
        try:
            status = os.stat(absolute)
        except OSError:
            return None
        recorded = _stat_record(self.stats.get(absolute))
        if recorded is not None and recorded[0] == status.st_size and recorded[1] == status.st_mtime_ns:
            self.fresh_stats[absolute] = list(recorded)
            return recorded[2]
        try:
            data = read_bytes(path, MAX_SOURCE_BYTES)
        except UnreadableFile:
            return None
        digest = content_digest(data)
        if time.time_ns() - status.st_mtime_ns < RACY_NS:
            return digest  # written just now: an edit in the same clock tick would keep this mtime (git's "racy" case)
        self.fresh_stats[absolute] = [status.st_size, status.st_mtime_ns, digest]
        return digest

    def noted(self, path: Path, test: Callable[[bytes], bool]) -> bool | None:
        """``test`` of the file's bytes, answered from the last run's note while the file's size
        and modification time are unchanged (a question asked of every file of a run before any
        is linted, such as the declarations' search for convention handlers that adapt an app);
        None when the file cannot be read."""
        absolute = os.path.abspath(path)
        try:
            status = os.stat(absolute)
        except OSError:
            return None
        recorded = self.notes.get(absolute)
        if (
            isinstance(recorded, list)
            and len(recorded) == 3
            and recorded[:2] == [status.st_size, status.st_mtime_ns]
            and type(recorded[2]) is bool
        ):
            self.fresh_notes[absolute] = recorded
            return bool(recorded[2])
        try:
            data = read_bytes(path, MAX_SOURCE_BYTES)
        except UnreadableFile:
            return None
        answer = bool(test(data))
        if time.time_ns() - status.st_mtime_ns >= RACY_NS:  # (see ``digest``)
            self.fresh_notes[absolute] = [status.st_size, status.st_mtime_ns, answer]
        return answer

    def get(self, key: str, path: str) -> FileResult | None:
        """The recorded result, or None (a miss) when there is none or it is not well-formed."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        try:
            result = _from_json(path, entry)
        except (_Mismatch, RecursionError):
            return None  # linted again, and the fresh result replaces the entry
        self.fresh[key] = entry
        return result

    def put(self, key: str, result: FileResult) -> None:
        self.fresh[key] = _to_json(result)

    def unchanged(self, result: FileResult) -> bool:
        """The other modules a cached result read (``depends``) still have the content it saw."""
        return all(self.digest(Path(module)) == digest for module, digest in result.depends.items())

    def put_summaries(self, summaries: dict[str, Any]) -> None:
        self.fresh_summaries.update(summaries)

    def _live_summaries(self) -> dict[str, Any]:
        """The summaries of the files this run saw or a kept result depends on, old and new."""
        live = {record[2] for record in self.fresh_stats.values()}
        live |= {digest for entry in self.fresh.values() for digest in (entry.get("depends") or {}).values()}
        kept = {digest: summary for digest, summary in self.summaries.items() if digest in live}
        kept.update(self.fresh_summaries)
        return kept

    def save(self) -> None:
        """Keep the entries of this run only (files gone or changed drop out). Errors are ignored:
        a cache that cannot be written only costs speed, and no temporary file stays behind.
        A run that read every result from the cache and saw every cached file again writes nothing."""
        summaries = self._live_summaries()
        if (
            self.fresh.keys() == self.entries.keys()
            and all(self.fresh[key] is self.entries[key] for key in self.fresh)
            and summaries.keys() == self.summaries.keys()
            and self.fresh_notes == self.notes
        ):
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if not os.path.lexists(self.directory / "CACHEDIR.TAG"):
                _write_atomically(self.directory / "CACHEDIR.TAG", CACHEDIR_TAG, 0o644)
            if not os.path.lexists(self.directory / ".gitignore"):
                _write_atomically(self.directory / ".gitignore", "# Created by pinlint.\n*\n", 0o644)
            text = json.dumps(
                {
                    "format": FORMAT,
                    "entries": self.fresh,
                    "stats": self.fresh_stats,
                    "summaries": summaries,
                    "notes": self.fresh_notes,
                }
            )
            _write_atomically(self.file, text)
        except OSError:
            pass


def _write_atomically(path: Path, text: str, mode: int | None = None) -> None:
    """Write ``text`` through a temporary file beside ``path`` (readable by its owner only, unless
    ``mode`` says otherwise) and rename it over ``path``; the temporary file is removed when
    anything fails."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _is_pinlint_cache(directory: Path) -> bool:
    try:
        return read_text(directory / "CACHEDIR.TAG", 4096).startswith(CACHEDIR_TAG.splitlines()[0])
    except UnreadableFile:
        return False


def _remove_contents(directory: Path, failures: list[str]) -> None:
    """Delete everything inside ``directory`` (symlinks are removed, never followed)."""
    for top, directories, files in os.walk(directory, topdown=False):
        for name in files:
            with _noting(failures, os.path.join(top, name)):
                os.unlink(os.path.join(top, name))
        for name in directories:
            path = os.path.join(top, name)
            with _noting(failures, path):
                os.unlink(path) if os.path.islink(path) else os.rmdir(path)


@contextlib.contextmanager
def _noting(failures: list[str], path: str) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        failures.append(f"{path}: {error.strerror or error}")


def clear(directory: Path) -> tuple[bool, str]:
    """Delete the cache in ``directory`` (``pinlint clean``): (whether it is gone, or there was
    none; what happened, in one line). A symlinked cache directory stays a symlink, and the cache
    files it leads to are removed."""
    if not os.path.lexists(directory):
        return True, f"No pinlint cache at {directory}"
    target = Path(os.path.realpath(directory))
    linked = os.path.islink(directory)
    shown = f"{directory} (a symlink to {target})" if linked else str(directory)
    if not target.is_dir() or not _is_pinlint_cache(target):
        return True, f"No pinlint cache at {shown}"
    failures: list[str] = []
    _remove_contents(target, failures)
    if not linked:
        with _noting(failures, str(target)):
            os.rmdir(target)
    if failures:
        return False, f"Could not remove all of the cache at {shown}: {failures[0]}"
    return True, f"Removed {shown}"
