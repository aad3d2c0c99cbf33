"""README and docs facts that go stale: the generated rules table, the rule pages in docs/rules/,
the install and pre-commit snippets, the options table, and the quickstart commands."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import CATALOG, ROOT
from pinlint import HOMEPAGE
from pinlint.rulesdoc import GENERATED, PAGES_DIRECTORY, PLACEHOLDER_RE, readme_with_table, rule_pages

README = (ROOT / "README.md").read_text(encoding="utf-8")
REGENERATE = "run `python -m pinlint.rulesdoc` to regenerate the README's table and docs/rules/"


def test_rules_table_is_current() -> None:
    assert readme_with_table(README, CATALOG) == README, REGENERATE


def test_rule_pages_are_current() -> None:
    """One page per rule (and the index), each as the rule files render it now; no stray page."""
    directory = ROOT / PAGES_DIRECTORY
    expected = rule_pages(CATALOG)
    on_disk = {path.name: path.read_text(encoding="utf-8") for path in directory.glob("*.md")}
    assert sorted(on_disk) == sorted(expected), REGENERATE
    stale = [name for name, text in expected.items() if on_disk[name] != text]
    assert stale == [], f"{REGENERATE} (stale: {', '.join(stale)})"
    assert len(expected) == len(CATALOG) + 1


def test_rule_pages_have_every_section_and_no_unfilled_placeholder() -> None:
    pages = rule_pages(CATALOG)
    for rule in CATALOG:
        page = pages[f"{rule.code}-{rule.name}.md"]
        assert page.startswith(f"{GENERATED}\n\n# {rule.name} ({rule.code})\n")
        for heading in ("## What it does", "## Why is this bad?", "### Consequence per pooler", "## Fix"):
            assert f"\n{heading}\n" in page, (rule.code, heading)
        assert ("## Example" in page) == bool(rule.bad) and ("## Use instead" in page) == bool(rule.good)
        fix = page.split("\n## Fix\n", 1)[1].split("\n## ", 1)[0]
        assert not PLACEHOLDER_RE.search(fix), (rule.code, fix)


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv/bin/python -m pytest -q" in README
    assert ".venv/bin/python -m pytest -q" in ci
    assert ".venv/bin/pinlint check fixtures/serverless-app" in README


def test_readme_links_every_rule_page() -> None:
    linked = set(re.findall(r"\]\((docs/rules/PIN[^)]+\.md)\)", README))
    assert linked == {f"{PAGES_DIRECTORY}/{rule.code}-{rule.name}.md" for rule in CATALOG}
    assert all((ROOT / link).is_file() for link in linked)


def _yaml_blocks() -> list[object]:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", README, re.DOTALL)]


def test_precommit_snippet_names_a_rev_of_this_repository_that_has_its_hooks() -> None:
    """pre-commit stops on a `rev:` that does not exist: the README's must be a tag or commit of
    this repository, and the hooks file at that rev must define the hooks the snippet uses."""
    (config,) = [block for block in _yaml_blocks() if isinstance(block, dict) and "repos" in block]
    (entry,) = config["repos"]
    assert entry["repo"] == HOMEPAGE
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the rev cannot be looked up")
    shown = subprocess.run(
        ["git", "show", f"{entry['rev']}:.pre-commit-hooks.yaml"], cwd=ROOT, capture_output=True, text=True
    )
    assert shown.returncode == 0, f"rev `{entry['rev']}` is not in this repository: {shown.stderr.strip()}"
    defined = {hook["id"] for hook in yaml.safe_load(shown.stdout)}
    used = {hook["id"] for hook in entry["hooks"]}
    assert used and used <= defined, (used, defined)
    # pre-commit installs pinlint as it was at that rev: it must have the options documented here
    cli = subprocess.run(["git", "show", f"{entry['rev']}:pinlint/cli.py"], cwd=ROOT, capture_output=True, text=True)
    missing = sorted(name for name in _table_options() if not re.search(rf'["/]{re.escape(name)}["/]', cli.stdout))
    assert missing == [], f"rev `{entry['rev']}` installs a pinlint without {missing}: move it to a newer commit"


def test_install_lines_name_the_distribution_and_the_command() -> None:
    """`pinlint` on the index is somebody else's project: every install line names ours."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    distribution = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    assert distribution != "pinlint"
    install = README.split("## Install\n", 1)[1].split("\n## ", 1)[0]
    for line in (f"pip install {distribution}", f"pipx install {distribution}", f"uvx --from {distribution} pinlint"):
        assert line in install, line
    installs = re.findall(r"\b(?:pip|pipx) install (\S+)", README)
    assert {name for name in installs if name.startswith("pinlint")} == {distribution}, installs


def _table_options() -> set[str]:
    """The option names in the first column of the README's table of `check` options."""
    section = README.split("Options of `check`:\n", 1)[1]
    rows = [line for line in section.split("\n\n", 1)[0].splitlines() if line.startswith("| `")]
    first_cells = [row.split(" | ", 1)[0] for row in rows]
    return {name for cell in first_cells for name in re.findall(r"`(--?[a-z][a-z-]*)", cell)}


def test_options_table_lists_every_option_of_check() -> None:
    import click

    from pinlint.cli import check

    options = {
        name
        for parameter in check.params
        if isinstance(parameter, click.Option)
        for name in (*parameter.opts, *parameter.secondary_opts)
    }
    assert "--no-cache" in options and "-o" in options
    assert sorted(options - _table_options()) == [], "options missing from the README's table"
    assert sorted(_table_options() - options) == [], "the README's table lists options `check` does not have"


def test_a_new_kind_of_condition_still_reads_as_words() -> None:
    """A [[consequence-if]] field without a phrase of its own (a knob added later) reads by its key."""
    from dataclasses import dataclass

    from pinlint.rulesdoc import condition_text

    @dataclass(frozen=True)
    class Override:
        target: str = "pgbouncer"
        consequence: str = "ok"
        pgbouncer_version: tuple[int, ...] = (1, 20)
        track_extra_parameters: tuple[str, ...] = ("IntervalStyle",)
        ignore_startup_options: bool = False

    assert condition_text(Override()) == (
        "`pgbouncer-version` is 1.20 or later and `track-extra-parameters` includes `IntervalStyle`"
    )
    assert condition_text(Override(pgbouncer_version=(), track_extra_parameters=(), ignore_startup_options=True)) == (
        "`ignore-startup-options` is on"
    )


def test_the_readme_s_example_finding_is_what_pinlint_prints() -> None:
    """The Quickstart's sample finding is copied from a real run of its first command."""
    from conftest import run_cli

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = readme.split("Each finding looks like this:", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    printed = run_cli("check", "--no-cache", "fixtures/serverless-app", cwd=ROOT).stdout
    assert example.strip() in printed
