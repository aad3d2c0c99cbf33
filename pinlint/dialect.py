"""Which SQL dialect a file speaks, and why: the decision every SQL finding carries.

The order is: a ``per-path-dialect`` glob that matches the file; then what the code itself
tells (the database drivers it imports, a SQLAlchemy URL or drivername, a Django ENGINE, a
dump file's header); then a configured ``dialect`` (``--dialect``), the user's own word; then
what the file's project tells (pinlint.projectfacts: its dependencies, docker-compose images and
settings; for a .sql file, the project's code that loads it: ``aiosql.from_path("sql/du",
"duckdb")``); then the file's own name or its package's (``statement/mysql.py``,
``backends/mysql/base.py``: a multi-dialect library's module for one database), where neither the
file nor the project decides; then PostgreSQL. Evidence of both dialects in one file, or in its project, also falls
back to the default. A project whose only databases are embedded ones (SQLite, DuckDB) has no
pooler in front of them: a file there that names no database gets ``EMBEDDED``, and its SQL is
not checked. A file whose own code names only a database none of pinlint's poolers fronts gets
``EMBEDDED`` too (its SQL and its calls are not checked): an Oracle or SQL Server driver import
(``oracledb``, ``cx_Oracle``, ``pymssql``) or URL (``oracle+oracledb://``, ``mssql+pyodbc://``),
or a ``sqlite://``/``duckdb://`` URL given to ``create_engine()`` itself (one in a default, as in
``getenv("DATABASE_URL", "sqlite://")``, is a fallback, not the database). Such evidence counts
only when the file names no PostgreSQL or MySQL as well.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass

from pinlint.pymodel import PythonModule
from pinlint.sql.lexer import MYSQL, POSTGRES

EMBEDDED = "embedded"  # SQLite or DuckDB: a database no pooler fronts (its SQL is not checked)
DIALECT_NAMES = {POSTGRES: "PostgreSQL", MYSQL: "MySQL", EMBEDDED: "SQLite or DuckDB (not checked)"}

# Top-level import names of database drivers.
DRIVER_DIALECTS = {
    "pymysql": MYSQL,
    "MySQLdb": MYSQL,
    "mysql": MYSQL,  # mysql.connector
    "aiomysql": MYSQL,
    "asyncmy": MYSQL,
    "mariadb": MYSQL,
    "psycopg2": POSTGRES,
    "psycopg": POSTGRES,
    "psycopg_pool": POSTGRES,
    "asyncpg": POSTGRES,
    "pg8000": POSTGRES,
    "aiopg": POSTGRES,
}
_URL_RE = re.compile(r"^\s*(?P<scheme>mysql|mariadb|postgres|postgresql)(?:\+\w+)?(?::/{2}|$)", re.IGNORECASE)
# Databases no pooler pinlint knows fronts, named by the file's own code: read as ``EMBEDDED``.
OTHER_DRIVERS = {"oracledb": "Oracle", "cx_Oracle": "Oracle", "pymssql": "SQL Server"}
_OTHER_URL_RE = re.compile(r"^\s*(?:oracle|mssql)(?:\+\w+)?://", re.IGNORECASE)
_EMBEDDED_ENGINE_RE = re.compile(r"create_(?:async_)?engine\(\s*[\"'](?:sqlite|duckdb)(?:\+\w+)?://", re.IGNORECASE)
_DJANGO_ENGINES = {
    "django.db.backends.mysql": MYSQL,
    "django.contrib.gis.db.backends.mysql": MYSQL,
    "django.db.backends.postgresql": POSTGRES,
    "django.db.backends.postgresql_psycopg2": POSTGRES,
    "django.contrib.gis.db.backends.postgis": POSTGRES,
}
_STRING_HINT_RE = re.compile(
    r"(?i)(?:mysql|mariadb|postgres)[^\n'\"]{0,40}(?:://|[\"'])|django\.(?:contrib\.gis\.)?db\.backends"
    r"|(?:oracle|mssql)(?:\+\w+)?://"
)
_STRING_HINT_WORDS = ("mysql", "mariadb", "postgres", "django", "oracle", "mssql")  # what each match starts with
# A module (or .sql file) named for its database, or in a package named for it: its name is the
# last evidence before the default (a multi-dialect library keeps one module per database).
_NAMED_DIALECTS = {"mysql": MYSQL, "mariadb": MYSQL, "postgresql": POSTGRES, "postgres": POSTGRES}
_DUMP_HEADERS = (
    (re.compile(r"^-- (?:MySQL|MariaDB) dump", re.MULTILINE), MYSQL, "a mysqldump header"),
    (re.compile(r"^-- PostgreSQL database dump", re.MULTILINE), POSTGRES, "a pg_dump header"),
)


@dataclass(frozen=True)
class Evidence:
    dialect: str
    what: str  # "imports pymysql", "a SQLAlchemy URL mysql+pymysql://"
    line: int = 0
    loads: bool = False  # code of the project that loads this very file (aiosql), not the project at large

    def describe(self) -> str:
        return f"{self.what} (line {self.line})" if self.line else self.what


@dataclass(frozen=True)
class DialectChoice:
    """The dialect a file's SQL is read in, and the reason shown with its findings."""

    name: str
    reason: str


def python_evidence(model: PythonModule | None) -> list[Evidence]:
    """What a Python module says about its database: driver imports, URLs, Django engines.
    String constants are only looked at on lines whose text can hold one of those."""
    if model is None:
        return []
    found: list[Evidence] = []
    nodes: list[ast.AST] = list(model.import_statements)
    hinted = model.nodes_on_lines(_STRING_HINT_RE, _STRING_HINT_WORDS)
    nodes += [node for node in hinted if isinstance(node, ast.Constant)]
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root in DRIVER_DIALECTS and (root != "mysql" or alias.name.startswith("mysql.connector")):
                    found.append(Evidence(DRIVER_DIALECTS[root], f"imports {alias.name}", node.lineno))
                elif root in OTHER_DRIVERS:
                    found.append(_other_database(f"imports {alias.name}", node.lineno, OTHER_DRIVERS[root]))
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            root = node.module.split(".")[0]
            if root in DRIVER_DIALECTS and (root != "mysql" or node.module.startswith("mysql.connector")):
                found.append(Evidence(DRIVER_DIALECTS[root], f"imports {node.module}", node.lineno))
            elif root in OTHER_DRIVERS:
                found.append(_other_database(f"imports {node.module}", node.lineno, OTHER_DRIVERS[root]))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 300:
            value = node.value
            if value in _DJANGO_ENGINES:
                found.append(Evidence(_DJANGO_ENGINES[value], f"Django ENGINE {value}", node.lineno))
                continue
            url = _URL_RE.match(value)
            if url and ("://" in value or "+" in value):
                scheme = url.group("scheme").lower()
                dialect = MYSQL if scheme in ("mysql", "mariadb") else POSTGRES
                shown = value.split("://")[0] + ("://" if "://" in value else "")
                found.append(Evidence(dialect, f"database URL {shown.strip()}", node.lineno))
            elif _OTHER_URL_RE.match(value):
                shown = value.split("://")[0].strip()
                database = "Oracle" if shown.lower().startswith("oracle") else "SQL Server"
                found.append(_other_database(f"database URL {shown}://", node.lineno, database))
    return found + _embedded_engines(model)


def _other_database(what: str, line: int, database: str) -> Evidence:
    return Evidence(EMBEDDED, f"{what}, {database}", line)


def _embedded_engines(model: PythonModule) -> list[Evidence]:
    """``create_engine("sqlite://...")``: an engine of an embedded database, made in the file."""
    found = []
    for node in model.nodes_on_lines(_EMBEDDED_ENGINE_RE):
        if not isinstance(node, ast.Call) or not node.args or not model.qualify(node.func).endswith("_engine"):
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and "://" in first.value:
            scheme = first.value.split("://")[0].strip()
            found.append(Evidence(EMBEDDED, f"create_engine() of {scheme}://", node.lineno))
    return found


def may_be_named(path: str) -> bool:
    """Whether the file's name or its directory's is a database's (cheap: no system call), before
    ``name_evidence`` is asked with the path relative to the project root."""
    parts = path.replace("\\", "/").rsplit("/", 2)
    return parts[-1].rsplit(".", 1)[0].lower() in _NAMED_DIALECTS or (
        len(parts) > 1 and parts[-2].lower() in _NAMED_DIALECTS
    )


def name_evidence(relative_path: str) -> Evidence | None:
    """What a file's own name, or its directory's, says about its database (``lock/mysql.py``,
    ``dialects/mysql/base.py``); None when neither is a database's name, or they disagree.
    ``relative_path`` is relative to the project root, so the directories above it do not count
    (a file outside the root, given as an absolute path, is judged by its own name alone)."""
    parts = relative_path.replace("\\", "/").split("/")
    stem = parts[-1].rsplit(".", 1)[0].lower()
    package = parts[-2].lower() if len(parts) > 1 and not os.path.isabs(relative_path) else ""
    found = []
    if stem in _NAMED_DIALECTS:
        found.append(Evidence(_NAMED_DIALECTS[stem], f"the file's name `{parts[-1]}`"))
    if package in _NAMED_DIALECTS:
        found.append(Evidence(_NAMED_DIALECTS[package], f"its package `{parts[-2]}`"))
    if not found or len({item.dialect for item in found}) > 1:
        return None
    return found[0]


def sql_file_evidence(text: str) -> list[Evidence]:
    """A dump file's header names its database."""
    head = text[:4096]
    found = []
    for pattern, dialect, what in _DUMP_HEADERS:
        match = pattern.search(head)
        if match:
            found.append(Evidence(dialect, what, head.count("\n", 0, match.start()) + 1))
    return found


def choose_dialect(
    evidence: list[Evidence],
    *,
    default: str = POSTGRES,
    default_origin: str = "",
    path_rule: tuple[str, str] | None = None,
    project: tuple[Evidence, ...] = (),
    named: Evidence | None = None,
) -> DialectChoice:
    """Decide a file's dialect. ``path_rule`` is a matching (glob, dialect) of per-path-dialect;
    ``default_origin`` says where the default came from ("" means pinlint's own default);
    ``project`` is the evidence of the file's project (pinlint.projectfacts); ``named`` what the
    file's name says (``name_evidence``), heard only where nothing else decides."""
    if path_rule is not None:
        glob, dialect = path_rule
        return DialectChoice(dialect, f"per-path-dialect `{glob}`")
    servers = [item for item in evidence if item.dialect != EMBEDDED]
    if evidence and not servers:  # only databases no pooler fronts (an Oracle driver, a sqlite engine)
        first = min(evidence, key=lambda item: item.line)
        return DialectChoice(EMBEDDED, f"{first.describe()}: a database no pooler fronts")
    evidence = servers
    dialects = {item.dialect for item in evidence}
    if len(dialects) == 1:
        first = min(evidence, key=lambda item: item.line)
        return DialectChoice(first.dialect, first.describe())
    origin = default_origin or "pinlint's default"
    if len(dialects) > 1:
        return DialectChoice(default, f"{origin}: the file shows both {_both(evidence)}")
    if default_origin:
        return DialectChoice(default, f"{origin}: nothing in the file names a database")
    if project:
        choice = _project_choice(project, default, origin)
        if named is None or not choice.reason.startswith(origin):
            return choice  # the project decided (or made it embedded)
        return DialectChoice(named.dialect, f"from {named.describe()}: {choice.reason.removeprefix(origin + ': ')}")
    if named is not None:
        return DialectChoice(named.dialect, f"from {named.describe()}: nothing in the file names a database")
    return DialectChoice(default, f"{origin}: nothing in the file names a database")


def _both(evidence: list[Evidence] | tuple[Evidence, ...]) -> str:
    mysql = next(item for item in evidence if item.dialect == MYSQL)
    postgres = next(item for item in evidence if item.dialect == POSTGRES)
    return f"MySQL ({mysql.describe()}) and PostgreSQL ({postgres.describe()})"


def _project_choice(project: tuple[Evidence, ...], default: str, origin: str) -> DialectChoice:
    """The dialect of a file that names no database, from its project's evidence (for a file the
    project's code loads, that code's word: pinlint.projectfacts gives it alone, of one dialect)."""
    loader = next((item for item in project if item.loads), None)
    if loader is not None:
        if loader.dialect == EMBEDDED:
            return DialectChoice(EMBEDDED, f"{loader.describe()}: a database no pooler fronts")
        return DialectChoice(loader.dialect, loader.describe())
    servers = [item for item in project if item.dialect != EMBEDDED]
    dialects = {item.dialect for item in servers}
    if len(dialects) == 1:
        return DialectChoice(servers[0].dialect, f"from its project: {servers[0].describe()}")
    if dialects:
        return DialectChoice(
            default, f"{origin}: the file names no database and its project names both {_both(servers)}"
        )
    return DialectChoice(
        EMBEDDED,
        "the file names no database and its project uses only embedded databases, which no pooler fronts:"
        f" {project[0].describe()}",
    )
