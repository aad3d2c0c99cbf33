"""Machine-readable output: SARIF for code scanning, GitHub annotations, GitLab Code Quality, JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT, run_cli

SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
SOURCE = (
    'cur.execute("SET search_path TO tenant_42")\n'
    'cur.execute(\n    """\n    SELECT 1;\n    LISTEN jobs\n    """\n)\n'
    "cur.execute(\"SELECT nextval('s')\")\n"
)


def _project(tmp_path: Path, source: str = SOURCE) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "db.py").write_text(source, encoding="utf-8")
    return tmp_path


def _sarif(tmp_path: Path) -> dict:
    result = run_cli("check", "--output-format", "sarif", "app", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)


def test_sarif_is_valid_and_what_code_scanning_needs(tmp_path: Path) -> None:
    document = _sarif(_project(tmp_path))
    jsonschema.validate(document, SCHEMA)
    run = document["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "pinlint" and driver["semanticVersion"] and driver["informationUri"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"].startswith(f"# {rule['name']}")
        assert rule["helpUri"].startswith("https://")
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
    codes = []
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": "app/db.py", "uriBaseId": "%SRCROOT%"}
        region = location["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert "primaryLocationLineHash" not in result.get("partialFingerprints", {})
        codes.append((result["ruleId"], region["startLine"], region["startColumn"]))
    assert codes == [("PIN001", 1, 14), ("PIN014", 5, 5), ("PIN016", 8, 21)]


def test_sarif_fingerprints_survive_unrelated_edits(tmp_path: Path) -> None:
    before = _sarif(_project(tmp_path))
    (tmp_path / "app" / "db.py").write_text("import os\n\n\n" + SOURCE, encoding="utf-8")
    after = _sarif(tmp_path)

    def prints(document: dict) -> list[str]:
        return [result["partialFingerprints"]["pinlint/v1"] for result in document["runs"][0]["results"]]

    assert prints(before) == prints(after)
    lines = [
        result["locations"][0]["physicalLocation"]["region"]["startLine"] for result in after["runs"][0]["results"]
    ]
    assert lines == [4, 8, 11]


def test_github_annotations(tmp_path: Path) -> None:
    _project(tmp_path)
    out = run_cli("check", "--output-format", "github", "app", cwd=tmp_path).stdout.splitlines()
    assert out[0].startswith("::error file=app/db.py,line=1,col=14,endColumn=")
    assert ",title=PIN001 session-set::Session-level `SET search_path` outlives" in out[0]
    assert "%0AUse `SET LOCAL search_path" in out[0]  # newline escaped
    assert out[2].startswith("::warning file=app/db.py,line=8,col=21,")
    assert len(out) == 3


def test_github_escaping_of_properties_and_multi_line_findings(tmp_path: Path) -> None:
    source = 'cur.execute("""DECLARE c CURSOR\n  WITH HOLD FOR SELECT 1""")\n'
    odd = tmp_path / "a,b:c%.py"
    odd.write_text(source, encoding="utf-8")
    (line,) = run_cli("check", "--output-format", "github", odd.name, cwd=tmp_path).stdout.splitlines()
    assert line.startswith("::error file=a%2Cb%3Ac%25.py,line=1,endLine=2,title=PIN013 ")
    assert ",col=" not in line


def test_default_format_adds_annotations_on_github_actions(tmp_path: Path) -> None:
    _project(tmp_path)
    plain = run_cli("check", "app", cwd=tmp_path).stdout
    actions = run_cli("check", "app", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"}).stdout
    assert "::error file=" not in plain
    assert actions.count("::error file=") == 2 and "= help:" in actions


def test_gitlab_code_quality(tmp_path: Path) -> None:
    _project(tmp_path)
    issues = json.loads(run_cli("check", "--output-format", "gitlab", "app", cwd=tmp_path).stdout)
    first = issues[0]
    assert set(first) == {"description", "check_name", "fingerprint", "severity", "location"}
    assert first["check_name"] == "PIN001 session-set" and first["severity"] == "major"
    assert first["location"] == {"path": "app/db.py", "lines": {"begin": 1}}
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)


def test_json_lines(tmp_path: Path) -> None:
    _project(tmp_path)
    out = run_cli("check", "--output-format", "json-lines", "app", cwd=tmp_path).stdout.splitlines()
    assert [json.loads(line)["code"] for line in out] == ["PIN001", "PIN014", "PIN016"]


@pytest.mark.parametrize("output_format", ["sarif", "json", "concise"])
def test_output_file(tmp_path: Path, output_format: str) -> None:
    _project(tmp_path)
    result = run_cli("check", "--output-format", output_format, "-o", "report.out", "app", cwd=tmp_path)
    assert result.returncode == 1
    written = (tmp_path / "report.out").read_text(encoding="utf-8")
    assert "PIN001" in written and "PIN001" not in result.stdout
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report.out")] == []  # no temp file left


def test_junit_has_a_test_case_per_finding_and_a_passing_one_per_clean_file(tmp_path: Path) -> None:
    from junitparser import Failure, JUnitXml

    _project(tmp_path)
    (tmp_path / "app" / "clean.py").write_text("x = 1\n", encoding="utf-8")
    result = run_cli("check", "--output-format", "junit", "app", cwd=tmp_path)
    assert result.returncode == 1
    report = JUnitXml.fromstring(result.stdout.encode("utf-8"))
    suites = list(report)
    assert [suite.name for suite in suites] == ["app/clean.py", "app/db.py"]
    clean, dirty = ([(case.name, case.classname, case.result) for case in suite] for suite in suites)
    assert clean == [("pinlint", "app/clean.py", [])]
    assert [(name, classname) for name, classname, _ in dirty] == [
        ("pinlint.PIN001", "app/db.py"),
        ("pinlint.PIN014", "app/db.py"),
        ("pinlint.PIN016", "app/db.py"),
    ]
    for _, _, outcome in dirty:
        (failure,) = outcome
        assert isinstance(failure, Failure) and failure.message.startswith(failure.type + " ")
    from xml.etree import ElementTree

    positions = [
        (case.get("file"), case.get("line"), case.get("column"))
        for case in ElementTree.fromstring(result.stdout.split("\n", 1)[1]).iter("testcase")
    ]
    assert positions == [
        ("app/clean.py", None, None),
        ("app/db.py", "1", "14"),
        ("app/db.py", "5", "5"),
        ("app/db.py", "8", "21"),
    ]
    # the header's counts are the ones a CI tool recomputes from the cases
    header = (report.tests, report.failures, report.errors)
    report.update_statistics()
    assert header == (report.tests, report.failures, report.errors) == (4, 3, 0)
    assert [(suite.tests, suite.failures) for suite in suites] == [(1, 0), (3, 3)]


def test_pylint(tmp_path: Path) -> None:
    _project(tmp_path)
    pylint = run_cli("check", "--output-format", "pylint", "-q", "app", cwd=tmp_path).stdout.splitlines()
    assert pylint[0].startswith("app/db.py:1: [PIN001(session-set), ] Session-level")


def test_readme_ci_examples_run(tmp_path: Path) -> None:
    """The README's GitHub Actions and GitLab CI snippets parse, and their pinlint commands work."""
    import re
    import shlex

    import yaml

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL)]
    steps = blocks[0]
    commands = [step["run"] for step in steps if "run" in step and "pinlint check" in step["run"]]
    upload = next(step for step in steps if "uses" in step)
    assert upload["uses"].startswith("github/codeql-action/upload-sarif")
    commands += [line for line in blocks[1]["pinlint"]["script"] if line.startswith("pinlint check")]
    assert len(commands) == 2
    _project(tmp_path)
    for command in commands:
        arguments = shlex.split(command)[1:]
        result = run_cli(*arguments, cwd=tmp_path)
        assert result.returncode in (0, 1), (command, result.stderr)
    sarif = json.loads((tmp_path / upload["with"]["sarif_file"]).read_text(encoding="utf-8"))
    jsonschema.validate(sarif, SCHEMA)
    report = blocks[1]["pinlint"]["artifacts"]["reports"]["codequality"]
    assert json.loads((tmp_path / report).read_text(encoding="utf-8"))


def test_statistics_follow_the_output_format_and_quiet(tmp_path: Path) -> None:
    _project(tmp_path, SOURCE + 'cur.execute("SET search_path TO tenant_43")\n')
    table = run_cli("check", "--statistics", "app", cwd=tmp_path)
    assert table.returncode == 1
    counts = ["2\tPIN001\tsession-set", "1\tPIN014\tlisten", "1\tPIN016\texplicit-sequence-function"]
    assert table.stdout.splitlines()[:3] == counts
    assert table.stdout.splitlines()[-1].startswith("Found 4 findings")
    quiet = run_cli("check", "--statistics", "-q", "--output-format", "concise", "app", cwd=tmp_path)
    assert quiet.stdout.splitlines() == counts  # -q: no summary line
    as_json = run_cli("check", "--statistics", "--output-format", "json", "app", cwd=tmp_path)
    assert as_json.returncode == 1
    rows = json.loads(as_json.stdout)
    assert rows == [
        {"code": "PIN001", "name": "session-set", "count": 2},
        {"code": "PIN014", "name": "listen", "count": 1},
        {"code": "PIN016", "name": "explicit-sequence-function", "count": 1},
    ]
    lines = run_cli("check", "--statistics", "--output-format", "json-lines", "app", cwd=tmp_path).stdout
    assert [json.loads(line) for line in lines.splitlines()] == rows
    refused = run_cli("check", "--statistics", "--output-format", "sarif", "app", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stdout == ""
    assert "--statistics" in refused.stderr and "json" in refused.stderr and "Traceback" not in refused.stderr


def test_a_syntax_error_is_a_warning_and_a_sarif_tool_execution_notification(tmp_path: Path) -> None:
    _project(tmp_path)
    (tmp_path / "app" / "broken.py").write_text('cur.execute("SET search_path TO x")\ndef f(:\n', encoding="utf-8")
    result = run_cli("check", "--output-format", "sarif", "app", cwd=tmp_path)
    assert result.returncode == 1
    assert "pinlint: warning: app/broken.py: syntax error at line 2" in result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    (invocation,) = document["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True  # the other files were linted
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "warning"
    assert notification["message"]["text"].startswith("app/broken.py: syntax error at line 2")
    (location,) = notification["locations"]
    assert location["physicalLocation"]["artifactLocation"] == {"uri": "app/broken.py", "uriBaseId": "%SRCROOT%"}
    assert {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"]
    } == {"app/db.py"}
    (tmp_path / "app" / "broken.py").unlink()
    clean = json.loads(run_cli("check", "--output-format", "sarif", "app", cwd=tmp_path).stdout)
    assert clean["runs"][0]["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_json_url_is_the_rule_page_and_every_field_is_in_the_readme(tmp_path: Path) -> None:
    import re

    _project(tmp_path)
    items = json.loads(run_cli("check", "--output-format", "json", "app", cwd=tmp_path).stdout)
    help_uris = {rule["id"]: rule["helpUri"] for rule in _sarif(tmp_path)["runs"][0]["tool"]["driver"]["rules"]}
    for item in items:
        assert item["url"] == help_uris[item["code"]]
        page = item["url"].rsplit("/blob/main/", 1)[1]
        assert page == f"docs/rules/{item['code']}-{item['name']}.md" and (ROOT / page).is_file()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### JSON fields", 1)[1].split("\n#", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)
    assert documented == list(items[0])  # every key, in the order pinlint writes them
