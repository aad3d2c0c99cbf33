"""`pinlint check --fix`, `--unsafe-fixes`, `--diff` and `--show-fixes` (pinlint.fix): fixes are
applied to copies of real code and of the fixture apps in a temporary directory; each fixed file
still parses, loses the finding it fixed and nothing else, keeps its encoding, line endings and
mode, and a second run changes nothing."""

from __future__ import annotations

import ast
import json
import shutil
import stat
from pathlib import Path

import pytest

from pinlint.catalog import CatalogError, Rule, load_rule
from pinlint.model import Finding
from tests.conftest import CATALOG, lint, run_cli

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "fix"


def _findings(directory: Path, *extra: str) -> list[dict[str, object]]:
    result = run_cli("check", "--no-cache", "--output-format", "json", *extra, ".", cwd=directory)
    return list(json.loads(result.stdout))


def _codes(directory: Path) -> list[str]:
    return sorted(str(finding["code"]) for finding in _findings(directory))


def _changed_lines(old: str, new: str) -> list[int]:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    assert len(old_lines) == len(new_lines)
    return [number for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=True), 1) if a != b]


def _pglast_parses(sql: str) -> None:
    pglast = pytest.importorskip("pglast")
    pglast.parse_sql(sql)


def test_set_inside_a_transaction_of_a_sql_file_becomes_set_local(tmp_path: Path) -> None:
    source = "BEGIN;\nset search_path TO app, public;\nSELECT * FROM invoices;\nCOMMIT;\n"
    (tmp_path / "m.sql").write_text(source)
    done = run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    fixed = (tmp_path / "m.sql").read_text()
    assert fixed == source.replace("set search_path", "set local search_path")
    _pglast_parses(fixed)
    assert done.returncode == 0, done.stdout
    assert "Found 1 finding (1 fixed, 0 remaining; 1 file checked)." in done.stdout
    again = run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    assert (tmp_path / "m.sql").read_text() == fixed and again.returncode == 0


@pytest.mark.parametrize("meta", ["\\i tests/more.sql", "\\ir more.sql", "SELECT format('SET x = 1') \\gexec"])
def test_a_psql_include_after_the_set_makes_the_fix_unsafe(tmp_path: Path, meta: str) -> None:
    """As in pgstac's tests/pgtap.sql: `\\i` runs a file pinlint does not read, which may COMMIT
    and go on outside the transaction, where the session SET still held and SET LOCAL no longer."""
    source = f"BEGIN;\nSET search_path TO app, public;\n{meta}\nSELECT 1;\nROLLBACK;\n"
    (tmp_path / "m.sql").write_text(source)
    [finding] = _findings(tmp_path)
    assert finding["code"] == "PIN001" and finding["fix"]["applicability"] == "unsafe"  # type: ignore[index]
    run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    assert (tmp_path / "m.sql").read_text() == source


def test_a_python_string_keeps_its_prefix_escapes_and_holes(tmp_path: Path) -> None:
    source = (
        "def load(cur, tenant):\n"
        "    cur.execute(f\"BEGIN; SET SESSION app.tenant = '{tenant}'; \"\n"
        "                f\"SELECT '\\t', set_config('a.b', %s, FALSE); COMMIT\")\n"
    )
    (tmp_path / "app.py").write_text(source)
    assert _codes(tmp_path) == ["PIN001", "PIN006"]
    run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    fixed = (tmp_path / "app.py").read_text()
    assert fixed == source.replace("SET SESSION", "SET LOCAL").replace("%s, FALSE", "%s, TRUE")
    ast.parse(fixed)
    assert _codes(tmp_path) == []


def test_no_fix_where_the_trigger_is_spelt_with_an_escape(tmp_path: Path) -> None:
    # \x53 is "S": the SET is there for PostgreSQL, but no edit of those characters is exact
    (tmp_path / "app.py").write_text('cur.execute("BEGIN; \\x53ET search_path TO app; COMMIT")\n')
    [finding] = _findings(tmp_path)
    assert finding["code"] == "PIN001"
    assert finding["fix"] == {
        "message": finding["fix"]["message"],  # type: ignore[index]
        "applicability": None,
        "title": None,
        "edits": [],
    }


def test_outside_a_visible_transaction_the_fix_is_unsafe(tmp_path: Path) -> None:
    source = 'cur.execute("SET search_path TO app")\n'
    (tmp_path / "app.py").write_text(source)
    report = run_cli("check", "--no-cache", "--output-format", "concise", ".", cwd=tmp_path)
    assert "[*]" not in report.stdout
    assert "1 hidden fix can be enabled with the `--unsafe-fixes` option" in report.stdout
    assert run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path).returncode == 1
    assert (tmp_path / "app.py").read_text() == source
    done = run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert (tmp_path / "app.py").read_text() == source.replace("SET", "SET LOCAL")
    assert done.returncode == 0


def test_statements_after_the_commit_make_the_fix_unsafe(tmp_path: Path) -> None:
    # the SELECT after COMMIT saw the session's search_path before the fix, and would not after it
    (tmp_path / "m.sql").write_text("BEGIN;\nSET search_path TO app;\nCOMMIT;\nSELECT * FROM t;\n")
    [finding] = _findings(tmp_path)
    assert finding["fix"]["applicability"] == "unsafe"  # type: ignore[index]


def test_diff_prints_the_fix_and_writes_nothing(tmp_path: Path) -> None:
    source = "import psycopg\n\nconn = psycopg.connect(DSN)\n"
    (tmp_path / "db.py").write_text(source)
    shown = run_cli("check", "--no-cache", "--diff", ".", cwd=tmp_path)
    assert shown.returncode == 1
    assert "-conn = psycopg.connect(DSN)\n+conn = psycopg.connect(DSN, prepare_threshold=None)\n" in shown.stdout
    assert shown.stdout.startswith("--- db.py\n+++ db.py\n")
    assert "Would fix 1 finding." in shown.stderr
    assert (tmp_path / "db.py").read_text() == source
    (tmp_path / "db.py").write_text("import psycopg\n\nconn = psycopg.connect(DSN, prepare_threshold=None)\n")
    nothing = run_cli("check", "--no-cache", "--diff", ".", cwd=tmp_path)
    assert (nothing.returncode, nothing.stdout) == (0, "")


def test_psycopg_pools_get_the_option_in_kwargs(tmp_path: Path) -> None:
    source = (
        "import psycopg_pool\n"
        "\n"
        "pool = psycopg_pool.ConnectionPool(\n"
        "    DSN,\n"
        "    min_size=1,  # one is enough\n"
        ")\n"
        "other = psycopg_pool.ConnectionPool(DSN, kwargs={'autocommit': True})\n"
    )
    (tmp_path / "db.py").write_text(source)
    run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    fixed = (tmp_path / "db.py").read_text()
    assert fixed == source.replace(
        "one is enough\n", 'one is enough\n    kwargs={"prepare_threshold": None},\n'
    ).replace("{'autocommit': True}", "{'autocommit': True, 'prepare_threshold': None}")
    assert _codes(tmp_path) == []


def test_asyncpg_fix_is_unsafe_and_replaces_the_value(tmp_path: Path) -> None:
    source = (
        "import asyncpg\n\n\nasync def connect():\n    return await asyncpg.connect(DSN, statement_cache_size=100)\n"
    )
    (tmp_path / "db.py").write_text(source)
    run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    assert (tmp_path / "db.py").read_text() == source
    run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", "--select", "PIN024", ".", cwd=tmp_path)
    assert (tmp_path / "db.py").read_text() == source.replace("=100", "=0")


def test_advisory_lock_becomes_transaction_level_and_its_unlock_goes(tmp_path: Path) -> None:
    source = "BEGIN;\nSELECT pg_advisory_lock(42);\nUPDATE jobs SET state = 'done';\n"
    source += "SELECT pg_advisory_unlock(42);\nCOMMIT;\n"
    (tmp_path / "job.sql").write_text(source)
    [lock, unlock] = _findings(tmp_path)
    assert lock["fix"]["applicability"] == "unsafe"  # type: ignore[index]
    assert unlock["fix"]["edits"] == []  # type: ignore[index]
    run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    fixed = (tmp_path / "job.sql").read_text()
    assert fixed == "BEGIN;\nSELECT pg_advisory_xact_lock(42);\nUPDATE jobs SET state = 'done';\nCOMMIT;\n"
    _pglast_parses(fixed)
    assert _codes(tmp_path) == []


def test_crlf_and_a_latin_1_coding_cookie_are_kept(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\r\nimport psycopg\r\n# café\r\nconn = psycopg.connect(DSN)\r\n"
    (tmp_path / "db.py").write_bytes(source.encode("latin-1"))
    run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    data = (tmp_path / "db.py").read_bytes()
    assert data == source.replace("(DSN)", "(DSN, prepare_threshold=None)").encode("latin-1")


def test_a_read_only_file_is_skipped_with_a_warning(tmp_path: Path) -> None:
    source = "BEGIN;\nSET search_path TO app;\nCOMMIT;\n"
    target = tmp_path / "m.sql"
    target.write_text(source)
    target.chmod(0o444)
    (tmp_path / "n.sql").write_text(source)
    done = run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    assert "m.sql: read-only; file left unchanged" in done.stderr
    assert target.read_text() == source
    assert (tmp_path / "n.sql").read_text() == source.replace("SET", "SET LOCAL")
    assert done.returncode == 1  # m.sql's finding is still there, and reported
    assert "m.sql:2:1: PIN001" in done.stdout


def test_an_edited_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "m.sql"
    target.write_text("BEGIN;\nSET search_path TO app;\nCOMMIT;\n")
    target.chmod(0o640)
    run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert "SET LOCAL" in target.read_text()
    assert [path.name for path in tmp_path.iterdir()] == ["m.sql"]  # no temporary file left


def test_show_fixes_lists_what_was_fixed(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text("BEGIN;\nSET search_path TO app;\nSET work_mem = '8MB';\nCOMMIT;\n")
    done = run_cli("check", "--no-cache", "--fix", "--show-fixes", ".", cwd=tmp_path)
    assert "Fixed 2 findings:\n- m.sql:\n    2 × PIN001 (session-set)\n" in done.stdout  # noqa: RUF001


def test_fix_refuses_add_noqa(tmp_path: Path) -> None:
    assert run_cli("check", "--fix", "--add-noqa", ".", cwd=tmp_path).returncode == 2


def test_fix_on_stdin_prints_the_fixed_text(tmp_path: Path) -> None:
    """As ruff: the fixed text on stdout (the file named by --stdin-filename is not touched), the
    findings left on stderr; --diff prints the diff."""
    source = "BEGIN;\nSET search_path TO app;\nCOMMIT;\n"
    args = ("check", "--no-cache", "-", "--stdin-filename", "m.sql")
    done = run_cli(*args[:2], "--fix", *args[2:], stdin=source, cwd=tmp_path)
    assert (done.stdout, done.returncode) == (source.replace("SET", "SET LOCAL"), 0)
    assert not (tmp_path / "m.sql").exists()
    shown = run_cli(*args[:2], "--diff", *args[2:], stdin=source, cwd=tmp_path)
    assert "-SET search_path TO app;\n+SET LOCAL search_path TO app;\n" in shown.stdout and shown.returncode == 1
    left = run_cli(*args[:2], "--fix", *args[2:], stdin="SET search_path TO app;\n", cwd=tmp_path)
    assert left.stdout == "SET search_path TO app;\n" and left.returncode == 1  # the fix is unsafe
    assert "m.sql:1:1: PIN001" in left.stderr


def test_real_code_django_pglock(tmp_path: Path) -> None:
    """An excerpt of django-pglock: f-strings with holes around `false`; Django's transaction
    state is not visible in the string, so the fixes are unsafe."""
    source = (DATA / "django_pglock_core.py.txt").read_text()
    (tmp_path / "core.py").write_text(source)
    assert run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path).returncode == 1
    assert (tmp_path / "core.py").read_text() == source
    run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    fixed = (tmp_path / "core.py").read_text()
    ast.parse(fixed)
    assert fixed == source.replace("false)", "true)")
    assert _changed_lines(source, fixed) == [21, 29, 31]
    assert "PIN006" not in _codes(tmp_path)


def test_real_code_pgqueuer_flask_example(tmp_path: Path) -> None:
    source = (DATA / "pgqueuer_flask_sync_usage.py.txt").read_text()
    (tmp_path / "app.py").write_text(source)
    run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    fixed = (tmp_path / "app.py").read_text()
    ast.parse(fixed)
    assert _changed_lines(source, fixed) == [17]
    assert 'psycopg.connect("", autocommit=True, prepare_threshold=None)' in fixed
    assert "PIN023" not in _codes(tmp_path)


@pytest.mark.parametrize("app", ["serverless-app", "sam-app", "chalice-app", "terraform-app"])
def test_fixture_apps_fix_cleanly_and_a_second_run_is_a_no_op(tmp_path: Path, app: str) -> None:
    project = tmp_path / app
    shutil.copytree(ROOT / "fixtures" / app, project)
    before_files = {path: path.read_bytes() for path in project.rglob("*") if path.is_file()}
    before = _findings(project)
    fixable = [finding for finding in before if finding["fix"]["edits"]]  # type: ignore[index]
    done = run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=project)
    after = _findings(project)
    assert len(after) <= len(before) - len(fixable)
    assert not [finding for finding in after if finding["fix"]["edits"]]  # type: ignore[index]
    for path, data in before_files.items():
        now = path.read_bytes()
        if now != data and path.suffix == ".py":
            ast.parse(now)
    second = {path: path.read_bytes() for path in before_files}
    run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=project)
    assert {path: path.read_bytes() for path in before_files} == second
    assert done.returncode == (1 if after else 0)


def test_an_unknown_autofix_key_is_an_error_naming_the_file(tmp_path: Path) -> None:
    text = (ROOT / "rules" / "PIN023-psycopg-prepared-statements.toml").read_text()
    broken = tmp_path / "rules" / "PIN023-psycopg-prepared-statements.toml"
    broken.parent.mkdir()
    broken.write_text(text.replace('applicability = "safe"', 'applicability = "safe"\nkeywrod = "x"'))
    with pytest.raises(CatalogError, match=r"PIN023-psycopg-prepared-statements.toml: unknown key 'keywrod'"):
        load_rule(broken)
    broken.write_text(text.replace('action = "add-keyword"', 'action = "set-local"'))
    with pytest.raises(CatalogError, match="fixes rules of kind statement, not call-arguments"):
        load_rule(broken)


def test_the_unlock_in_a_later_call_of_the_same_function_is_removed(tmp_path: Path) -> None:
    source = (
        "def job(cur, key):\n"
        '    cur.execute("SELECT pg_advisory_lock(%s)", (key,))\n'
        "    try:\n"
        '        cur.execute("UPDATE jobs SET state = %s", ("done",))\n'
        "    finally:\n"
        '        cur.execute("SELECT pg_advisory_unlock(%s)", (key,))\n'
    )
    (tmp_path / "job.py").write_text(source)
    run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    fixed = (tmp_path / "job.py").read_text()
    assert fixed == source.replace("pg_advisory_lock", "pg_advisory_xact_lock").replace(
        '    finally:\n        cur.execute("SELECT pg_advisory_unlock(%s)", (key,))\n', "    finally:\n        pass\n"
    )
    ast.parse(fixed)
    assert _codes(tmp_path) == []


def test_no_fix_when_another_function_also_sends_the_unlock(tmp_path: Path) -> None:
    """An unlock the fix cannot remove would release nothing once the lock is a transaction lock
    (sqlalchemy-dlock's release path raises then): the finding keeps its hand-edit advice only."""
    source = (
        "def job(cur, key):\n"
        '    cur.execute("SELECT pg_advisory_lock(%s)", (key,))\n'
        "    try:\n"
        '        cur.execute("UPDATE jobs SET state = %s", ("done",))\n'
        "    finally:\n"
        '        cur.execute("SELECT pg_advisory_unlock(%s)", (key,))\n'
        "\n"
        "\n"
        "def other(cur, key):\n"
        '    cur.execute("SELECT pg_advisory_unlock(%s)", (key,))\n'
    )
    (tmp_path / "job.py").write_text(source)
    run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert (tmp_path / "job.py").read_text() == source
    assert _codes(tmp_path) == ["PIN019", "PIN019", "PIN019"]


def test_a_different_key_keeps_the_unlock(tmp_path: Path) -> None:
    source = 'cur.execute("SELECT pg_advisory_lock(1)")\ncur.execute("SELECT pg_advisory_unlock(2)")\n'
    (tmp_path / "job.py").write_text(source)
    run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert (tmp_path / "job.py").read_text() == source.replace("pg_advisory_lock", "pg_advisory_xact_lock")
    # two placeholders cannot be told apart: the unlock may be the lock's, so no fix
    placeholders = (
        'cur.execute("SELECT pg_advisory_lock(%s)", (a,))\ncur.execute("SELECT pg_advisory_unlock(%s)", (b,))\n'
    )
    (tmp_path / "job.py").write_text(placeholders)
    run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert (tmp_path / "job.py").read_text() == placeholders


def test_sqlalchemy_dlocks_statement_constants_get_no_fix(tmp_path: Path) -> None:
    """survey3 fix1: the lock constants and their unlock constants in one module, sent from methods."""
    source = (
        "from sqlalchemy import text\n\n"
        'LOCK = text("SELECT pg_advisory_lock(:key)")\n'
        'TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")\n'
        'LOCK_XACT = text("SELECT pg_advisory_xact_lock(:key)")\n'
        'UNLOCK = text("SELECT pg_advisory_unlock(:key)")\n'
    )
    (tmp_path / "postgresql.py").write_text(source)
    done = run_cli("check", "--no-cache", "--select", "PIN019", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert (tmp_path / "postgresql.py").read_text() == source
    assert "Found 3 findings" in done.stdout and "fixable" not in done.stdout, done.stdout
    # without the unlock constant the lock is never released here: the rename alone is offered
    (tmp_path / "postgresql.py").write_text(source.replace('UNLOCK = text("SELECT pg_advisory_unlock(:key)")\n', ""))
    run_cli("check", "--no-cache", "--select", "PIN019", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert "pg_advisory_lock(" not in (tmp_path / "postgresql.py").read_text()


def test_no_fix_across_the_seam_of_concatenated_strings(tmp_path: Path) -> None:
    # "SE" "T ...": the SET token spans two literals, so no edit of it is exact
    (tmp_path / "app.py").write_text('cur.execute("BEGIN; SE" "T search_path TO app; COMMIT")\n')
    [finding] = _findings(tmp_path)
    assert finding["code"] == "PIN001" and finding["fix"]["edits"] == []  # type: ignore[index]


HANDLER = """import os

import psycopg2

HOST = os.environ["HOST"]


# the handler
def lambda_handler(event, context):
    conn = psycopg2.connect(host=HOST, dbname="app")
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
    return {"ok": True}
"""


def test_a_connection_made_per_invocation_is_cached_in_a_module_global(tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_text(HANDLER)
    [finding] = _findings(tmp_path)
    assert finding["code"] == "PIN022" and finding["fix"]["applicability"] == "unsafe"  # type: ignore[index]
    run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    fixed = (tmp_path / "handler.py").read_text()
    assert fixed == HANDLER.replace(
        "\n\n# the handler\n",
        "\n\n_conn = None\n\n\ndef _get_conn():\n    global _conn\n    if _conn is None:\n"
        '        _conn = psycopg2.connect(host=HOST, dbname="app")\n    return _conn\n\n\n# the handler\n',
    ).replace('    conn = psycopg2.connect(host=HOST, dbname="app")\n', "    conn = _get_conn()\n")
    ast.parse(fixed)
    assert _codes(tmp_path) == []


@pytest.mark.parametrize(
    "change",
    [
        ('host=HOST, dbname="app"', 'host=event["host"]'),  # reads the invocation's event
        ('        cur.execute("SELECT 1")\n', '        cur.execute("SELECT 1")\n    conn.close()\n'),  # closes it
        ("    with conn.cursor() as cur:", "    with conn, conn.cursor() as cur:"),  # a context manager
    ],
)
def test_no_connection_cache_outside_the_simple_shape(tmp_path: Path, change: tuple[str, str]) -> None:
    (tmp_path / "handler.py").write_text(HANDLER.replace(*change))
    [finding] = _findings(tmp_path)
    assert finding["code"] == "PIN022" and finding["fix"]["edits"] == []  # type: ignore[index]


def test_no_connection_cache_for_a_helper_that_connects_in_another_module(tmp_path: Path) -> None:
    """As in cloud-serverless-rds: the handler calls the project's `db.fetch_all()`, which connects
    inside common/db.py. The finding is on that call, but caching it would keep the query's rows
    across invocations, not a connection: no fix is offered."""
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "__init__.py").write_text("")
    (tmp_path / "common" / "db.py").write_text(
        "import pg8000\n\n\ndef fetch_all(sql):\n    conn = pg8000.connect(user='app')\n"
        "    cur = conn.cursor()\n    cur.execute(sql)\n    return cur.fetchall()\n"
    )
    handler = (
        "from common import db\n\n\ndef lambda_handler(event, context):\n"
        '    records = db.fetch_all("SELECT name FROM animals")\n    return records\n'
    )
    (tmp_path / "get.py").write_text(handler)
    findings = [finding for finding in _findings(tmp_path, "--unsafe-fixes") if finding["filename"] == "get.py"]
    assert [finding["code"] for finding in findings] == ["PIN022"]
    assert findings[0]["fix"]["edits"] == []  # type: ignore[index]
    run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert (tmp_path / "get.py").read_text() == handler


def test_overlapping_fixes_are_applied_in_rounds(tmp_path: Path) -> None:
    # both locks' fixes remove the one unlock: the first round takes the first, the second round
    # (after linting again) renames the second lock, whose fix no longer has an unlock to remove
    source = (
        "BEGIN;\nSELECT pg_advisory_lock(1);\nSELECT pg_advisory_lock(1);\nSELECT pg_advisory_unlock(1);\nCOMMIT;\n"
    )
    (tmp_path / "job.sql").write_text(source)
    done = run_cli("check", "--no-cache", "--fix", "--unsafe-fixes", "--show-fixes", ".", cwd=tmp_path)
    assert (tmp_path / "job.sql").read_text() == (
        "BEGIN;\nSELECT pg_advisory_xact_lock(1);\nSELECT pg_advisory_xact_lock(1);\nCOMMIT;\n"
    )
    assert "3 × PIN019" in done.stdout and done.returncode == 0  # noqa: RUF001


def test_a_fix_whose_result_does_not_parse_is_not_written(tmp_path: Path) -> None:
    """The guard of every round: the new text must lint (here an edit that would drop a closing
    parenthesis, which no action makes, stands for a broken fix)."""
    from dataclasses import replace

    from pinlint.config import SettingsResolver
    from pinlint.engine import Linter
    from pinlint.fix.apply import FixOptions, fix_files
    from pinlint.model import Autofix, Edit
    from pinlint.run import selected_rules

    source = 'import psycopg\n\nconn = psycopg.connect("")\n'
    path = tmp_path / "db.py"
    path.write_text(source)
    settings = SettingsResolver(None, default_root=tmp_path).for_directory(tmp_path)
    linter = Linter(selected_rules(settings), settings)

    class BrokenFix:
        """The real linter, except that the file's finding carries a broken fix."""

        def lint_source(self, text: str, name: str) -> object:
            result = linter.lint_source(text, name)
            if text == source:
                edit = Edit(3, 26, 3, 27, "")  # the closing parenthesis
                result.findings = [replace(f, autofix=Autofix("broken", "safe", (edit,))) for f in result.findings]
            return result

    [finding] = BrokenFix().lint_source(source, str(path)).findings  # type: ignore[attr-defined]
    warnings: list[str] = []
    outcome = fix_files([finding], FixOptions(), lambda _: BrokenFix(), lambda found: found, warnings.append)
    assert path.read_text() == source
    assert outcome.fixed_count == 0 and [f.code for f in outcome.remaining] == ["PIN023"]
    assert warnings == [f"{path}: the fixed text would not lint (it does not parse); file left unchanged"]


def test_a_symlink_s_target_is_fixed_and_the_link_stays(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "m.sql").write_text("BEGIN;\nSET search_path TO app;\nCOMMIT;\n")
    (tmp_path / "link.sql").symlink_to(real / "m.sql")
    run_cli("check", "--no-cache", "--fix", "link.sql", cwd=tmp_path)
    assert (tmp_path / "link.sql").is_symlink()
    assert (real / "m.sql").read_text() == "BEGIN;\nSET LOCAL search_path TO app;\nCOMMIT;\n"


FIXABLE_RULES = [rule for rule in CATALOG if rule.autofix is not None]


def _applied(text: str, finding: Finding) -> str:
    from pinlint.fix.text import FileText, apply_edits

    assert finding.autofix is not None
    file = FileText(text, sql=finding.path.endswith(".sql"))
    spans = [file.span(edit) for edit in finding.autofix.edits]
    assert all(spans), finding
    edits = zip(spans, finding.autofix.edits, strict=True)
    return apply_edits(text, [(span[0], span[1], edit.content) for span, edit in edits if span])


@pytest.mark.parametrize("rule", FIXABLE_RULES, ids=lambda rule: rule.code)
def test_every_fix_of_a_rule_s_bad_examples_parses_and_removes_its_finding(rule: Rule) -> None:
    """Each fix the rule's own bad examples get, applied alone: the text still parses (Python's
    parser; PostgreSQL's for .sql), and linting it again finds one finding of the rule fewer."""
    fixed = 0
    for example in rule.bad:
        if example.language not in ("python", "sql"):
            continue
        found = [f for f in lint(example.source, example.path, all_rules=True) if f.code == rule.code]
        for finding in found:
            if finding.autofix is None:
                continue
            text = _applied(example.source, finding)
            if example.language == "python":
                ast.parse(text)
            else:
                _pglast_parses(text)
            again = [f for f in lint(text, example.path, all_rules=True) if f.code == rule.code]
            assert len(again) < len(found), (rule.code, example.source, text)
            fixed += 1
    assert fixed, f"no bad example of {rule.code} shows its fix"


def test_a_sql_file_keeps_its_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_bytes(b"\xef\xbb\xbfBEGIN;\r\nSET search_path TO app;\r\nCOMMIT;\r\n")
    run_cli("check", "--no-cache", "--fix", ".", cwd=tmp_path)
    assert (tmp_path / "m.sql").read_bytes() == b"\xef\xbb\xbfBEGIN;\r\nSET LOCAL search_path TO app;\r\nCOMMIT;\r\n"


def test_add_noqa_keeps_a_sql_file_s_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_bytes(b"\xef\xbb\xbfSET search_path TO app;\n")
    run_cli("check", "--no-cache", "--add-noqa", ".", cwd=tmp_path)
    assert (tmp_path / "m.sql").read_bytes() == b"\xef\xbb\xbfSET search_path TO app;  -- noqa: PIN001\n"


def test_a_cached_result_keeps_its_fix(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text("BEGIN;\nSET search_path TO app;\nCOMMIT;\n")
    args = ("check", "--output-format", "json", "--cache-dir", str(tmp_path / "cache"), ".")
    cold = json.loads(run_cli(*args, cwd=tmp_path).stdout)
    [entry] = (tmp_path / "cache").glob("results-*.json")
    assert '"applicability": "safe"' in entry.read_text()
    written = entry.stat().st_mtime_ns
    warm = json.loads(run_cli(*args, cwd=tmp_path).stdout)
    assert warm == cold and cold[0]["fix"]["applicability"] == "safe"
    assert entry.stat().st_mtime_ns == written  # read back as written: a miss would rewrite it


def test_a_rollback_after_the_set_keeps_the_fix_safe(tmp_path: Path) -> None:
    # PostgreSQL undoes a session SET of a transaction that rolls back: what follows sees the same
    (tmp_path / "m.sql").write_text("BEGIN;\nSET search_path TO app;\nROLLBACK;\nSELECT * FROM t;\n")
    [finding] = _findings(tmp_path)
    assert finding["fix"]["applicability"] == "safe"  # type: ignore[index]
    (tmp_path / "m.sql").write_text("BEGIN;\nSET search_path TO app;\nROLLBACK TO SAVEPOINT a;\nSELECT 1;\n")
    [open_transaction] = _findings(tmp_path)
    assert open_transaction["fix"]["applicability"] == "unsafe"  # type: ignore[index]


def test_a_check_that_attaches_the_unlock_removal_does_not_import_libcst() -> None:
    """The advisory-lock fix finds the unlock to remove in the engine's `ast` tree: a plain check
    (a pre-commit run) never pays libcst's 0.1 s import for it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pinlint.catalog import load_catalog\nfrom pinlint.config import Settings\n"
        "from pinlint.engine import Linter\n"
        'source = \'def job(cur, key):\\n    cur.execute("SELECT pg_advisory_lock(%s)", (key,))\\n'
        '    cur.execute("SELECT pg_advisory_unlock(%s)", (key,))\\n\'\n'
        "found = Linter(load_catalog(), Settings()).lint_source(source, 'job.py').findings\n"
        "fixes = [f.autofix for f in found if f.autofix is not None]\n"
        "print(len(fixes[0].edits), 'libcst' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["2", "False"]


def test_a_sql_file_that_unlocks_twice_gets_no_fix(tmp_path: Path) -> None:
    """One unlock is removed with its lock; a second would then release nothing."""
    once = "SELECT pg_advisory_lock(42);\nUPDATE t SET a = 1;\nSELECT pg_advisory_unlock(42);\n"
    (tmp_path / "once.sql").write_text(once)
    (tmp_path / "twice.sql").write_text(once + "SELECT pg_advisory_unlock(42);\n")
    run_cli("check", "--no-cache", "--select", "PIN019", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert (tmp_path / "once.sql").read_text() == "SELECT pg_advisory_xact_lock(42);\nUPDATE t SET a = 1;\n"
    assert (tmp_path / "twice.sql").read_text() == once + "SELECT pg_advisory_unlock(42);\n"
