"""The `pinlint` command, as a user and an editor call it.

Most runs go through the console script's `main` in this process (`run_cli`); the tests that are
about the process itself (the exit status a shell sees, real stdin, `python -m pinlint`) start
the installed script (`run_entry_point`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT, run_cli, run_entry_point

APP = FIXTURES / "serverless-app"
SNIPPET = 'cur.execute("SET search_path TO tenant_42")\ncur.execute("SET TIME ZONE \'UTC\'")\n'


def _project(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return tmp_path


def test_findings_exit_1_and_clean_exit_0(tmp_path: Path) -> None:
    """The exit status of the real console script, as a shell or CI sees it."""
    _project(tmp_path, {"bad.py": SNIPPET, "good.py": 'cur.execute("SET LOCAL search_path TO x")\n'})
    bad = run_entry_point("check", "bad.py", cwd=tmp_path)
    assert bad.returncode == 1, bad.stderr
    assert "Found 2 findings in 1 file (1 file checked)." in bad.stdout
    good = run_entry_point("check", "good.py", cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("All checks passed!")


def test_exit_zero(tmp_path: Path) -> None:
    _project(tmp_path, {"bad.py": SNIPPET})
    assert run_cli("check", "--exit-zero", "bad.py", cwd=tmp_path).returncode == 0


def test_concise_format_is_exactly_path_line_col_code_message(tmp_path: Path) -> None:
    _project(tmp_path, {"app/bad.py": SNIPPET})
    result = run_cli("check", "--output-format", "concise", "--quiet", "app", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert [line.split(" ", 2)[:2] for line in lines] == [
        ["app/bad.py:1:14:", "PIN001"],
        ["app/bad.py:2:14:", "PIN002"],
    ]


def test_full_format_shows_caret_sql_help_and_targets(tmp_path: Path) -> None:
    _project(tmp_path, {"bad.py": SNIPPET})
    out = run_cli("check", "bad.py", "--no-color", cwd=tmp_path).stdout
    assert "bad.py:1:14: PIN001 " in out
    assert '1 | cur.execute("SET search_path TO tenant_42")' in out
    frame = out.splitlines()
    source_index = next(i for i, line in enumerate(frame) if line.startswith("1 | "))
    assert frame[source_index + 1].index("^") == frame[source_index].index("SET")
    assert "= help: Use `SET LOCAL search_path" in out
    assert "rds-proxy: pins the connection · pgbouncer: breaks silently" in out
    assert "\x1b[" not in out  # no colour when asked not to


def test_color_on_request_and_never_with_no_color(tmp_path: Path) -> None:
    _project(tmp_path, {"bad.py": SNIPPET})
    assert "\x1b[" in run_cli("check", "bad.py", "--color", cwd=tmp_path).stdout
    assert "\x1b[" not in run_cli("check", "bad.py", cwd=tmp_path, env={"NO_COLOR": "1"}).stdout


def test_json_format(tmp_path: Path) -> None:
    _project(tmp_path, {"bad.py": SNIPPET})
    result = run_cli("check", "--output-format", "json", "bad.py", cwd=tmp_path)
    assert result.returncode == 1
    items = json.loads(result.stdout)
    first = items[0]
    assert first["code"] == "PIN001" and first["name"] == "session-set" and first["severity"] == "error"
    assert first["filename"] == "bad.py"
    assert first["location"] == {"row": 1, "column": 14}
    assert first["end_location"]["row"] == 1 and first["end_location"]["column"] > 14
    assert first["targets"] == {"rds-proxy": "pins", "pgbouncer": "breaks"}
    assert first["sql"] == "SET search_path TO tenant_42"
    assert "SET LOCAL" in first["fix"]["message"]
    assert first["doc"] == "pinlint rule PIN001"


def test_target_keeps_only_findings_that_matter_there(tmp_path: Path) -> None:
    _project(tmp_path, {"bad.py": SNIPPET})
    pgbouncer = run_cli("check", "--target", "pgbouncer", "--output-format", "concise", "bad.py", cwd=tmp_path)
    assert [line.split()[1] for line in pgbouncer.stdout.splitlines()[:-1]] == ["PIN001"]
    rds = run_cli("check", "--target", "rds-proxy", "--output-format", "concise", "bad.py", cwd=tmp_path)
    assert [line.split()[1] for line in rds.stdout.splitlines()[:-1]] == ["PIN001", "PIN002"]


def test_configured_targets_list_and_the_command_line_over_it(tmp_path: Path) -> None:
    """PIN002 (`SET TIME ZONE`) pins RDS Proxy and is fine on PgBouncer; PIN213 (`@@` read) matters on ProxySQL only."""
    mysql = 'import pymysql\ncur.execute("SELECT @@sql_mode")\n'
    _project(tmp_path, {"bad.py": SNIPPET, "my.py": mysql, "pinlint.toml": 'targets = ["pgbouncer", "proxysql"]\n'})

    def codes(*options: str) -> list[str]:
        result = run_cli("check", *options, "-q", "--output-format", "concise", "bad.py", "my.py", cwd=tmp_path)
        return sorted({line.split()[1] for line in result.stdout.splitlines()})

    assert codes() == ["PIN001", "PIN213"]
    assert codes("--target", "rds-proxy") == ["PIN001", "PIN002"]
    assert "PIN002" in codes("--target", "all")
    (tmp_path / "pinlint.toml").write_text('targets = ["pgbouncer", "aurora"]\n')
    bad = run_cli("check", "bad.py", cwd=tmp_path)
    assert bad.returncode == 2 and "`targets`" in bad.stderr and "Traceback" not in bad.stderr


def test_select_ignore_and_statistics(tmp_path: Path) -> None:
    _project(tmp_path, {"bad.py": SNIPPET})
    only = run_cli("check", "--select", "PIN002", "-q", "--output-format", "concise", "bad.py", cwd=tmp_path)
    assert [line.split()[1] for line in only.stdout.splitlines()] == ["PIN002"]
    by_name = run_cli("check", "--ignore", "session-set", "-q", "--output-format", "concise", "bad.py", cwd=tmp_path)
    assert [line.split()[1] for line in by_name.stdout.splitlines()] == ["PIN002"]
    stats = run_cli("check", "--statistics", "bad.py", cwd=tmp_path)
    assert "1\tPIN001\tsession-set" in stats.stdout and "bad.py:1" not in stats.stdout


def test_stdin_with_filename(tmp_path: Path) -> None:
    """Real stdin of a real process, as an editor pipes the unsaved buffer."""
    result = run_entry_point(
        "check", "-", "--stdin-filename", "app/db.py", "--output-format", "concise", stdin=SNIPPET, cwd=tmp_path
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("app/db.py:1:14: PIN001 ")
    sql = run_cli("check", "-", "--stdin-filename", "m.sql", "-q", "--output-format", "concise", stdin="LISTEN x;")
    assert sql.stdout.startswith("m.sql:1:1: PIN014 ")


def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    cases = [
        (("check", "does-not-exist"), "does-not-exist"),
        (("check", "--select", "PIN999", "."), "PIN999"),
        (("check", "--output-format", "xml", "."), "xml"),
        (("check", "--config", "missing.toml", "."), "missing.toml"),
        (("rule", "PIN999"), "PIN999"),
        (("check", "--bogus"), "--bogus"),
    ]
    for args, named in cases:
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("pinlint: error:") and named in lines[0], (args, lines)
        assert "Traceback" not in result.stderr


def test_bad_files_are_reported_and_the_rest_is_linted(tmp_path: Path) -> None:
    nested = "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n"
    _project(
        tmp_path,
        {
            "a_syntax.py": "def broken(:\n    cur.execute('LISTEN x')\n",
            "b_binary.py": b"\x00\x01\x02cur.execute\x00",
            "c_latin1.py": b"# caf\xe9\ncur.execute('SET x = 1')\n",
            "c_cookie.py": b"# -*- coding: latin-1 -*-\n# caf\xe9\ncur.execute('SET x = 1')\n",
            "d_empty.py": "",
            "e_nested.py": nested + 'cur.execute("LISTEN x")\n',
            "f_legacy.sql": b"-- caf\xe9\nLISTEN jobs;\n",
            "z_good.py": SNIPPET,
        },
    )
    result = run_cli("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    warnings = result.stderr.splitlines()
    assert "pinlint: warning: a_syntax.py: syntax error at line 1: invalid syntax; skipped" in warnings
    assert any(line.startswith("pinlint: warning: b_binary.py:") for line in warnings), warnings
    assert any(line.startswith("pinlint: warning: c_latin1.py: not valid UTF-8") for line in warnings), warnings
    assert any("f_legacy.sql" in line and "Latin-1" in line for line in warnings), warnings
    assert "f_legacy.sql:2:1: PIN014" in result.stdout
    assert "z_good.py:1:14: PIN001" in result.stdout
    assert "c_cookie.py:3:14: PIN001" in result.stdout
    assert any(line.startswith("pinlint: warning: e_nested.py: too deeply nested") for line in warnings), warnings
    assert not any("d_empty.py" in line for line in warnings)


def test_rule_command_renders_docs_from_the_rule_file() -> None:
    doc = run_cli("rule", "PIN019").stdout
    assert doc.startswith("# session-advisory-lock (PIN019)")
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## References"):
        assert heading in doc
    assert "pg_advisory_xact_lock" in doc
    assert run_cli("rule", "listen").stdout.startswith("# listen (PIN014)")
    page = (ROOT / "docs" / "rules" / "PIN019-session-advisory-lock.md").read_text(encoding="utf-8")
    assert page.endswith(doc)  # the published page is what the command prints (after its header)
    listing = run_cli("rule", "--all").stdout.splitlines()
    assert listing[0].split()[:2] == ["PIN001", "session-set"]
    assert len(listing) == len(list((ROOT / "rules").glob("*.toml")))


def test_version_and_python_m() -> None:
    from pinlint import __version__

    assert run_entry_point("--version").stdout.strip() == f"pinlint {__version__}"
    module = subprocess.run(
        [sys.executable, "-B", "-m", "pinlint", "--version"], capture_output=True, text=True, timeout=60
    )
    assert module.stdout.strip() == f"pinlint {__version__}"


def test_fixture_app_through_the_console_script() -> None:
    """The whole app through the real script: exit 1, the summary, and nothing at all on stderr."""
    result = run_entry_point("check", "--no-cache", str(APP.relative_to(ROOT)), cwd=ROOT)
    assert result.returncode == 1
    assert "Found 17 findings in 6 files" in result.stdout
    assert result.stderr == ""


def test_show_files_and_show_settings(tmp_path: Path) -> None:
    _project(
        tmp_path, {"a.py": SNIPPET, "b/c.sql": "SELECT 1;", "notes.txt": "x", "pinlint.toml": 'target = "pgbouncer"\n'}
    )
    files = run_cli("check", "--show-files", cwd=tmp_path)
    assert files.returncode == 0 and files.stdout.splitlines() == ["a.py", "b/c.sql"]
    shown = run_cli("check", "--show-settings", "--ignore", "PIN002", cwd=tmp_path)
    assert shown.returncode == 0
    assert 'target = "pgbouncer"' in shown.stdout and 'ignore = ["PIN002"]' in shown.stdout
    assert "pinlint.toml" in shown.stdout.splitlines()[0]


def test_rule_command_shows_the_setups_that_change_a_consequence() -> None:
    """PIN023 breaks PgBouncer unless it tracks prepared statements (1.22+ with the knob on)."""
    doc = run_cli("rule", "PIN023").stdout
    table = doc.split("### Consequence per pooler\n", 1)[1].split("\n## ", 1)[0]
    assert "| pgbouncer | breaks | by default |" in table
    conditions = "when `pgbouncer-version` is 1.22 or later and PgBouncer tracks prepared statements"
    assert f"| pgbouncer | ok | {conditions}" in table
    assert "| rds-proxy | pins | always |" in table


def test_rule_command_fills_the_fix_from_the_rule_example() -> None:
    fix = run_cli("rule", "PIN001").stdout.split("## Fix\n", 1)[1]
    assert fix.lstrip().startswith("Use `SET LOCAL search_path ...` inside the transaction")
    assert "{param}" not in run_cli("rule", "PIN001").stdout


def test_show_settings_lists_the_handlers_found_and_what_made_each_one(tmp_path: Path) -> None:
    """A declared handler names its declaration and line; a module no declaration claims falls
    back to the `lambda_handler(event, context)` convention (issue 15 item 3)."""
    _project(
        tmp_path,
        {
            "svc/serverless.yml": "functions:\n  orders:\n    handler: orders.create\n",
            "svc/orders.py": "def create(event, context):\n    return 1\n",
            "jobs/nightly.py": "def lambda_handler(event, context):\n    return 2\n",
        },
    )
    shown = run_cli("check", "--show-settings", ".", cwd=tmp_path).stdout
    handlers = [line for line in shown.splitlines() if line.startswith("# handler:")]
    assert handlers == [
        "# handler: jobs/nightly.py:lambda_handler (named like a Lambda handler `lambda_handler(event, context)`)",
        "# handler: svc/orders.py:create (declared in svc/serverless.yml line 3)",
    ]


def test_a_named_file_with_a_syntax_error_and_no_database_call_is_a_warning(tmp_path: Path) -> None:
    """pre-commit and editors name the file: its syntax error is said even though nothing in it
    looks like a database call (a walk over a directory still skips such files unparsed)."""
    (tmp_path / "broken.py").write_text("def f(:\n    return 1\n", encoding="utf-8")
    named = run_cli("check", "--no-cache", "broken.py", cwd=tmp_path)
    assert named.returncode == 0
    assert named.stderr.startswith("pinlint: warning: broken.py:") and "skipped" in named.stderr
    cached = run_cli("check", "broken.py", cwd=tmp_path)  # the cache keeps the warning for a named file
    assert cached.stderr == named.stderr
    walked = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert walked.stderr == "" and walked.returncode == 0
    stdin = run_cli("check", "-", "--stdin-filename", "broken.py", cwd=tmp_path, stdin="def f(:\n")
    assert "broken.py:" in stdin.stderr and "skipped" in stdin.stderr
