"""Dense messages (issue 19 item 6): the first line of a finding says what and where in about
100 characters, the consequence follows on its own line, and the full format does not repeat a
note line that says the same for the next finding of the same rule in the same file."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import click

from conftest import run_cli
from pinlint.catalog import load_catalog
from pinlint.model import Finding
from pinlint.report.full import render_one

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def test_every_rule_message_is_short_and_says_no_pooler_consequence_of_its_own() -> None:
    for rule in load_catalog():
        fixed = re.sub(r"\{\w+\}", "", rule.message)  # the words the rule writes itself
        assert len(fixed) <= 90, f"{rule.code}: {len(fixed)} characters: {rule.message}"
        if rule.code != "PIN100":
            assert rule.consequence, f"{rule.code} has no consequence line"


def test_first_lines_on_the_fixture_projects_are_about_100_characters() -> None:
    lengths: list[int] = []
    texts: list[str] = []
    for project in sorted(path.parent for path in FIXTURES.glob("*/expected-findings.txt")):
        result = run_cli("check", "--no-cache", "--output-format", "json", "--exit-zero", "--quiet", cwd=project)
        found = json.loads(result.stdout)
        lengths += [len(finding["message"]) for finding in found]
        texts += [finding["message"] + finding["consequence"] for finding in found]
    assert len(lengths) > 50
    names = {name for rule in load_catalog() for name in re.findall(r"\{(\w+)\}", rule.message + rule.consequence)}
    unfilled = re.compile("|".join(re.escape("{" + name + "}") for name in names))
    assert not [text for text in texts if unfilled.search(text)], "a placeholder left unfilled"
    assert statistics.median(lengths) <= 100, statistics.median(lengths)
    assert max(lengths) <= 200


def _finding(line: int, **changes: str) -> Finding:
    values: dict[str, object] = {
        "code": "PIN001",
        "name": "session-set",
        "message": "Session-level `SET search_path` outlives the transaction",
        "path": "app.py",
        "line": line,
        "column": 14,
        "end_line": line,
        "end_column": 30,
        "severity": "error",
        "fix": "Use `SET LOCAL search_path ...`",
        "targets": {"rds-proxy": "pins", "pgbouncer": "breaks"},
        "sql": "SET search_path TO a",
        "dialect": "postgres",
        "dialect_reason": "imports psycopg2 (line 1)",
        "consequence": "RDS Proxy pins the connection; PgBouncer (transaction mode) leaks the setting to other clients",
    }
    values.update(changes)
    return Finding(**values)  # type: ignore[arg-type]


def test_a_second_finding_of_the_same_rule_in_a_file_shows_only_what_differs() -> None:
    project = FIXTURES / "serverless-app"
    result = run_cli("check", "--no-cache", "--quiet", "--select", "PIN022", ".", cwd=project)
    blocks = result.stdout.strip().split("\n\n")
    by_file: dict[str, list[str]] = {}
    for block in blocks:
        by_file.setdefault(block.split(":", 1)[0], []).append(block)
    repeated = [blocks for blocks in by_file.values() if len(blocks) > 1]
    assert repeated, "the fixture has a file with two PIN022 findings"
    first, second = repeated[0][:2]
    assert "= why: " in first and "= help: " in first and "= docs: " in first
    assert "= why: " not in second and "= help: " not in second and "= docs: " not in second
    assert "^" in second  # the frame is always shown


def test_a_note_that_differs_is_shown_again_and_the_dialect_once_per_file() -> None:
    from pinlint.report.full import Shown

    lines = ["cur.execute('SET search_path TO a')"] * 3
    shown = Shown()
    first = render_one(_finding(1), lines, False, shown)
    same = render_one(_finding(2), lines, False, shown)
    other_fix = render_one(_finding(3, fix="Set it with `ALTER ROLE`"), lines, False, shown)
    assert "= dialect: PostgreSQL, imports psycopg2 (line 1)" in first
    assert "= dialect" not in same and "= dialect" not in other_fix
    assert "= sql: " in same  # the statement is the finding's own
    assert "= help: Set it with `ALTER ROLE`" in other_fix and "= why:" not in other_fix
    alone = render_one(_finding(2), lines, False)
    assert "= why: RDS Proxy pins" in alone and "= docs: " in alone


def test_poolers_with_the_same_consequence_share_one_entry_of_the_targets_line() -> None:
    lines = ["conn = psycopg2.connect()"]
    churns = {"rds-proxy": "churns", "pgbouncer": "churns", "proxysql": "churns"}
    same = render_one(_finding(1, targets=churns), lines, False)  # type: ignore[arg-type]
    assert "= targets: rds-proxy, pgbouncer, proxysql: a new connection per invocation\n" in same
    mixed = render_one(_finding(1, targets={"rds-proxy": "pins", "pgbouncer": "ok"}), lines, False)  # type: ignore[arg-type]
    assert "= targets: rds-proxy: pins the connection · pgbouncer: ok\n" in mixed


def test_the_caret_is_coloured_by_severity() -> None:
    lines = ["cur.execute('SET search_path TO a')"]
    error = render_one(_finding(1), lines, True)
    warning = render_one(_finding(1, severity="warning"), lines, True)
    caret = "^" * 16 + " PIN001"
    assert click.style(caret, fg="red", bold=True) in error
    assert click.style(caret, fg="yellow", bold=True) in warning


def test_single_text_formats_carry_the_consequence() -> None:
    project = FIXTURES / "serverless-app"
    github = run_cli("check", "--no-cache", "--quiet", "--output-format", "github", ".", cwd=project).stdout
    concise = run_cli("check", "--no-cache", "--quiet", "--output-format", "concise", ".", cwd=project).stdout
    assert "RDS Proxy pins the connection" in github
    assert "RDS Proxy pins the connection" not in concise
