"""Configuration per file, as ruff does it: the nearest configuration above each file decides for
it, whatever the order of the paths; `extend`; `--config key=value`; --force-exclude on stdin."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

SET_SQL = "SET search_path TO app;\n"


def _monorepo(tmp_path: Path) -> Path:
    """A root with no configuration, a `b.sql`, and `svc/` whose pyproject ignores PIN001."""
    (tmp_path / "b.sql").write_text(SET_SQL, encoding="utf-8")
    svc = tmp_path / "svc"
    svc.mkdir()
    (svc / "pyproject.toml").write_text('[tool.pinlint]\nignore = ["PIN001"]\n', encoding="utf-8")
    (svc / "a.sql").write_text(SET_SQL, encoding="utf-8")
    return tmp_path


def _reported(stdout: str) -> list[str]:
    """`path CODE` of each concise finding."""
    return sorted(f"{line.split(':')[0]} {line.split()[1]}" for line in stdout.splitlines() if ": PIN" in line)


def test_each_file_gets_its_nearest_configuration_whatever_the_path_order(tmp_path: Path) -> None:
    _monorepo(tmp_path)
    for paths in (["svc", "b.sql"], ["b.sql", "svc"], ["svc/a.sql", "b.sql"], ["b.sql", "svc/a.sql"]):
        result = run_cli("check", "--output-format", "concise", "--no-cache", *paths, cwd=tmp_path)
        assert _reported(result.stdout) == ["b.sql PIN001"], paths


def test_a_walk_honours_a_nested_configuration(tmp_path: Path) -> None:
    _monorepo(tmp_path)
    result = run_cli("check", "--output-format", "concise", "--no-cache", ".", cwd=tmp_path)
    assert _reported(result.stdout) == ["b.sql PIN001"]
    from_inside = run_cli("check", "--output-format", "concise", "--no-cache", "..", cwd=tmp_path / "svc")
    assert _reported(from_inside.stdout) == ["../b.sql PIN001"]


def test_config_file_option_decides_for_every_file(tmp_path: Path) -> None:
    _monorepo(tmp_path)
    (tmp_path / "strict.toml").write_text('select = ["PIN001"]\n', encoding="utf-8")
    result = run_cli("check", "--config", "strict.toml", "--output-format", "concise", "--no-cache", ".", cwd=tmp_path)
    assert _reported(result.stdout) == ["b.sql PIN001", "svc/a.sql PIN001"]


def test_nested_extend_exclude_applies_below_its_configuration(tmp_path: Path) -> None:
    _monorepo(tmp_path)
    (tmp_path / "svc" / "pyproject.toml").write_text('[tool.pinlint]\nextend-exclude = ["legacy/**"]\n', "utf-8")
    (tmp_path / "svc" / "legacy").mkdir()
    (tmp_path / "svc" / "legacy" / "old.sql").write_text(SET_SQL, encoding="utf-8")
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "kept.sql").write_text(SET_SQL, encoding="utf-8")
    result = run_cli("check", "--show-files", ".", cwd=tmp_path)
    assert result.stdout.split() == ["b.sql", "legacy/kept.sql", "svc/a.sql"]


def test_extend_inherits_relative_to_the_file_and_wins_over_its_base(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pinlint]\nignore = ["PIN001"]\noutput-format = "concise"\n', encoding="utf-8"
    )
    svc = tmp_path / "svc"
    svc.mkdir()
    (svc / "pinlint.toml").write_text('extend = "../pyproject.toml"\nselect = ["PIN001", "PIN002"]\n', "utf-8")
    (svc / "q.py").write_text('cur.execute("SET search_path TO x")\ncur.execute("SET TIME ZONE \'UTC\'")\n', "utf-8")
    result = run_cli("check", "--no-cache", "q.py", cwd=svc)
    assert _reported(result.stdout) == ["q.py PIN002"]  # ignore and output-format from the base


def test_an_extend_cycle_is_a_config_error_naming_the_files(tmp_path: Path) -> None:
    (tmp_path / "pinlint.toml").write_text('extend = "sub/pinlint.toml"\n', encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pinlint.toml").write_text('extend = "../pinlint.toml"\n', encoding="utf-8")
    (tmp_path / "sub" / "x.sql").write_text(SET_SQL, encoding="utf-8")
    result = run_cli("check", "sub", cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cycle" in result.stderr
    assert str((tmp_path / "pinlint.toml").resolve()) in result.stderr
    assert str((tmp_path / "sub" / "pinlint.toml").resolve()) in result.stderr


def test_config_overrides_in_toml_syntax(tmp_path: Path) -> None:
    _monorepo(tmp_path)
    ignored = run_cli("check", "--config", 'ignore = ["PIN001"]', "--no-cache", "b.sql", cwd=tmp_path)
    assert ignored.returncode == 0
    concise = run_cli("check", "--config", 'output-format = "concise"', "--no-cache", "b.sql", cwd=tmp_path)
    assert _reported(concise.stdout) == ["b.sql PIN001"]
    # an override applies over every file's configuration, the nested one included
    selected = run_cli(
        "check", "--config", "ignore = []", "--output-format", "concise", "--no-cache", ".", cwd=tmp_path
    )
    assert _reported(selected.stdout) == ["b.sql PIN001", "svc/a.sql PIN001"]


def test_a_bad_override_is_a_one_line_error(tmp_path: Path) -> None:
    _monorepo(tmp_path)
    for value, named in (("colour = true", "colour"), ('target = "pgpool"', "target"), ("ignore = [", "ignore = [")):
        result = run_cli("check", "--config", value, "b.sql", cwd=tmp_path)
        assert result.returncode == 2, value
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert named in result.stderr
        assert "Traceback" not in result.stderr


def test_force_exclude_applies_to_stdin_filename(tmp_path: Path) -> None:
    (tmp_path / "pinlint.toml").write_text('extend-exclude = ["migrations/**"]\n', encoding="utf-8")
    stdin = 'cur.execute("SET search_path TO x")\n'
    excluded = run_cli(
        "check", "--force-exclude", "--stdin-filename", "migrations/0001.py", "-", cwd=tmp_path, stdin=stdin
    )
    assert excluded.returncode == 0
    assert "PIN001" not in excluded.stdout
    without = run_cli("check", "--stdin-filename", "migrations/0001.py", "-", cwd=tmp_path, stdin=stdin)
    assert without.returncode == 1 and "PIN001" in without.stdout
    kept = run_cli("check", "--force-exclude", "--stdin-filename", "app/db.py", "-", cwd=tmp_path, stdin=stdin)
    assert kept.returncode == 1 and "PIN001" in kept.stdout


def test_add_noqa_follows_each_files_configuration(tmp_path: Path) -> None:
    _monorepo(tmp_path)
    result = run_cli("check", "--add-noqa", "--no-cache", "svc", "b.sql", cwd=tmp_path)
    assert result.stdout.strip() == "Added 1 noqa directive to 1 file."
    assert (tmp_path / "b.sql").read_text(encoding="utf-8") == "SET search_path TO app;  -- noqa: PIN001\n"
    assert (tmp_path / "svc" / "a.sql").read_text(encoding="utf-8") == SET_SQL
    assert run_cli("check", "--no-cache", ".", cwd=tmp_path).returncode == 0


def test_stdin_takes_the_configuration_of_its_filename(tmp_path: Path) -> None:
    _monorepo(tmp_path)
    nested = run_cli("check", "--stdin-filename", "svc/new.sql", "-", cwd=tmp_path, stdin=SET_SQL)
    assert nested.returncode == 0 and "PIN001" not in nested.stdout
    root = run_cli("check", "--stdin-filename", "new.sql", "-", cwd=tmp_path / "svc", stdin=SET_SQL)
    assert root.returncode == 0  # svc/new.sql: the cwd does not decide, the file's place does
    outside = run_cli("check", "--stdin-filename", "../new.sql", "-", cwd=tmp_path / "svc", stdin=SET_SQL)
    assert outside.returncode == 1 and "PIN001" in outside.stdout


def test_run_wide_options_come_from_the_current_directory_whatever_the_path_order(tmp_path: Path) -> None:
    (tmp_path / "pinlint.toml").write_text('output-format = "concise"\n', encoding="utf-8")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "pinlint.toml").write_text('output-format = "json"\nexit-zero = true\n', encoding="utf-8")
    (tmp_path / "svc" / "a.sql").write_text("SET search_path TO a;\n", encoding="utf-8")
    (tmp_path / "b.sql").write_text("SET search_path TO b;\n", encoding="utf-8")
    for order in (("svc", "b.sql"), ("b.sql", "svc")):
        result = run_cli("check", "--no-cache", "--quiet", *order, cwd=tmp_path)
        assert result.stdout.splitlines() == [
            "b.sql:1:1: PIN001 Session-level `SET search_path` outlives the transaction",
            "svc/a.sql:1:1: PIN001 Session-level `SET search_path` outlives the transaction",
        ], order
        assert result.returncode == 1, order
    inside = run_cli("check", "--no-cache", "--quiet", ".", cwd=tmp_path / "svc")
    assert inside.stdout.lstrip().startswith("[") and inside.returncode == 0
