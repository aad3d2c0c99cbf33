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
  ``database``, or one in a ``settings`` or ``config`` package), and ``alembic.ini``'s URL;
* for a .sql file, the code that loads it, in a project that depends on aiosql: aiosql loads a
  file or a directory of query files for one driver adapter (``aiosql.from_path("sql/du",
  "duckdb")``, ``aiosql.from_str(Path("q.sql").read_text(), "psycopg2")``, the adapter given by
  name or as the driver module), so a .sql file at or below a path the code names literally (or
  ``__file__``-relative, as pinlint.extract.values reads paths) is of that adapter's database. The
  nearest such path decides; loaders of one path that disagree, a path built at run time and an
  adapter pinlint has no dialect for (``pymssql``) tell nothing. Only Python files that name
  ``aiosql`` are parsed for it, once per root, and only when a .sql file asks.

A root whose files name no database defers to the next root above it. Each root is read once per
run, through the bounded reader (pinlint.files); a file that cannot be read or parsed tells
nothing. Drivers of embedded databases (SQLite, DuckDB) count only when nothing names a server:
a project that uses only those has no pooler in front of its SQL (``EMBEDDED``).
"""

from __future__ import annotations

import ast
import bisect
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinlint.dialect import DIALECT_NAMES, DRIVER_DIALECTS, EMBEDDED, Evidence, choose_dialect
from pinlint.files import UnreadableFile, read_bytes, read_text
from pinlint.sql.lexer import MYSQL, POSTGRES

if TYPE_CHECKING:
    from pinlint.extract.values import ValueReader
    from pinlint.pymodel import PythonModule

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
# aiosql's driver adapters (aiosql/aiosql.py ``_ADAPTERS``) and the databases they talk to; pymssql
# (SQL Server) has no dialect here and is left out
AIOSQL_ADAPTERS = {
    "aiosqlite": EMBEDDED,
    "apsw": EMBEDDED,
    "duckdb": EMBEDDED,
    "sqlite3": EMBEDDED,
    "apsycopg": POSTGRES,
    "asyncpg": POSTGRES,
    "pg8000": POSTGRES,
    "psycopg": POSTGRES,
    "psycopg2": POSTGRES,
    "pygresql": POSTGRES,
    "mariadb": MYSQL,
    "mysqldb": MYSQL,
    "mysql-connector": MYSQL,
    "pymysql": MYSQL,
}
# a PEP 249 module passed as the adapter (``aiosql.from_path(p, sqlite3)``): its top-level import name
AIOSQL_MODULES = {**DRIVER_DIALECTS, "sqlite3": EMBEDDED, "duckdb": EMBEDDED, "apsw": EMBEDDED}
AIOSQL_LOADERS = frozenset(
    f"aiosql{module}.{function}" for module in ("", ".aiosql") for function in ("from_path", "from_str")
)
_AIOSQL_RE = re.compile(r"(?im)^[^#\n]*\baiosql\b")
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
        self._loaders: dict[str, tuple[Loader, ...]] = {}  # project root -> its aiosql loaders
        self._loaded: dict[str, ProjectChoice] = {}  # a .sql file -> its loaders' evidence

    def loaders(self, root: str) -> tuple[Loader, ...]:
        """The aiosql loaders of the project at ``root`` (``--show-settings``)."""
        return self._root_loaders(root)

    def _root_loaders(self, root: str) -> tuple[Loader, ...]:
        loaders = self._loaders.get(root)
        if loaders is None:
            loaders = ()
            if self._names_aiosql(root):
                candidates = self._python_files(root)
                loaders = tuple(loader for path in candidates for loader in read_loaders(path, root))
            self._loaders[root] = loaders
        return loaders

    def _names_aiosql(self, root: str) -> bool:
        """Whether the root's dependency or lock files name aiosql (off comment lines)."""
        names = self._listing(root)
        files = [name for name in names if name in DEPENDENCY_FILES + LOCK_FILES or _REQUIREMENTS_RE.match(name)]
        return any(_AIOSQL_RE.search(_read(os.path.join(root, name))) for name in sorted(files))

    def for_file(self, path: str | os.PathLike[str]) -> ProjectChoice:
        """The project evidence of ``path``; for a .sql file, what the code that loads it says,
        when that code names its database (see the module docstring)."""
        choice = self.for_directory(os.path.dirname(os.fspath(path)))
        if not choice.root or not os.fspath(path).endswith(".sql"):
            return choice
        absolute = os.path.normpath(os.path.abspath(path))
        loaded = self._loaded.get(absolute)
        if loaded is None:
            found = loader_evidence(self._root_loaders(choice.root), absolute)
            loaded = self._loaded[absolute] = ProjectChoice(choice.root, (found,)) if found else choice
        return loaded

    def for_directory(self, given: str) -> ProjectChoice:  # as given: made absolute once per directory
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
        for path in self._python_files(root):
            if _is_settings_module(path):
                yield path

    def _python_files(self, root: str) -> Iterable[str]:
        """The project's Python files: the run's, when it walks the whole root, else a walk."""
        prefix = os.path.join(root, "")
        if any(prefix.startswith(directory) for directory in self._covered):
            return self._known_under(prefix)
        return _walk_python(root)

    def _known_under(self, prefix: str) -> Iterator[str]:
        """The run's files under the directory ``prefix`` (with its trailing separator)."""
        if self._known is None:
            self._known = sorted(os.path.abspath(path) for path in self._known_files if str(path).endswith(".py"))
        for index in range(bisect.bisect_left(self._known, prefix), len(self._known)):
            path = self._known[index]
            if not path.startswith(prefix):
                return
            yield path


@dataclass(frozen=True)
class Loader:
    """A file or directory of query files that the project's code loads for one database."""

    path: str  # absolute, normalized
    evidence: Evidence

    def holds(self, path: str) -> bool:
        return path == self.path or path.startswith(os.path.join(self.path, ""))


def loader_evidence(loaders: Iterable[Loader], path: str) -> Evidence | None:
    """The evidence of the nearest loaded path at or above the absolute ``path``, when every
    loader of that path names the same database."""
    holding = [loader for loader in loaders if loader.holds(path)]
    if not holding:
        return None
    nearest = max(len(loader.path) for loader in holding)
    chosen = [loader for loader in holding if len(loader.path) == nearest]
    if len({loader.evidence.dialect for loader in chosen}) != 1:
        return None
    return chosen[0].evidence


def read_loaders(path: str, root: str = "") -> list[Loader]:
    """The aiosql loads in the Python file ``path``: ``from_path(P, adapter)`` of a path P the code
    names, ``from_str(<text read from P>, adapter)``, with an adapter name or driver module. A
    relative literal P is the module directory's when it is there, else the project ``root``'s (the
    working directory aiosql resolves it from, which a Lambda's is: its code directory)."""
    try:
        data = read_bytes(path, MAX_FACT_BYTES)
    except UnreadableFile:
        return []
    if b"aiosql" not in data:
        return []
    from pinlint.extract.values import ValueReader  # (the value flow: only for a file that names aiosql)
    from pinlint.pymodel import ParseError, parse_python

    try:
        model = parse_python(data.decode("utf-8", errors="replace"))
    except ParseError:
        return []
    reader = ValueReader(model, path)
    found = []
    stack: list[tuple[ast.AST, tuple[ast.AST | None, ...]]] = [(model.tree, (None,))]
    while stack:
        node, chain = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            chain = (*chain, node)
        if isinstance(node, ast.Call) and (qualified := model.qualify(node.func)) in AIOSQL_LOADERS:
            dialect, adapter = _adapter(model, node)
            try:
                targets = _loaded_paths(reader, node, chain, qualified.endswith("from_str"), root) if dialect else []
            except RecursionError:  # an expression nested deeper than Python's stack: not read
                targets = []
            for target in targets:
                what = f"{_shown(path)} loads it with aiosql's `{adapter}` adapter"
                found.append(
                    Loader(os.path.normpath(os.path.abspath(target)), Evidence(dialect, what, node.lineno, True))
                )
        stack.extend((child, chain) for child in ast.iter_child_nodes(node))
    return found


def _argument(node: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if any(isinstance(argument, ast.Starred) for argument in node.args[: position + 1]):
        return None
    if len(node.args) > position:
        return node.args[position]
    return next((item.value for item in node.keywords if item.arg == keyword), None)


def _adapter(model: PythonModule, node: ast.Call) -> tuple[str, str]:
    """The database of the call's driver adapter and its name, or ("", "")."""
    adapter = _argument(node, 1, "driver_adapter")
    if isinstance(adapter, ast.Constant) and isinstance(adapter.value, str):
        name = adapter.value.lower()
        return AIOSQL_ADAPTERS.get(name, ""), name
    if isinstance(adapter, ast.Name | ast.Attribute):
        module = model.qualify(adapter, imported_only=True)
        dialect = AIOSQL_MODULES.get(module.split(".")[0], "") if module else ""
        return dialect, module
    return "", ""


def _loaded_paths(
    reader: ValueReader, node: ast.Call, chain: tuple[ast.AST | None, ...], from_str: bool, root: str
) -> list[str]:
    """The files or directories the loader call reads its queries from, where the code shows them."""
    source = _argument(node, 0, "sql" if from_str else "sql_path")
    if source is None:
        return []
    if not from_str:
        target = reader.path_of(source, chain)
        literal = source.value if isinstance(source, ast.Constant) and isinstance(source.value, str) else ""
        if literal and root and target is not None and not target.exists() and not os.path.isabs(literal):
            target = Path(root, literal)
        return [str(target)] if target is not None and target.exists() else []
    return sorted({value.read_from for value in reader.values(source, chain, None) if value.read_from})


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
    what a file there that names none is read as, and why, then one ``# query files:`` line per
    path of .sql files that the project's code loads for a database (``--show-settings``)."""
    reader = ProjectReader()
    roots: dict[str, ProjectChoice] = {}
    loaded: set[str] = set()
    for path in files:
        choice = reader.for_directory(os.path.dirname(os.fspath(path)))
        if choice.evidence:
            roots.setdefault(choice.root, choice)
        if choice.root and os.fspath(path).endswith(".sql"):
            loaded.add(choice.root)
    lines = []
    for root, choice in sorted(roots.items()):
        decided = choose_dialect([], default=default, project=choice.evidence)
        line = f"# project database: {_shown(root)}: {DIALECT_NAMES.get(decided.name, decided.name)}, {decided.reason}"
        if default_origin:
            line += f" (not used: {default_origin} decides for files that name no database)"
        lines.append(line)
    lines = lines or ["# project database: none found"]
    for root in sorted(loaded):
        for loader in sorted(reader.loaders(root), key=lambda loader: (loader.path, loader.evidence.line)):
            dialect = DIALECT_NAMES.get(loader.evidence.dialect, loader.evidence.dialect)
            lines.append(f"# query files: {_shown(loader.path)}: {dialect}, {loader.evidence.describe()}")
    return "".join(f"{line}\n" for line in lines)
