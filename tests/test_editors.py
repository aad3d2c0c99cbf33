"""The editor recipes in the README match what pinlint prints."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import ROOT, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _concise_lines(tmp_path: Path) -> list[str]:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "db.py").write_text(
        'cur.execute("SET search_path TO x")\ncur.execute("SELECT é, pg_advisory_lock(1)")\n', encoding="utf-8"
    )
    result = run_cli("check", "--output-format", "concise", "--quiet", ".", cwd=tmp_path)
    return result.stdout.splitlines()


def test_vscode_problem_matcher(tmp_path: Path) -> None:
    block = re.search(r"```json\n(.*?)```", README, re.DOTALL)
    assert block is not None
    matcher = json.loads(block.group(1))["problemMatcher"]
    pattern = matcher["pattern"]
    regexp = re.compile(pattern["regexp"])
    found = []
    for line in _concise_lines(tmp_path):
        match = regexp.match(line)
        assert match, line
        found.append(
            (
                match.group(pattern["file"]),
                int(match.group(pattern["line"])),
                int(match.group(pattern["column"])),
                match.group(pattern["code"]),
            )
        )
    # columns count characters: the é before pg_advisory_lock is one column
    assert found == [("pkg/db.py", 1, 14, "PIN001"), ("pkg/db.py", 2, 24, "PIN019")]


def test_vim_errorformat(tmp_path: Path) -> None:
    assert "set errorformat=%f:%l:%c:\\ %m" in README
    # %f:%l:%c: %m as a regular expression: file, line, column, then the message.
    errorformat = re.compile(r"^(?P<f>.+?):(?P<l>\d+):(?P<c>\d+): (?P<m>.+)$")
    parsed = [errorformat.match(line) for line in _concise_lines(tmp_path)]
    assert all(parsed)
    assert [(m["f"], m["l"], m["c"], m["m"].split()[0]) for m in parsed if m] == [
        ("pkg/db.py", "1", "14", "PIN001"),
        ("pkg/db.py", "2", "24", "PIN019"),
    ]


def test_stdin_applies_the_configuration_of_the_file_it_stands_for(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pinlint]\n[tool.pinlint.per-file-ignores]\n"legacy/*.py" = ["PIN001"]\n', encoding="utf-8"
    )
    (tmp_path / "legacy").mkdir()
    source = 'cur.execute("SET search_path TO x")\n'
    ignored = run_cli("check", "-", "--stdin-filename", "legacy/old.py", "-q", stdin=source, cwd=tmp_path)
    reported = run_cli("check", "-", "--stdin-filename", "app/new.py", "-q", stdin=source, cwd=tmp_path)
    assert ignored.returncode == 0 and ignored.stdout == ""
    assert reported.returncode == 1 and "app/new.py:1:14: PIN001" in reported.stdout
