"""The rule catalog as data: every file is valid, and the engine holds no rule-specific code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import CATALOG, ROOT
from pinlint.catalog import TARGET_DIALECTS, CatalogError, load_catalog, load_rule


def test_catalog_loads_every_rule_file() -> None:
    files = sorted(path.name for path in (ROOT / "rules").glob("*.toml"))
    assert [rule.file for rule in CATALOG] == files
    assert len({rule.code for rule in CATALOG}) == len(CATALOG)
    assert len({rule.name for rule in CATALOG}) == len(CATALOG)


@pytest.mark.parametrize("rule", CATALOG, ids=lambda rule: rule.code)
def test_rule_is_complete(rule) -> None:
    assert rule.file == f"{rule.code}-{rule.name}.toml"
    # a consequence on every pooler in front of the rule's databases, and on no other
    assert set(rule.targets) == {
        target for target, dialects in TARGET_DIALECTS.items() if set(dialects) & set(rule.dialects)
    }
    # (the RDS Data API rules are about the Data API, which no pooler fronts: ok on each, kept by every --target)
    if rule.default_enabled and rule.kind.name != "data-api-call":
        assert any(value != "ok" for value in rule.targets.values()), "a pooler rule that is ok everywhere"
    assert rule.references and all(ref.startswith("https://") for ref in rule.references)
    assert rule.what.strip() and rule.why.strip() and rule.fix.strip() and rule.message.strip()


def test_issue_triggers_all_have_rules() -> None:
    """Catalog §1a triggers the core issue asks for, by the rule that covers them."""
    names = {rule.name for rule in CATALOG}
    assert {
        "session-set",
        "set-role",
        "set-session-characteristics",
        "reset-parameter",
        "set-config-session",
        "sql-prepared-statement",
        "discard",
        "temporary-object",
        "declare-cursor",
        "declare-cursor-with-hold",
        "listen",
        "load-library",
        "explicit-sequence-function",
        "currval-call",
        "lastval-call",
        "session-advisory-lock",
        "oversized-statement",
        "startup-options",
    } <= names


def test_engine_has_no_rule_specific_branches() -> None:
    """Rules live in rules/: no rule code or rule name is a string value in the engine's source
    (codes in help texts and docstrings, like "e.g. PIN001", are examples, not branches)."""
    names = "|".join(re.escape(rule.name) for rule in CATALOG)
    value = re.compile(rf"""["'](?:PIN\d{{3}}|{names})["']""")
    offenders = [
        f"{path.name}: {match.group()}"
        for path in (ROOT / "pinlint").rglob("*.py")
        for match in value.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_rule_file_is_a_clear_error(tmp_path: Path) -> None:
    good = (ROOT / "rules" / "PIN014-listen.toml").read_text(encoding="utf-8")
    broken = _write(tmp_path, "PIN014-listen.toml", good.replace('kind = "statement"', 'kind = "telepathy"'))
    with pytest.raises(CatalogError, match="telepathy"):
        load_rule(broken)
    renamed = _write(tmp_path, "PIN099-other.toml", good)
    with pytest.raises(CatalogError, match=re.escape("PIN099-other.toml")):
        load_rule(renamed)


def test_a_new_rule_of_a_known_kind_needs_no_code(tmp_path: Path) -> None:
    """Adding a trigger is adding a file: here, a made-up rule for `CLUSTER` as a statement matcher."""
    for path in (ROOT / "rules").glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    _write(
        tmp_path,
        "PIN900-cluster.toml",
        """code = "PIN900"
name = "cluster"
summary = "CLUSTER rewrites a table"
severity = "warning"
dialects = ["postgres"]
message = "`CLUSTER` found"
fix = "Run it from a maintenance job"

[targets]
rds-proxy = "pins"
pgbouncer = "ok"

[match]
kind = "statement"
patterns = ["CLUSTER"]

[docs]
what = "Flags CLUSTER."
why = "An example rule."
references = ["https://www.postgresql.org/docs/current/sql-cluster.html"]

[[examples.bad]]
sql = "CLUSTER orders;"
at = [1, 1]

[[examples.good]]
sql = "SELECT 1;"
""",
    )
    catalog = load_catalog(tmp_path)
    from pinlint.config import Settings
    from pinlint.engine import Linter

    linter = Linter(catalog, Settings())
    result = linter.lint_source("CLUSTER orders USING orders_pkey;", "m.sql")
    assert [f.code for f in result.findings] == ["PIN900"]
    (rule,) = [rule for rule in catalog if rule.code == "PIN900"]
    found = linter.lint_source(rule.bad[0].source, "example.sql").findings
    assert [(f.code, f.line, f.column) for f in found] == [("PIN900", *rule.bad[0].at[0])]
    assert linter.lint_source(rule.good[0].source, "example.sql").findings == []


def _broken(tmp_path: Path, rule_file: str, old: str, new: str) -> Path:
    """A copy of a real rule file, in a directory named rules/, with one edit."""
    directory = tmp_path / "rules"
    directory.mkdir(exist_ok=True)
    text = (ROOT / "rules" / rule_file).read_text(encoding="utf-8")
    assert old in text
    return _write(directory, rule_file, text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("rule_file", "old", "new", "error"),
    [
        (
            "PIN023-psycopg-prepared-statements.toml",
            'kind = "call-arguments"',
            'kind = "call-arguments"\nunles = []',
            "rules/PIN023-psycopg-prepared-statements.toml: unknown key 'unles' in [match] (kind call-arguments)",
        ),
        (
            "PIN038-psycopg2-connection-reset.toml",
            "receivers =",
            "recievers =",
            "rules/PIN038-psycopg2-connection-reset.toml: unknown key 'recievers' in [match] (kind call-arguments)",
        ),
        (
            "PIN001-session-set.toml",
            'severity = "error"',
            'sevrity = "error"',
            "rules/PIN001-session-set.toml: unknown key 'sevrity' at the top level",
        ),
        (
            "PIN023-psycopg-prepared-statements.toml",
            "flag-if-missing = true",
            'flag-if-missing = "yes"',
            "rules/PIN023-psycopg-prepared-statements.toml: key 'flag-if-missing' in [match.arguments]"
            " must be a boolean, not string (kind call-arguments)",
        ),
        (
            "PIN023-psycopg-prepared-statements.toml",
            "keyword = ",
            "keywrd = ",
            "rules/PIN023-psycopg-prepared-statements.toml: unknown key 'keywrd' in [match.arguments]"
            " (kind call-arguments)",
        ),
        (
            "PIN001-session-set.toml",
            "not-in = [",
            "notin = [",
            "rules/PIN001-session-set.toml: unknown key 'notin' in [match.captures.param] (kind statement)",
        ),
        (
            "PIN020-oversized-statement.toml",
            "max-bytes = 16384",
            'max-bytes = "16 KB"',
            "rules/PIN020-oversized-statement.toml: key 'max-bytes' in [match] must be an integer, not string"
            " (kind statement-size)",
        ),
        (
            "PIN201-mysql-user-variable.toml",
            'token-kinds = ["uservar"]',
            'token-kinds = ["uservariable"]',
            "rules/PIN201-mysql-user-variable.toml: key 'token-kinds' in [match] has unknown value 'uservariable'",
        ),
        (
            "PIN006-set-config-session.toml",
            'sql-functions = ["set_config"]',
            "",
            "rules/PIN006-set-config-session.toml: missing key 'sql-functions' in [match] (kind function-call)",
        ),
        (
            "PIN003-set-role.toml",
            '"SET [SESSION] ROLE",',
            '"SET [SESSION ROLE",',
            "rules/PIN003-set-role.toml: unbalanced brackets in pattern 'SET [SESSION ROLE'"
            " in [match] (kind statement)",
        ),
        (
            "PIN041-asyncpg-jit-introspection.toml",
            "unless-source-regex = '(?s)",
            "unless-source-regex = '((?s)",
            "rules/PIN041-asyncpg-jit-introspection.toml: key 'unless-source-regex' in [match] is not a valid regex",
        ),
    ],
)
def test_a_rule_file_that_does_not_fit_its_kind_is_an_error_naming_file_table_key_and_kind(
    tmp_path: Path, rule_file: str, old: str, new: str, error: str
) -> None:
    with pytest.raises(CatalogError) as raised:
        load_rule(_broken(tmp_path, rule_file, old, new))
    assert str(raised.value).startswith(error)


def test_tree_conditions_name_real_sqlglot_nodes() -> None:
    from sqlglot import exp

    from pinlint.kinds.statement import StatementMatch

    names = [
        pattern.tree_node
        for rule in CATALOG
        if isinstance(rule.kind, StatementMatch)
        for pattern in rule.kind.patterns
        if pattern.tree_node
    ]
    assert names, "no rule uses a tree condition any more: drop this test"
    assert [name for name in names if not isinstance(getattr(exp, name, None), type)] == []


def test_docs_rule_kinds_is_generated_from_the_kinds() -> None:
    """docs/rule-kinds.md is what ``python -m pinlint.kinds.reference`` writes (compared in memory)."""
    from pinlint.kinds.reference import render

    written = (ROOT / "docs" / "rule-kinds.md").read_text(encoding="utf-8")
    assert written == render(), "docs/rule-kinds.md is stale: run `python -m pinlint.kinds.reference`"


def test_the_parsed_catalog_is_fresh_and_a_changed_file_is_read_from_its_toml(tmp_path: Path) -> None:
    """rules/parsed-catalog.json (written by `python -m pinlint.rulesdoc`) holds every rule file's
    TOML by its digest, so a run reads JSON; an edited file no longer matches its entry and is
    parsed from its TOML, so the catalog never serves a stale rule."""
    import hashlib
    import json
    import shutil

    import tomllib

    from pinlint.catalog import PARSED_CATALOG, parsed_catalog, rules_directory

    directory = rules_directory()
    parsed = parsed_catalog(directory)
    files = sorted(directory.glob("PIN*.toml"))
    assert sorted(parsed) == [path.name for path in files], "run `python -m pinlint.rulesdoc`"
    for path in files:
        digest, data = parsed[path.name]
        assert digest == hashlib.sha256(path.read_bytes()).hexdigest(), f"{path.name}: run `python -m pinlint.rulesdoc`"
        assert data == tomllib.loads(path.read_text(encoding="utf-8"))
    copy = tmp_path / "rules"
    shutil.copytree(directory, copy)
    edited = copy / files[0].name
    edited.write_text(edited.read_text(encoding="utf-8").replace('severity = "error"', 'severity = "warning"', 1))
    (rule,) = [rule for rule in load_catalog(copy) if rule.file.endswith(files[0].name)]
    assert rule.severity == "warning"
    (copy / PARSED_CATALOG).write_text("{not json", encoding="utf-8")  # a damaged file: every TOML is read
    assert [r.code for r in load_catalog(copy)] == [r.code for r in CATALOG]
    assert json.loads((directory / PARSED_CATALOG).read_text(encoding="utf-8"))
