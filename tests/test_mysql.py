"""MySQL and MariaDB: the lexer's MySQL rules, the dialect decision, every trigger at its place,
the look-alikes that must stay quiet, and what sqlglot's MySQL dialect makes of the triggers."""

from __future__ import annotations

import json
import logging

import pytest

from conftest import lint, run_cli
from pinlint.dialect import choose_dialect, python_evidence, sql_file_evidence
from pinlint.sql.lexer import EXEC, IDENT, OP, STRING, SYSVAR, USERVAR, WORD, tokenize
from pinlint.sql.statements import split_statements


def mysql_codes(sql: str, path: str = "q.sql", **settings: object) -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.column) for f in lint(sql, path, dialect="mysql", **settings)]


# --- lexer ---------------------------------------------------------------------------------


def kinds(sql: str) -> list[tuple[str, str]]:
    return [(token.kind, token.value) for token in tokenize(sql, dialect="mysql")]


def test_hash_and_dash_dash_space_comments_hide_keywords() -> None:
    assert kinds("SELECT 1 # SET @x = 1") == [(WORD, "SELECT"), ("number", "1"), ("comment", "# SET @x = 1")]
    assert kinds("SELECT 1 -- LOCK TABLES t")[-1][0] == "comment"
    # without a space after it, -- is two minus signs in MySQL
    assert (OP, "--") in kinds("SELECT 5--1")


def test_strings_use_backslash_escapes_and_both_quotes() -> None:
    tokens = kinds(r"SELECT 'it\'s; SET @x = 1', " + '"a@b.com"')
    assert [kind for kind, _ in tokens] == [WORD, STRING, OP, STRING]
    assert len(split_statements(r"SELECT 'it\'s; LOCK TABLES t'", dialect="mysql")) == 1


def test_backquoted_identifier_and_variables() -> None:
    tokens = kinds("SELECT `select`, @total, @`odd name`, @@SESSION.sql_mode, @@version")
    assert (IDENT, "select") in tokens
    assert [value for kind, value in tokens if kind == USERVAR] == ["@TOTAL", "@ODD NAME"]
    assert [value for kind, value in tokens if kind == SYSVAR] == ["@@SESSION.SQL_MODE", "@@VERSION"]


@pytest.mark.parametrize(
    "sql",
    [
        "GRANT SELECT ON app.* TO 'reporting'@'%'",
        "CREATE USER app@localhost",
        "CREATE DEFINER=`root`@`localhost` VIEW v AS SELECT 1",
    ],
)
def test_account_names_are_not_user_variables(sql: str) -> None:
    assert not [value for kind, value in kinds(sql) if kind == USERVAR]


def test_executable_comment_is_one_code_token_and_ordinary_comments_are_not() -> None:
    tokens = tokenize("/*!40101 SET NAMES utf8 */; /* note */ SELECT /*+ BKA(t) */ 1", dialect="mysql")
    assert [token.value for token in tokens if token.kind == EXEC] == ["/*!40101 SET NAMES utf8 */"]
    assert len(split_statements("/*!40101 SET NAMES utf8 */;/*M!100101 SET x=1 */;", dialect="mysql")) == 2


def test_delimiter_command_in_scripts() -> None:
    script = (
        "DELIMITER ;;\n"
        "CREATE TRIGGER audit BEFORE INSERT ON orders FOR EACH ROW BEGIN SET @n = 1; SET NEW.n = @n; END ;;\n"
        "DELIMITER ;\n"
        "SELECT 1;\n"
    )
    bodies = [script[s.start : s.end] for s in split_statements(script, psql=True, dialect="mysql")]
    assert len(bodies) == 2 and bodies[0].startswith("CREATE TRIGGER") and bodies[1] == "SELECT 1;"


def test_stored_program_sent_as_one_string_keeps_its_body() -> None:
    sql = "CREATE PROCEDURE p() BEGIN DECLARE n INT; SET n = CASE WHEN 1 THEN 2 END; IF n THEN SELECT 1; END IF; END"
    assert len(split_statements(sql, dialect="mysql")) == 1
    # the statements in the body run on the server: nothing is reported as if sent by the client
    assert mysql_codes(sql + ";\nSELECT 1;") == []


# --- the dialect decision -------------------------------------------------------------------


def dialect_of(source: str, path: str = "app.py", **settings: object) -> tuple[str, str]:
    found = lint(source + '\ncur.execute("SET search_path = app")\n', path, **settings)
    assert found, "the probe statement should always be flagged in one dialect or the other"
    return found[0].dialect, found[0].dialect_reason


def test_driver_import_decides() -> None:
    assert dialect_of("import pymysql") == ("mysql", "imports pymysql (line 1)")
    assert dialect_of("from mysql.connector import connect")[0] == "mysql"
    assert dialect_of("import aiomysql as db")[0] == "mysql"


def test_url_and_django_engine_decide() -> None:
    source = 'from sqlalchemy import create_engine\nengine = create_engine("mysql+pymysql://app@proxy/db")'
    assert dialect_of(source) == ("mysql", "database URL mysql+pymysql:// (line 2)")
    assert dialect_of('DATABASES = {"default": {"ENGINE": "django.db.backends.mysql"}}')[0] == "mysql"


def test_no_evidence_or_both_fall_back_to_the_default_and_say_so() -> None:
    name, reason = dialect_of("x = 1")
    assert name == "postgres" and "nothing in the file names a database" in reason
    name, reason = dialect_of("import pymysql\nimport psycopg2")
    assert name == "postgres" and "both MySQL" in reason and "psycopg2" in reason
    name, reason = dialect_of("import pymysql\nimport psycopg2", dialect="mysql", dialect_origin="--dialect")
    assert name == "mysql" and reason.startswith("--dialect")


def test_per_path_dialect_wins() -> None:
    setting = {"db/mysql/**": "mysql"}
    name, reason = dialect_of("import psycopg2", "db/mysql/jobs.py", per_path_dialect=setting)
    assert (name, reason) == ("mysql", "per-path-dialect `db/mysql/**`")
    assert dialect_of("import psycopg2", "db/other.py", per_path_dialect=setting)[0] == "postgres"


def test_dump_header_decides_for_sql_files() -> None:
    assert sql_file_evidence("-- MySQL dump 10.13  Distrib 8.0.36\n")[0].dialect == "mysql"
    assert sql_file_evidence("--\n-- PostgreSQL database dump\n")[0].dialect == "postgres"
    assert choose_dialect(sql_file_evidence("SELECT 1;")).reason.endswith("nothing in the file names a database")


def test_evidence_reader_ignores_lookalikes() -> None:
    from pinlint.pymodel import parse_python

    model = parse_python('import mysqlx\nimport mysql_helpers\nnote = "mysql is fast"\nfrom . import pymysql')
    assert python_evidence(model) == []


def test_same_sql_gets_each_dialects_rule() -> None:
    sql = "SET search_path = app;"
    assert [code for code, *_ in mysql_codes(sql)] == ["PIN202"]
    assert [f.code for f in lint(sql, "q.sql")] == ["PIN001"]


# --- triggers at their place ----------------------------------------------------------------

TRIGGERS = [
    ("SET @x = 1", "PIN201", 5),
    ("select @rank := @rank + 1 from t", "PIN201", 8),
    ("SELECT id INTO @last FROM t", "PIN201", 16),
    ("SELECT * FROM t WHERE id = @id", "PIN201", 28),
    ("SET @'quoted name' = 1", "PIN201", 5),
    ("SET sql_log_bin = 0", "PIN202", 5),
    ("set session foreign_key_checks=0", "PIN202", 5),
    ("SET @@max_execution_time = 10", "PIN202", 5),
    ("SET @@SESSION.group_concat_max_len = 99", "PIN202", 5),
    ("SET LOCAL sql_mode = ''", "PIN203", 5),
    ("SET @@local.wait_timeout = 10", "PIN203", 5),
    ("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "PIN204", 5),
    ("SET TRANSACTION READ ONLY", "PIN204", 5),
    ("SET @@tx_read_only = 1", "PIN204", 5),
    ("LOCK TABLES a READ, b WRITE", "PIN205", 1),
    ("lock table a write", "PIN205", 1),
    ("FLUSH TABLES a, b WITH READ LOCK", "PIN205", 1),
    ("SELECT GET_LOCK('job', 5)", "PIN206", 8),
    ("DO RELEASE_ALL_LOCKS()", "PIN206", 4),
    ("SELECT IS_USED_LOCK('job')", "PIN206", 8),
    ("CREATE TEMPORARY TABLE IF NOT EXISTS tmp (id INT)", "PIN207", 1),
    ("PREPARE s FROM @sql", "PIN208", 1),
    ("EXECUTE s", "PIN208", 1),
    ("DEALLOCATE PREPARE s", "PIN208", 1),
    ("DROP PREPARE s", "PIN208", 1),
    ("SELECT DISTINCT SQL_CALC_FOUND_ROWS a FROM t", "PIN209", 17),
    ("SELECT FOUND_ROWS()", "PIN210", 8),
    ("UPDATE t SET a = 1 WHERE id = ROW_COUNT()", "PIN210", 31),
    ("SELECT LAST_INSERT_ID()", "PIN211", 8),
    ("/*!40014 SET FOREIGN_KEY_CHECKS=0 */", "PIN212", 1),
    ("SELECT 1 /*M!100200 , 2 */", "PIN212", 10),
    ("SELECT @@SESSION.sql_mode", "PIN213", 8),
]


@pytest.mark.parametrize(("sql", "code", "column"), TRIGGERS)
@pytest.mark.parametrize("variant", ["plain", "comment", "semicolon", "newline"])
def test_trigger_is_flagged_at_its_place(sql: str, code: str, column: int, variant: str) -> None:
    line = 1
    if variant == "comment":
        sql, line = f"-- a note; LOCK TABLES x\n# another\n{sql}", 3
    elif variant == "semicolon":
        sql = f"{sql};"
    elif variant == "newline":
        sql, line = f"SELECT 1;\n\n{sql}\n", 3
    assert (code, line, column) in mysql_codes(sql)


def test_trigger_inside_a_python_string_points_into_the_literal() -> None:
    source = 'import pymysql\n\ncur.execute(\n    "SELECT a "\n    "FROM t WHERE b = @b"\n)\n'
    assert [(f.code, f.line, f.column) for f in lint(source)] == [("PIN201", 5, 23)]


def test_several_statements_in_one_execute() -> None:
    source = 'import pymysql\ncur.execute("DELETE FROM a; DELETE FROM b")\n'
    assert [(f.code, f.line, f.column) for f in lint(source)] == [("PIN214", 2, 29)]
    assert mysql_codes("DELETE FROM a; DELETE FROM b;") == []  # a script may hold many


# --- look-alikes that must stay quiet -------------------------------------------------------

NEVER_FLAGGED = [
    "UPDATE accounts SET balance = 0, note = 'x@y' WHERE id = 1",
    "INSERT INTO users (email) VALUES ('ops@example.com') ON DUPLICATE KEY UPDATE email = VALUES(email)",
    "INSERT INTO t SET a = 1, b = 2",
    "SELECT 1 -- SET @x = 1",
    "SELECT 1 # LOCK TABLES t WRITE",
    "SELECT 1 /* GET_LOCK('a', 1) */",
    "SELECT 'SET @x = 1; LOCK TABLES t'",
    'SELECT "CREATE TEMPORARY TABLE t"',
    "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci",
    "SET CHARACTER SET utf8mb4",
    "SET autocommit = 0",
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES', time_zone = '+00:00'",
    "SET @@SESSION.wait_timeout = 60",
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "SET GLOBAL max_connections = 500",
    "USE app",
    "START TRANSACTION READ ONLY",
    "UNLOCK TABLES",
    "DROP TEMPORARY TABLE IF EXISTS t",
    "SELECT @@version",
    "SELECT @@tx_isolation",
    "SELECT @@transaction_isolation",  # SQLAlchemy's MySQL dialect on connect (ProxySQL keeps multiplexing)
    "GRANT SELECT ON app.* TO 'reporting'@'%'",
    "SELECT get_lock_timeout, found_rows FROM stats",
    "SELECT lock_tables FROM settings",
    "CREATE TABLE events (id INT, prepared TINYINT, temporary_flag TINYINT)",
    "SET PASSWORD = 'secret'",
    "SELECT RANK() OVER (ORDER BY score) FROM players",
]


@pytest.mark.parametrize("sql", NEVER_FLAGGED)
def test_lookalike_is_not_flagged(sql: str) -> None:
    assert mysql_codes(sql + ";") == []
    assert lint(f"import pymysql\ncur.execute({sql!r})\n") == []


# --- sqlglot's MySQL dialect on the triggers ------------------------------------------------
# What sqlglot (the version installed) makes of each trigger: the reason pinlint classifies by
# leading tokens first. "Command" is an opaque statement, "error" a parse error, "nothing" an
# empty parse, and "misread: X" a tree that sqlglot writes back as X. A row that fails means sqlglot changed:
# update the table (and consider leaning on the tree where it now reads the statement).

SQLGLOT_TABLE = [
    ("SET @x = 1", "Set", "PIN201"),
    ("SELECT @x := 1", "Select", "PIN201"),
    ("SELECT id INTO @x FROM t", "misread: CREATE TABLE @x AS SELECT", "PIN201"),
    ("EXECUTE s USING @x", "Command", "PIN201"),
    ("SET SESSION sql_log_bin = 0", "Set", "PIN202"),
    ("SET LOCAL sql_mode = ''", "Set", "PIN203"),
    ("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", "Set", "PIN204"),
    ("LOCK TABLES t WRITE", "Command", "PIN205"),
    ("FLUSH TABLES WITH READ LOCK", "error", "PIN205"),
    ("SELECT GET_LOCK('a', 1)", "Select", "PIN206"),
    ("DO RELEASE_LOCK('a')", "error", "PIN206"),
    ("CREATE TEMPORARY TABLE t (id INT)", "Create", "PIN207"),
    ("PREPARE s FROM 'SELECT 1'", "Command", "PIN208"),
    ("DEALLOCATE PREPARE s", "error", "PIN208"),
    ("DROP PREPARE s", "Command", "PIN208"),
    ("SELECT SQL_CALC_FOUND_ROWS * FROM t", "Select", "PIN209"),
    ("SELECT ROW_COUNT()", "Select", "PIN210"),
    ("SELECT LAST_INSERT_ID()", "Select", "PIN211"),
    ("/*!40101 SET NAMES utf8 */", "nothing", "PIN212"),
    ("SELECT @@SESSION.sql_mode", "Select", "PIN213"),
    ("SET auto_increment_increment = 2", "Set", "PIN215"),
    ("GET DIAGNOSTICS @n = ROW_COUNT", "error", "PIN216"),
]


def sqlglot_reading(sql: str) -> str:
    import sqlglot
    from sqlglot.errors import ErrorLevel, SqlglotError

    logging.getLogger("sqlglot").setLevel(logging.CRITICAL)
    try:
        trees = sqlglot.parse(sql, read="mysql", error_level=ErrorLevel.RAISE)
    except SqlglotError:
        return "error"
    if not trees or trees[0] is None:
        return "nothing"
    written = trees[0].sql(dialect="mysql")
    if not written.upper().startswith(sql.split()[0].upper()):
        return f"misread: {written}"
    return type(trees[0]).__name__


@pytest.mark.parametrize(("sql", "reading", "code"), SQLGLOT_TABLE)
def test_sqlglot_gap_table(sql: str, reading: str, code: str) -> None:
    assert sqlglot_reading(sql).startswith(reading)
    assert code in [found for found, *_ in mysql_codes(sql)], "pinlint flags it whatever sqlglot reads"


# --- what the user sees ---------------------------------------------------------------------


def test_cli_dialect_option_reports_and_shows_the_decision(tmp_path) -> None:
    (tmp_path / "jobs.sql").write_text("SET @batch = 10;\nLOCK TABLES t WRITE;\n")
    default = run_cli("check", "--no-cache", "--output-format", "concise", str(tmp_path))
    assert "PIN201" not in default.stdout  # read as PostgreSQL: `SET @batch` is no PostgreSQL setting
    result = run_cli("check", "--no-cache", "--dialect", "mysql", str(tmp_path))
    assert result.returncode == 1
    assert "= dialect: MySQL, --dialect: nothing in the file names a database" in result.stdout
    assert "PIN201" in result.stdout and "PIN205" in result.stdout
    data = json.loads(
        run_cli("check", "--no-cache", "--dialect", "mysql", "--output-format", "json", str(tmp_path)).stdout
    )
    assert {item["dialect"]["name"] for item in data} == {"mysql"}


def test_target_keeps_the_poolers_findings(tmp_path) -> None:
    (tmp_path / "q.sql").write_text("SELECT @@SESSION.sql_mode;\nSET LOCAL sql_mode = '';\n")
    args = ("check", "--no-cache", "--dialect", "mysql", "--output-format", "concise", str(tmp_path))
    on_proxysql = run_cli(*args, "--target", "proxysql").stdout
    on_rds = run_cli(*args, "--target", "rds-proxy").stdout
    assert "PIN213" in on_proxysql and "PIN213" not in on_rds  # a read: only ProxySQL cares
    assert "PIN203" in on_rds and "PIN203" in on_proxysql
    on_pgbouncer = run_cli(*args, "--target", "pgbouncer")
    assert on_pgbouncer.returncode == 0  # PgBouncer fronts no MySQL: nothing applies


def test_bad_dialect_in_config_is_a_one_line_error(tmp_path) -> None:
    (tmp_path / "pinlint.toml").write_text('dialect = "oracle"\n')
    (tmp_path / "a.sql").write_text("SELECT 1;\n")
    result = run_cli("check", str(tmp_path / "a.sql"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "`dialect`" in result.stderr
    (tmp_path / "pinlint.toml").write_text('per-path-dialect = {"x/**" = "mssql"}\n')
    assert run_cli("check", str(tmp_path / "a.sql"), cwd=tmp_path).returncode == 2


def test_mysql_hash_comments_carry_noqa() -> None:
    sql = "SET @x = 1; # noqa: PIN201\nSET @y = 1; -- noqa: PIN201\nSET @z = 1;\n"
    assert mysql_codes(sql) == [("PIN201", 3, 5)]
    # in PostgreSQL `#` is an operator, not a comment: no suppression hides there
    assert [f.code for f in lint("SET search_path = a; # noqa: PIN001\n", "q.sql")] == ["PIN001"]
