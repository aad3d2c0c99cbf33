"""The database a project uses, from the files around its code: the project-level evidence of a
file's SQL dialect (pinlint.dialect decides with it).

A project root is the nearest directory above a file that holds a project file: a dependency file
(``pyproject.toml``, ``requirements*.txt``, ``Pipfile``, ``poetry.lock``, ``uv.lock``), ``setup.py``
or ``setup.cfg``, Django's ``manage.py``, or a docker-compose file. The search goes no higher than
the repository root (the directory holding ``.git``), so a pre-commit run on one file finds the
same root as a run on the whole tree. What a root tells:

* its dependencies: the database drivers named in ``pyproject.toml`` (``[project]`` dependencies
  and optional dependencies, ``[dependency-groups]``, ``[tool.poetry]`` dependencies and groups),
  ``requirements*.txt`` (at the root and in ``requirements/``) and ``Pipfile``; the lock files
  (``poetry.lock``, ``uv.lock``) only when those name no driver, as they also list what the
  dependencies pull in;
* the images of its docker-compose files (``postgres:16``, ``mysql:8``, ``mariadb``...);
* its settings: a Django ``ENGINE`` or a database URL (``mysql+pymysql://``) in the project's
  settings and configuration modules (a Python file whose name holds ``settings``, ``config`` or
  ``database``, or one in a ``settings`` or ``config`` package), and ``alembic.ini``'s URL.

A root whose files name no database defers to the next root above it. Each root is read once per
run, through the bounded reader (pinlint.files); a file that cannot be read or parsed tells
nothing. Drivers of embedded databases (SQLite, DuckDB) count only when nothing names a server:
a project that uses only those has no pooler in front of its SQL (``EMBEDDED``).
"""

from __future__ import annotations

import bisect
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pinlint.dialect import DIALECT_NAMES, EMBEDDED, Evidence, choose_dialect
from pinlint.files import UnreadableFile, read_bytes, read_text
from pinlint.sql.lexer import MYSQL, POSTGRES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

MAX_LEVELS_UP = 12
MAX_FACT_BYTES = 4 * 1024 * 1024  # a dependency, lock, compose or settings file larger than this tells nothing

DEPENDENCY_FILES = ("pyproject.toml", "Pipfile")
LOCK_FILES = ("poetry.lock", "uv.lock")
OTHER_MARKERS = ("setup.py", "setup.cfg", "manage.py", "alembic.ini")
_REQUIREMENTS_RE = re.compile(r"^requirements[\w.-]*\.txt$|^requirements$")
_COMPOSE_RE = re.compile(r"^(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml$")

# Distribution names (normalized as pip does: lower case, runs of -_. as one -)
DRIVER_PACKAGES = {
    "psycopg2": POSTGRES,
    "psycopg2-binary": POSTGRES,
    "psycopg": POSTGRES,
    "psycopg-binary": POSTGRES,
    "psycopg-c": POSTGRES,
    "psycopg-pool": POSTGRES,
    "asyncpg": POSTGRES,
    "pg8000": POSTGRES,
    "aiopg": POSTGRES,
    "pygresql": POSTGRES,
    "mysqlclient": MYSQL,
    "pymysql": MYSQL,
    "mysql-connector-python": MYSQL,
    "mysql-connector": MYSQL,
    "aiomysql": MYSQL,
    "asyncmy": MYSQL,
    "mariadb": MYSQL,
    "duckdb": EMBEDDED,
    "duckdb-engine": EMBEDDED,
    "aiosqlite": EMBEDDED,
    "apsw": EMBEDDED,
    "pysqlite3": EMBEDDED,
    "pysqlite3-binary": EMBEDDED,
    "sqlite-utils": EMBEDDED,
}
IMAGE_DIALECTS = {
    "postgres": POSTGRES,
    "postgresql": POSTGRES,
    "postgis": POSTGRES,
    "timescaledb": POSTGRES,
    "timescaledb-ha": POSTGRES,
    "pgvector": POSTGRES,
    "pgbouncer": POSTGRES,
    "mysql": MYSQL,
    "mysql-server": MYSQL,
    "mariadb": MYSQL,
    "percona-server": MYSQL,
    "proxysql": MYSQL,
}
_SETTINGS_NAME_RE = re.compile(r"settings|config|database", re.IGNORECASE)
_SETTINGS_PACKAGES = frozenset({"settings", "config", "conf"})
_ENGINE_RE = re.compile(r"""["']((?:[\w.]+\.)?(?:db\.)?backends\.[\w.]+|mysql\.connector\.django)["']""")
_URL_RE = re.compile(r"""(?:["'=]\s*)(mysql|mariadb|postgres|postgresql|sqlite|duckdb)(?:\+\w+)?://""", re.IGNORECASE)
_NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_LOCK_NAME_RE = re.compile(r'^name\s*=\s*"([^"]+)"', re.MULTILINE)
_IMAGE_RE = re.compile(r"""^\s*image:\s*["']?([^\s"'#]+)""", re.MULTILINE)


def normalized(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _scheme_dialect(scheme: str) -> str:
    scheme = scheme.lower()
    if scheme in ("mysql", "mariadb"):
        return MYSQL
    return POSTGRES if scheme.startswith("postgres") else EMBEDDED


def _engine_dialect(engine: str) -> str:
    lowered = engine.lower()
    if "mysql" in lowered:
        return MYSQL
    if "postg" in lowered:
        return POSTGRES
    return EMBEDDED if "sqlite" in lowered else ""


@dataclass(frozen=True)
class ProjectChoice:
    """What a project root says about its database: its evidence (``dialect`` of each one is
    POSTGRES, MYSQL or EMBEDDED) and the root shown in reasons."""

    root: str
    evidence: tuple[Evidence, ...] = ()

    @cached_property
    def key(self) -> str:
        """What the findings of a file in this project depend on (its cache key)."""
        return repr((self.root, [(item.dialect, item.describe()) for item in self.evidence]))


class ProjectReader:
    """Reads each project root once per run: ``for_file(path)`` is the project evidence of a
    file (empty when no project file above it names a database)."""

    def __init__(self, known_files: Iterable[Path] = (), covered: Iterable[str] = ()) -> None:
        self._listings: dict[str, frozenset[str]] = {}
        self._chains: dict[str, tuple[str, ...]] = {}
        self._roots: dict[str, tuple[tuple[Evidence, ...], bool]] = {}
        self._choices: dict[str, ProjectChoice] = {}
        self._known_files = list(known_files)
        self._known: list[str] | None = None  # sorted absolute paths, made on first use
        self._covered = tuple(covered)

    def for_file(self, path: str | os.PathLike[str]) -> ProjectChoice:
        given = os.path.dirname(os.fspath(path))  # as given: made absolute once per directory
        choice = self._choices.get(given)
        if choice is None:
            choice = ProjectChoice("")
            for root in self._chain(os.path.abspath(given or os.curdir)):
                evidence, declares = self._evidence(root)
                if evidence or declares:  # a root that lists its dependencies is the whole project
                    choice = ProjectChoice(root, evidence)
                    break
            self._choices[given] = choice
        return choice

    def _listing(self, directory: str) -> frozenset[str]:
        names = self._listings.get(directory)
        if names is None:
            try:
                names = frozenset(os.listdir(directory))
            except OSError:
                names = frozenset()
            self._listings[directory] = names
        return names

    def _chain(self, directory: str, level: int = 0) -> tuple[str, ...]:
        """The project roots at or above ``directory``, nearest first, up to the repository root."""
        chain = self._chains.get(directory)
        if chain is None:
            names = self._listing(directory)
            here = (directory,) if _is_root(names) else ()
            parent = os.path.dirname(directory)
            if ".git" in names or parent == directory or level >= MAX_LEVELS_UP:
                chain = here
            else:
                chain = here + self._chain(parent, level + 1)
            self._chains[directory] = chain
        return chain

    def _evidence(self, root: str) -> tuple[tuple[Evidence, ...], bool]:
        """What the root says about its database, and whether it declares its dependencies."""
        if root not in self._roots:
            names = self._listing(root)
            found, declares = self._dependencies(root, names)
            found += _compose_images(root, names)
            found += self._settings(root, names)
            self._roots[root] = (tuple(found), declares)
        return self._roots[root]

    def _dependencies(self, root: str, names: frozenset[str]) -> tuple[list[Evidence], bool]:
        found: list[Evidence] = []
        declares = False
        for name, names_of in (("pyproject.toml", _pyproject_names), ("Pipfile", _pipfile_names)):
            if name in names:
                evidence, declared = _toml_dependencies(os.path.join(root, name), names_of)
                found += evidence
                declares = declares or declared
        requirements = [name for name in names if _REQUIREMENTS_RE.match(name)]
        declares = declares or bool(requirements) or any(name in names for name in LOCK_FILES)
        paths = [os.path.join(root, name) for name in sorted(requirements)]
        if "requirements" in requirements:
            paths.remove(os.path.join(root, "requirements"))
            subdirectory = os.path.join(root, "requirements")
            paths += [os.path.join(subdirectory, name) for name in sorted(self._listing(subdirectory))]
        for path in paths:
            if path.endswith(".txt"):
                found += _requirements(path)
        if not any(item.dialect != EMBEDDED for item in found):
            for name in LOCK_FILES:
                if name in names:
                    found += _lock_packages(os.path.join(root, name))
        return found, declares

    def _settings(self, root: str, names: frozenset[str]) -> list[Evidence]:
        found: list[Evidence] = []
        if "alembic.ini" in names:
            found += _settings_evidence(os.path.join(root, "alembic.ini"), ini=True)
        for path in self._settings_modules(root):
            found += _settings_evidence(path)
        return found

    def _settings_modules(self, root: str) -> Iterator[str]:
        prefix = os.path.join(root, "")
        if any(prefix.startswith(directory) for directory in self._covered):
            candidates: Iterable[str] = self._known_under(prefix)
        else:
            candidates = _walk_python(root)
        for path in candidates:
            if _is_settings_module(path):
                yield path

    def _known_under(self, prefix: str) -> Iterator[str]:
        """The run's files under the directory ``prefix`` (with its trailing separator)."""
        if self._known is None:
            self._known = sorted(os.path.abspath(path) for path in self._known_files if str(path).endswith(".py"))
        for index in range(bisect.bisect_left(self._known, prefix), len(self._known)):
            path = self._known[index]
            if not path.startswith(prefix):
                return
            yield path


def _is_root(names: frozenset[str]) -> bool:
    if any(name in names for name in DEPENDENCY_FILES + LOCK_FILES + OTHER_MARKERS):
        return True
    return any(_REQUIREMENTS_RE.match(name) or _COMPOSE_RE.match(name) for name in names)


def _is_settings_module(path: str) -> bool:
    if not path.endswith(".py"):
        return False
    directory, name = os.path.split(path)
    return bool(_SETTINGS_NAME_RE.search(name)) or os.path.basename(directory).lower() in _SETTINGS_PACKAGES


_SKIPPED_DIRECTORIES = frozenset({"node_modules", "__pycache__", "site-packages", "build", "dist"})
MAX_WALKED_DIRECTORIES = 5000


def _walk_python(root: str) -> Iterator[str]:
    """The Python files under ``root`` (not in hidden directories, virtual environments or caches),
    from at most MAX_WALKED_DIRECTORIES directories."""
    pending = [root]
    seen = 0
    while pending and seen < MAX_WALKED_DIRECTORIES:
        directory = pending.pop()
        seen += 1
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        if directory != root and any(entry.name == "pyvenv.cfg" for entry in entries):
            continue
        for entry in sorted(entries, key=lambda entry: entry.name):
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith(".") and entry.name not in _SKIPPED_DIRECTORIES:
                        pending.append(entry.path)
                elif entry.name.endswith(".py"):
                    yield entry.path
            except OSError:
                continue


def _read(path: str) -> str:
    try:
        return read_text(path, MAX_FACT_BYTES)
    except UnreadableFile:
        return ""


def _shown(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive
        return Path(path).as_posix()
    return Path(relative).as_posix() if not relative.startswith("..") else Path(path).as_posix()


def _driver_evidence(names: Iterable[str], text: str, path: str) -> list[Evidence]:
    found = []
    for name in names:
        dialect = DRIVER_PACKAGES.get(normalized(name))
        if dialect is not None:
            match = re.search(rf"(?im)^.*?\b{re.escape(name)}\b", text)
            line = _line_of(text, match.start()) if match else 0
            found.append(Evidence(dialect, f"{_shown(path)} names {name}", line))
    return found


def _toml_dependencies(path: str, names_of: Any) -> tuple[list[Evidence], bool]:
    """The drivers a TOML dependency file names, and whether it declares dependencies at all
    (a pyproject.toml that only configures tools does not)."""
    text = _read(path)
    if not text:
        return [], False
    try:
        document = tomllib.loads(text)
    except (ValueError, RecursionError, MemoryError):  # TOMLDecodeError is a ValueError
        return [], False
    names = names_of(document)
    if names is None:
        return [], False
    return _driver_evidence(names, text, path), True


def _requirement_names(items: Any) -> list[str]:
    names = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str) and (match := _NAME_RE.match(item)):
            names.append(match.group(1))
    return names


def _table(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _groups(value: Any) -> list[Any]:
    """The values of a table of groups; nothing when it is not a table."""
    return list(value.values()) if isinstance(value, dict) else []


def _pyproject_names(document: dict[str, Any]) -> list[str] | None:
    if not any(
        _table(document, *keys) is not None for keys in (("project",), ("tool", "poetry"), ("dependency-groups",))
    ):
        return None
    names = _requirement_names(_table(document, "project", "dependencies"))
    for group in _groups(_table(document, "project", "optional-dependencies")):
        names += _requirement_names(group)
    for group in _groups(_table(document, "dependency-groups")):
        names += _requirement_names(group)
    poetry = _table(document, "tool", "poetry") or {}
    tables = [_table(poetry, "dependencies"), _table(poetry, "dev-dependencies")]
    tables += [_table(group, "dependencies") for group in _groups(_table(poetry, "group"))]
    for table in tables:
        if isinstance(table, dict):
            names += [name for name in table if isinstance(name, str)]
    return names


def _pipfile_names(document: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for key in ("packages", "dev-packages"):
        table = document.get(key)
        if isinstance(table, dict):
            names += [name for name in table if isinstance(name, str)]
    return names


def _requirements(path: str) -> list[Evidence]:
    text = _read(path)
    names = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "-")) and (match := _NAME_RE.match(stripped)):
            names.append(match.group(1))
    return _driver_evidence(names, text, path)


def _lock_packages(path: str) -> list[Evidence]:
    text = _read(path)
    return _driver_evidence([match.group(1) for match in _LOCK_NAME_RE.finditer(text)], text, path)


def _compose_images(root: str, names: frozenset[str]) -> list[Evidence]:
    found = []
    for name in sorted(names):
        if not _COMPOSE_RE.match(name):
            continue
        path = os.path.join(root, name)
        text = _read(path)
        for match in _IMAGE_RE.finditer(text):
            image = match.group(1)
            base = image.rsplit("/", 1)[-1].split("@")[0].split(":")[0].lower()
            dialect = IMAGE_DIALECTS.get(base)
            if dialect is not None:
                found.append(Evidence(dialect, f"{_shown(path)} runs the image {image}", _line_of(text, match.start())))
    return found


def _settings_evidence(path: str, ini: bool = False) -> list[Evidence]:
    """Django ENGINEs and database URLs in a settings module (or alembic.ini), off comment lines."""
    try:
        data = read_bytes(path, MAX_FACT_BYTES)
    except UnreadableFile:
        return []
    if not (b"backends" in data or b"://" in data or b"connector.django" in data):
        return []
    text = data.decode("utf-8", errors="replace")
    found = []
    for offset, line in _code_lines(text, ini):
        for match in _ENGINE_RE.finditer(line):
            dialect = _engine_dialect(match.group(1))
            if dialect:
                line_number = _line_of(text, offset)
                found.append(Evidence(dialect, f"{_shown(path)} sets the Django ENGINE {match.group(1)}", line_number))
        for match in _URL_RE.finditer(line):
            scheme = match.group(1)
            found.append(
                Evidence(_scheme_dialect(scheme), f"{_shown(path)} has a {scheme}:// URL", _line_of(text, offset))
            )
    return found


def _code_lines(text: str, ini: bool) -> Iterator[tuple[int, str]]:
    offset = 0
    comment = ("#", ";") if ini else ("#",)
    for line in text.splitlines(keepends=True):
        if not line.lstrip().startswith(comment):
            yield offset, line
        offset += len(line)


def databases_text(files: Iterable[Path], default: str, default_origin: str) -> str:
    """One ``# project database:`` line per project root of ``files`` that names a database, with
    what a file there that names none is read as, and why (``--show-settings``)."""
    reader = ProjectReader()
    roots: dict[str, ProjectChoice] = {}
    for path in files:
        choice = reader.for_file(path)
        if choice.evidence:
            roots.setdefault(choice.root, choice)
    lines = []
    for root, choice in sorted(roots.items()):
        decided = choose_dialect([], default=default, project=choice.evidence)
        line = f"# project database: {_shown(root)}: {DIALECT_NAMES.get(decided.name, decided.name)}, {decided.reason}"
        if default_origin:
            line += f" (not used: {default_origin} decides for files that name no database)"
        lines.append(line)
    return "".join(f"{line}\n" for line in lines) or "# project database: none found\n"
