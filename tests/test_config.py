"""Configuration: [tool.pinlint] or pinlint.toml, validated, and the command line wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from pinlint import config
from pinlint.config import ConfigError, load_settings

BAD = 'cur.execute("SET search_path TO x")\ncur.execute("SET TIME ZONE \'UTC\'")\n'


def _project(tmp_path: Path, config_name: str, config: str) -> Path:
    (tmp_path / config_name).write_text(config, encoding="utf-8")
    (tmp_path / "app.py").write_text(BAD, encoding="utf-8")
    return tmp_path


def _codes(stdout: str) -> list[str]:
    return [line.split()[1] for line in stdout.splitlines() if ": PIN" in line]


def test_pyproject_table_is_read_and_cli_wins(tmp_path: Path) -> None:
    _project(tmp_path, "pyproject.toml", '[tool.pinlint]\nignore = ["PIN002"]\noutput-format = "concise"\n')
    result = run_cli("check", ".", cwd=tmp_path)
    assert _codes(result.stdout) == ["PIN001"]
    assert result.stdout.startswith("app.py:1:14: PIN001 ")  # concise from the file
    wider = run_cli("check", ".", "--select", "ALL", "--output-format", "concise", cwd=tmp_path)
    assert _codes(wider.stdout) == ["PIN001"]  # ignore still applies on top of --select
    target = run_cli("check", ".", "--target", "pgbouncer", cwd=tmp_path)
    assert _codes(target.stdout) == ["PIN001"]


def test_pinlint_toml_and_parent_directories(tmp_path: Path) -> None:
    _project(tmp_path, "pinlint.toml", 'target = "pgbouncer"\noutput-format = "concise"\n')
    sub = tmp_path / "pkg"
    sub.mkdir()
    (sub / "mod.py").write_text(BAD, encoding="utf-8")
    result = run_cli("check", "pkg", cwd=tmp_path)
    assert _codes(result.stdout) == ["PIN001"]


def test_pyproject_without_the_table_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "pinlint.toml").write_text('select = ["PIN002"]\n', encoding="utf-8")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert load_settings(None, inner).select == ("PIN002",)


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ('[tool.pinlint]\nselect = "PIN001"\n', "`select`"),
        ("[tool.pinlint]\ncolour = true\n", "`colour`"),
        ('[tool.pinlint]\ntarget = "pgpool"\n', "`target`"),
        ('[tool.pinlint]\nselect = ["PIN999"]\n', "PIN999"),
        ("[tool.pinlint\n", "not valid TOML"),
    ],
)
def test_bad_config_exits_2_naming_the_key_and_file(tmp_path: Path, config: str, named: str) -> None:
    _project(tmp_path, "pyproject.toml", config)
    result = run_cli("check", ".", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], lines
    if "PIN999" not in named:
        assert "pyproject.toml" in lines[0]


def test_unknown_key_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pinlint.toml").write_text("max-line = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="max-line"):
        load_settings(None, tmp_path)


def test_explicit_config_file(tmp_path: Path) -> None:
    _project(tmp_path, "custom.toml", 'select = ["PIN002"]\n')
    result = run_cli("check", "--config", "custom.toml", "--output-format", "concise", ".", cwd=tmp_path)
    assert _codes(result.stdout) == ["PIN002"]


ASYNCPG = "import asyncpg\n\nasync def main():\n    return await asyncpg.connect(DSN)\n"


@pytest.mark.parametrize(
    ("config", "reported"),
    [
        ("", True),  # nothing said about the pooler: assume no prepared-statement support
        ('pgbouncer-version = "1.20"\n', True),  # before 1.21: no support
        ('pgbouncer-version = "1.21"\n', True),  # 1.21-1.23 default max_prepared_statements = 0
        ('pgbouncer-version = "1.21"\nmax-prepared-statements = 100\n', False),
        ('pgbouncer-version = "1.24.1"\n', False),  # default 200 from 1.24
        ('pgbouncer-version = "1.24"\nmax-prepared-statements = 0\n', True),
    ],
)
def test_pgbouncer_knobs_decide_prepared_statement_findings(tmp_path: Path, config: str, reported: bool) -> None:
    (tmp_path / "pinlint.toml").write_text(config, encoding="utf-8")
    (tmp_path / "worker.py").write_text(ASYNCPG, encoding="utf-8")
    result = run_cli("check", "--target", "pgbouncer", "--output-format", "json", ".", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    codes = [item["code"] for item in json.loads(result.stdout)]
    assert ("PIN024" in codes) is reported


def test_knob_values_are_validated(tmp_path: Path) -> None:
    (tmp_path / "pinlint.toml").write_text('pgbouncer-version = "latest"\n', encoding="utf-8")
    result = run_cli("check", ".", cwd=tmp_path)
    assert result.returncode == 2 and "`pgbouncer-version`" in result.stderr


def test_the_project_root_is_the_config_directory_else_the_repository_else_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "repo" / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    assert load_settings(None, tmp_path / "repo" / "pkg" / "sub").project_root == (tmp_path / "repo").resolve()
    (tmp_path / "repo" / "pkg" / "pinlint.toml").write_text('target = "all"\n', encoding="utf-8")
    assert load_settings(None, tmp_path / "repo" / "pkg" / "sub").project_root == (tmp_path / "repo" / "pkg").resolve()
    (tmp_path / "alone").mkdir()
    assert load_settings(None, tmp_path / "alone").project_root == tmp_path.resolve()


def test_each_configuration_is_resolved_once_and_shared_by_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pinlint.toml").write_text('target = "pgbouncer"\n', encoding="utf-8")
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "pinlint.toml").write_text('target = "rds-proxy"\n', encoding="utf-8")
    loaded: list[Path | None] = []
    real = config.load_settings
    monkeypatch.setattr(config, "load_settings", lambda path, start: loaded.append(path) or real(path, start))
    resolver = config.SettingsResolver(default_root=tmp_path)
    shared = [resolver.for_directory(tmp_path / name) for name in ("a/deep", "b", "a", ".")]
    nested = resolver.for_directory(tmp_path / "svc")
    assert all(settings is shared[0] for settings in shared)
    assert (shared[0].target, nested.target) == ("pgbouncer", "rds-proxy")
    assert loaded == [tmp_path / "pinlint.toml", tmp_path / "svc" / "pinlint.toml"]


def test_a_directory_without_configuration_gets_the_defaults_not_a_neighbour(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "pinlint.toml").write_text('ignore = ["PIN001"]\n', encoding="utf-8")
    resolver = config.SettingsResolver(default_root=tmp_path / "svc")
    assert resolver.for_directory(tmp_path / "svc").ignore == ("PIN001",)
    assert resolver.for_directory(tmp_path).ignore == ()
    assert resolver.for_directory(tmp_path).config_file is None


@pytest.mark.parametrize(
    ("extend", "named"),
    [
        ('extend = "missing.toml"\n', "missing.toml, which does not exist"),
        ("extend = 3\n", "`extend`"),
        ('extend = "pinlint.toml"\n', "cycle"),
    ],
)
def test_a_bad_extend_is_a_one_line_config_error(tmp_path: Path, extend: str, named: str) -> None:
    _project(tmp_path, "pinlint.toml", extend)
    result = run_cli("check", ".", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], lines


def test_options_win_over_config_overrides_which_win_over_the_file(tmp_path: Path) -> None:
    _project(tmp_path, "pinlint.toml", 'target = "rds-proxy"\noutput-format = "concise"\n')
    override = run_cli("check", "--config", 'target = "pgbouncer"', ".", cwd=tmp_path)
    assert _codes(override.stdout) == ["PIN001"]  # SET TIME ZONE is safe on PgBouncer
    option = run_cli("check", "--config", 'target = "pgbouncer"', "--target", "rds-proxy", ".", cwd=tmp_path)
    assert _codes(option.stdout) == ["PIN001", "PIN002"]


def test_two_config_files_are_a_usage_error(tmp_path: Path) -> None:
    _project(tmp_path, "one.toml", "")
    (tmp_path / "two.toml").write_text("", encoding="utf-8")
    result = run_cli("check", "--config", "one.toml", "--config", "two.toml", ".", cwd=tmp_path)
    assert result.returncode == 2 and "two files" in result.stderr
