"""The project's database decides the dialect of a file that names none: dependency files,
docker-compose images and settings modules (pinlint.projectfacts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli

MYSQL_SQL = (
    'def work(cur):\n    cur.execute("SELECT GET_LOCK(%s, 10)", ("job",))\n    cur.execute("LOCK TABLES t WRITE")\n'
)
POSTGRES_SQL = 'def work(cur):\n    cur.execute("SELECT pg_advisory_lock(1)")\n'


def _findings(root: Path, *paths: str, extra: tuple[str, ...] = ()) -> list[dict[str, object]]:
    done = run_cli("check", "--no-cache", "--output-format", "json", *extra, *paths, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    findings: list[dict[str, object]] = json.loads(done.stdout)
    return findings


def _project(root: Path, files: dict[str, str]) -> None:
    (root / ".git").mkdir(parents=True)  # the repository root: the search for project files stops here
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _codes_and_reasons(findings: list[dict[str, object]]) -> list[tuple[object, str]]:
    return [(finding["code"], finding["dialect"]["reason"]) for finding in findings]  # type: ignore[index]


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"requirements.txt": "flask==3.0\nPyMySQL>=1.1  # the driver\n"}, "requirements.txt names PyMySQL (line 2)"),
        (
            {"requirements/base.txt": "-r common.txt\nmysqlclient\n"},
            "requirements/base.txt names mysqlclient (line 2)",
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "shop"\ndependencies = [\n  "sqlalchemy",\n'
                '  "mysql-connector-python",\n]\n'
            },
            "pyproject.toml names mysql-connector-python (line 5)",
        ),
        (
            {"pyproject.toml": '[tool.poetry]\nname = "shop"\n\n[tool.poetry.dependencies]\naiomysql = "^0.2"\n'},
            "pyproject.toml names aiomysql (line 5)",
        ),
        ({"Pipfile": '[packages]\nflask = "*"\npymysql = "*"\n'}, "Pipfile names pymysql (line 3)"),
        (
            {
                "pyproject.toml": '[project]\nname = "shop"\ndependencies = ["sqlalchemy"]\n',
                "uv.lock": 'version = 1\n\n[[package]]\nname = "pymysql"\n',
            },
            "uv.lock names pymysql (line 4)",
        ),
        (
            {"docker-compose.yml": "services:\n  db:\n    image: mariadb:11\n  app:\n    build: .\n"},
            "docker-compose.yml runs the image mariadb:11 (line 3)",
        ),
        (
            {
                "manage.py": "import django\n",
                "mysite/settings.py": 'DATABASES = {"default": {"ENGINE": "django.db.backends.mysql"}}\n',
            },
            "mysite/settings.py sets the Django ENGINE django.db.backends.mysql (line 1)",
        ),
        (
            {"setup.py": "", "app/config.py": 'SQLALCHEMY_DATABASE_URI = "mysql+pymysql://app@db/shop"\n'},
            "app/config.py has a mysql:// URL (line 1)",
        ),
    ],
)
def test_a_project_that_uses_mysql_makes_its_files_mysql(tmp_path: Path, files: dict[str, str], reason: str) -> None:
    """A module without a driver import in a MySQL project: its GET_LOCK and LOCK TABLES are
    MySQL's, and the finding says which project file decided."""
    _project(tmp_path, {**files, "app/jobs/work.py": MYSQL_SQL})
    findings = _findings(tmp_path, "app/jobs/work.py")  # one file, as pre-commit passes it
    assert _codes_and_reasons(findings) == [
        ("PIN206", f"from its project: {reason}"),
        ("PIN205", f"from its project: {reason}"),
    ]


def test_the_file_s_own_evidence_wins_over_the_project_s(tmp_path: Path) -> None:
    _project(tmp_path, {"requirements.txt": "pymysql\n", "work.py": "import psycopg2\n" + POSTGRES_SQL})
    assert _codes_and_reasons(_findings(tmp_path, ".")) == [("PIN019", "imports psycopg2 (line 1)")]


def test_per_path_dialect_and_a_configured_dialect_win_over_the_project(tmp_path: Path) -> None:
    """The user's word (per-path-dialect, `dialect`, `--dialect`) is above what pinlint infers."""
    _project(tmp_path, {"requirements.txt": "pymysql\n", "work.py": POSTGRES_SQL})
    assert _codes_and_reasons(_findings(tmp_path, ".", extra=("--dialect", "postgres"))) == [
        ("PIN019", "--dialect: nothing in the file names a database")
    ]
    (tmp_path / "pinlint.toml").write_text('[per-path-dialect]\n"work.py" = "postgres"\n')
    assert _codes_and_reasons(_findings(tmp_path, ".")) == [("PIN019", "per-path-dialect `work.py`")]


def test_both_databases_in_the_project_keep_the_default(tmp_path: Path) -> None:
    _project(tmp_path, {"requirements.txt": "pymysql\npsycopg2-binary\n", "work.py": POSTGRES_SQL})
    assert _codes_and_reasons(_findings(tmp_path, ".")) == [
        (
            "PIN019",
            "pinlint's default: the file names no database and its project names both MySQL (requirements.txt"
            " names pymysql (line 1)) and PostgreSQL (requirements.txt names psycopg2-binary (line 2))",
        )
    ]


def test_a_project_of_embedded_databases_only_has_its_sql_left_alone(tmp_path: Path) -> None:
    """DuckDB or SQLite only: no pooler fronts them, so `nextval()` or a session SET there is no risk
    (aiosql's DuckDB queries were read as PostgreSQL); a file that imports a server driver is still read."""
    sql = "SELECT nextval('blogs_seq');\nSET search_path TO app;\n"
    _project(
        tmp_path, {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["duckdb>=1"]\n', "sql/blogs.sql": sql}
    )
    assert _findings(tmp_path, ".") == []
    (tmp_path / "pg.py").write_text("import psycopg\n" + POSTGRES_SQL)
    assert [finding["code"] for finding in _findings(tmp_path, ".")] == ["PIN019"]


def test_a_project_that_names_a_server_next_to_an_embedded_one_is_read_as_the_server(tmp_path: Path) -> None:
    _project(tmp_path, {"requirements.txt": "aiosqlite\nasyncpg\n", "work.py": POSTGRES_SQL})
    assert _codes_and_reasons(_findings(tmp_path, ".")) == [
        ("PIN019", "from its project: requirements.txt names asyncpg (line 2)")
    ]


def test_the_nearest_project_that_lists_its_dependencies_decides(tmp_path: Path) -> None:
    """A service with its own requirements is its own project; a directory with only a
    tool-configuring pyproject.toml (or no project file) belongs to the project above it."""
    _project(
        tmp_path,
        {
            "requirements.txt": "pymysql\n",
            "services/billing/requirements.txt": "boto3\n",
            "services/billing/work.py": POSTGRES_SQL,
            "services/shop/pyproject.toml": "[tool.pinlint]\n",
            "services/shop/work.py": MYSQL_SQL,
        },
    )
    findings = _findings(tmp_path, ".")
    by_file = {(finding["filename"], finding["code"]) for finding in findings}
    assert by_file == {
        ("services/billing/work.py", "PIN019"),  # its own requirements name no database: the default
        ("services/shop/work.py", "PIN206"),
        ("services/shop/work.py", "PIN205"),
    }


def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("pymysql\n")
    _project(tmp_path / "repo", {"work.py": MYSQL_SQL})
    assert _findings(tmp_path / "repo", ".") == []  # read as PostgreSQL: GET_LOCK is no PostgreSQL risk


def test_look_alikes_tell_nothing(tmp_path: Path) -> None:
    """A commented-out ENGINE, a mail backend, a package whose name only starts like a driver, an
    Pipfile that is not TOML: nothing names MySQL, so the SQL stays PostgreSQL."""
    _project(
        tmp_path,
        {
            "Pipfile": "[packages\nbroken = ",
            "requirements.txt": "pymysql-stubs\n# mysqlclient\n--index-url https://mysql.example/\n",
            "settings.py": '# "ENGINE": "django.db.backends.mysql"\n'
            'EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"\n',
            "docker-compose.yml": "services:\n  cache:\n    image: redis:7\n",
            "work.py": MYSQL_SQL,
        },
    )
    assert _findings(tmp_path, ".") == []


def test_a_changed_dependency_file_changes_cached_results(tmp_path: Path) -> None:
    """The project's evidence is part of the cache key of the files it decides."""
    _project(tmp_path, {"requirements.txt": "boto3\n", "work.py": MYSQL_SQL})
    first = run_cli("check", "--output-format", "concise", "-q", ".", cwd=tmp_path)
    assert first.stdout == ""
    (tmp_path / "requirements.txt").write_text("boto3\npymysql\n")
    second = run_cli("check", "--output-format", "concise", "-q", ".", cwd=tmp_path)
    assert [line.split()[1] for line in second.stdout.splitlines()] == ["PIN206", "PIN205"]


def test_per_path_dialect_can_mark_the_sql_of_an_embedded_database(tmp_path: Path) -> None:
    """aiosql keeps one directory of queries per driver: `embedded` says a directory's SQL goes to
    DuckDB or SQLite, which no pooler fronts, so its `nextval()` is no finding (realcode FP2)."""
    _project(
        tmp_path,
        {
            "pinlint.toml": '[per-path-dialect]\n"sql/du/**" = "embedded"\n',
            "sql/du/blogs.sql": "-- name: new-id$\nselect nextval('blogs_seq')\n",
            "sql/pg/blogs.sql": "-- name: new-id$\nselect nextval('blogs_seq')\n",
        },
    )
    assert [(finding["filename"], finding["code"]) for finding in _findings(tmp_path, ".")] == [
        ("sql/pg/blogs.sql", "PIN016")
    ]
    (tmp_path / "pinlint.toml").write_text('[per-path-dialect]\n"sql/du/**" = "duckdb"\n')
    done = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert done.returncode == 2 and "postgres, mysql, embedded" in done.stderr


def test_show_settings_says_what_each_project_names(tmp_path: Path) -> None:
    _project(
        tmp_path,
        {
            "shop/requirements.txt": "pymysql\n",
            "shop/app.py": "x = 1\n",
            "analytics/pyproject.toml": '[project]\nname = "a"\ndependencies = ["duckdb"]\n',
            "analytics/q.sql": "SELECT 1;\n",
            "tools/run.py": "x = 1\n",  # in no project that names a database
        },
    )
    shown = run_cli("check", "--show-settings", ".", cwd=tmp_path).stdout
    assert [line for line in shown.splitlines() if line.startswith("# project database:")] == [
        "# project database: analytics: SQLite or DuckDB (not checked), the file names no database and its project"
        " uses only embedded databases, which no pooler fronts: analytics/pyproject.toml names duckdb (line 3)",
        "# project database: shop: MySQL, from its project: shop/requirements.txt names pymysql (line 1)",
    ]


def test_settings_are_found_whether_the_run_walks_the_project_or_names_one_file(tmp_path: Path) -> None:
    settings = 'DATABASES = {"default": {"ENGINE": "django.db.backends.mysql"}}\n'
    _project(tmp_path, {"manage.py": "", "mysite/settings/base.py": settings, "shop/work.py": MYSQL_SQL})
    reason = "from its project: mysite/settings/base.py sets the Django ENGINE django.db.backends.mysql (line 1)"
    for given in (".", "shop", "shop/work.py"):
        assert {item[1] for item in _codes_and_reasons(_findings(tmp_path, given))} == {reason}, given


@pytest.mark.parametrize(
    "pyproject",
    [
        '[project]\nname = "x"\noptional-dependencies = ["pymysql"]\n',  # a list where a table belongs
        'project = "x"\n',
        '[project]\ndependencies = "pymysql"\n',
        'dependency-groups = 3\n[tool]\npoetry = "x"\n',
        '[tool.poetry]\ngroup = ["dev"]\ndependencies = ["pymysql"]\n',
    ],
)
def test_dependency_files_of_odd_shapes_tell_nothing_and_break_nothing(tmp_path: Path, pyproject: str) -> None:
    _project(tmp_path, {"pyproject.toml": pyproject, "work.py": MYSQL_SQL})
    (tmp_path / "requirements").mkdir()  # a requirements directory holding no file
    assert _findings(tmp_path, "work.py") == []
