"""What the user tells pinlint about their PgBouncer changes the consequences it states."""

from __future__ import annotations

from pathlib import Path

from conftest import CATALOG
from pinlint.catalog import PoolerSetup
from pinlint.config import ConfigError, load_settings


def _pgbouncer(code: str, setup: PoolerSetup) -> str:
    rule = next(rule for rule in CATALOG if rule.code == code)
    return rule.for_setup(setup).targets["pgbouncer"]


def test_interval_style_is_safe_only_where_pgbouncer_tracks_it() -> None:
    assert _pgbouncer("PIN042", PoolerSetup()) == "breaks"
    assert _pgbouncer("PIN042", PoolerSetup((1, 18))) == "breaks"
    assert _pgbouncer("PIN042", PoolerSetup((1, 25))) == "ok"  # track_extra_parameters defaults to IntervalStyle
    assert _pgbouncer("PIN042", PoolerSetup((1, 25), None, ("default_transaction_read_only",))) == "breaks"
    assert _pgbouncer("PIN042", PoolerSetup((1, 25), None, ("intervalstyle",))) == "ok"


def test_ignored_startup_options_are_silently_dropped_not_refused() -> None:
    assert _pgbouncer("PIN021", PoolerSetup((1, 25))) == "errors"
    assert _pgbouncer("PIN021", PoolerSetup((1, 25), ignore_startup_parameters=("options",))) == "breaks"


def test_config_reads_the_knobs(tmp_path: Path) -> None:
    (tmp_path / "pinlint.toml").write_text(
        'pgbouncer-version = "1.25"\n'
        'track-extra-parameters = ["IntervalStyle"]\n'
        'ignore-startup-parameters = ["options"]\n',
        encoding="utf-8",
    )
    setup = load_settings(None, tmp_path).pooler_setup
    assert setup.track_extra_parameters == ("IntervalStyle",)
    assert setup.ignore_startup_parameters == ("options",)


def test_config_rejects_a_knob_that_is_not_a_list(tmp_path: Path) -> None:
    (tmp_path / "pinlint.toml").write_text('track-extra-parameters = "IntervalStyle"\n', encoding="utf-8")
    try:
        load_settings(None, tmp_path)
    except ConfigError as error:
        assert "track-extra-parameters" in str(error)
    else:
        raise AssertionError("a string for track-extra-parameters was accepted")
