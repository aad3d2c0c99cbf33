"""Per-file result cache: a file whose content, settings and tool versions are unchanged is not
linted again.

The key of a file is a hash of its bytes' digest, the run's fingerprint (settings, the selected rules
and their files, the handler declarations that cover the file, and the versions of pinlint,
libcst and sqlglot). Entries live in one JSON file per run root in the cache directory
(``.pinlint_cache`` by default, with a CACHEDIR.TAG and a ``.gitignore`` so that backup tools
and git leave it alone). The file is replaced atomically; a corrupt or unreadable cache is
ignored and rebuilt, and concurrent runs at worst redo each other's work.

As in ruff's cache, a file whose size and modification time (in nanoseconds) are those recorded
at the last run is not read again: its recorded digest is used. A file modified less than two
seconds before it was read is not recorded that way (git's "racy" rule: a second edit within the
file system's clock tick could keep both), so it is read again next time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pinlint import __version__
from pinlint.engine import FileResult
from pinlint.model import Finding

CACHE_DIR = ".pinlint_cache"
FORMAT = 2
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
    }


def _from_json(path: str, data: dict[str, Any]) -> FileResult:
    findings = []
    for item in data["findings"]:
        item = dict(item)
        item["noqa_lines"] = tuple(item.get("noqa_lines", ()))
        item["path"] = path
        findings.append(Finding(**item))
    return FileResult(path, findings, data.get("error", ""), data.get("note", ""), list(data.get("project_keys", [])))


class Cache:
    """Results by file key for one run root; ``save()`` writes what this run saw."""

    def __init__(self, directory: Path, root: Path) -> None:
        self.directory = directory
        self.file = directory / f"results-{hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]}.json"
        self.entries: dict[str, dict[str, Any]] = {}
        self.fresh: dict[str, dict[str, Any]] = {}
        self.stats: dict[str, list[Any]] = {}  # absolute path -> [size, mtime_ns, digest]
        self.fresh_stats: dict[str, list[Any]] = {}
        try:
            loaded = json.loads(self.file.read_text(encoding="utf-8"))
            if isinstance(loaded, dict) and loaded.get("format") == FORMAT and isinstance(loaded.get("entries"), dict):
                self.entries = loaded["entries"]
                if isinstance(loaded.get("stats"), dict):
                    self.stats = loaded["stats"]
        except (OSError, ValueError, UnicodeDecodeError):
            self.entries, self.stats = {}, {}  # missing or corrupt: start over

    def digest(self, path: Path) -> str | None:
        """The digest of the file's content, from the record of the last run when its size and
        modification time are unchanged; None when it cannot be read (the linter reports it)."""
        absolute = os.path.abspath(path)
        try:
            status = os.stat(absolute)
        except OSError:
            return None
        recorded = self.stats.get(absolute)
        if (
            isinstance(recorded, list)
            and len(recorded) == 3
            and recorded[0] == status.st_size
            and recorded[1] == status.st_mtime_ns
        ):
            self.fresh_stats[absolute] = recorded
            return str(recorded[2])
        try:
            data = path.read_bytes()
        except OSError:
            return None
        digest = content_digest(data)
        if time.time_ns() - status.st_mtime_ns < RACY_NS:
            return digest  # written just now: an edit in the same clock tick would keep this mtime (git's "racy" case)
        self.fresh_stats[absolute] = [status.st_size, status.st_mtime_ns, digest]
        return digest

    def get(self, key: str, path: str) -> FileResult | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        try:
            result = _from_json(path, entry)
        except (KeyError, TypeError, ValueError):
            return None
        self.fresh[key] = entry
        return result

    def put(self, key: str, result: FileResult) -> None:
        self.fresh[key] = _to_json(result)

    def save(self) -> None:
        """Keep the entries of this run only (files gone or changed drop out). Errors are ignored:
        a cache that cannot be written only costs speed. A run that read every result from the
        cache and saw every cached file again writes nothing."""
        if self.fresh.keys() == self.entries.keys() and all(self.fresh[key] is self.entries[key] for key in self.fresh):
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tag = self.directory / "CACHEDIR.TAG"
            if not tag.exists():
                tag.write_text(CACHEDIR_TAG, encoding="utf-8")
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by pinlint.\n*\n", encoding="utf-8")
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=self.directory, prefix=".results.", delete=False
            ) as handle:
                json.dump({"format": FORMAT, "entries": self.fresh, "stats": self.fresh_stats}, handle)
            os.replace(handle.name, self.file)
        except OSError:
            pass
