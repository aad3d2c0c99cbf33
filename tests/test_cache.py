"""The result cache: same findings as a cold run, invalidated by whatever changes them."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, run_cli


def _copy_app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "serverless-app", app, ignore=shutil.ignore_patterns(".pinlint_cache"))
    return app


def _concise(app: Path, *args: str) -> list[str]:
    result = run_cli("check", "--output-format", "concise", "-q", *args, cwd=app)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout.splitlines()


def test_warm_run_matches_cold_run_and_tags_its_directory(tmp_path: Path) -> None:
    app = _copy_app(tmp_path)
    cold = _concise(app, "--no-cache")
    assert not (app / ".pinlint_cache").exists()
    first = _concise(app)
    warm = _concise(app)
    assert cold == first == warm
    assert warm == (app / "expected-findings.txt").read_text(encoding="utf-8").splitlines()
    cache = app / ".pinlint_cache"
    assert (
        (cache / "CACHEDIR.TAG").read_text(encoding="utf-8").startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    assert (cache / ".gitignore").read_text(encoding="utf-8").endswith("*\n")


def test_edits_settings_and_declarations_invalidate(tmp_path: Path) -> None:
    app = _copy_app(tmp_path)
    before = _concise(app)
    events = app / "handlers" / "events.py"
    events.write_text(events.read_text(encoding="utf-8").replace("LISTEN order_events", "SELECT 1"), encoding="utf-8")
    after_edit = _concise(app)
    assert [line for line in before if "events.py" in line] and not [line for line in after_edit if "events.py" in line]
    assert [line for line in _concise(app, "--ignore", "PIN022") if "PIN022" in line] == []
    serverless = app / "serverless.yml"
    serverless.write_text(
        serverless.read_text(encoding="utf-8").replace("handler: handlers/export.export_orders", "handler: x.y"),
        encoding="utf-8",
    )
    assert [line for line in _concise(app) if "PIN022" in line] == []  # export_orders is no handler now


def test_corrupt_cache_is_ignored_and_clean_removes_it(tmp_path: Path) -> None:
    app = _copy_app(tmp_path)
    expected = _concise(app)
    for entry in (app / ".pinlint_cache").glob("results-*.json"):
        entry.write_text("{ not json", encoding="utf-8")
    assert _concise(app) == expected
    cleaned = run_cli("clean", cwd=app)
    assert cleaned.returncode == 0 and "Removed" in cleaned.stdout
    assert not (app / ".pinlint_cache").exists()


def _cache_keys(app: Path) -> set[str]:
    import json

    (results,) = (app / ".pinlint_cache").glob("results-*.json")
    return set(json.loads(results.read_text(encoding="utf-8"))["entries"])


def test_output_options_do_not_invalidate_the_cache(tmp_path: Path) -> None:
    app = _copy_app(tmp_path)
    _concise(app)
    keys = _cache_keys(app)
    for options in (["--output-format", "json"], ["--statistics"], ["--exit-zero", "--no-color"]):
        assert run_cli("check", *options, cwd=app).returncode in (0, 1)
        assert _cache_keys(app) == keys  # the same entries were reused, none recomputed
    _concise(app, "--target", "pgbouncer")  # a setting that changes findings makes new entries
    assert _cache_keys(app).isdisjoint(keys)


def _same_size_edit(events: Path) -> None:
    text = events.read_text(encoding="utf-8")
    same_size = text.replace("LISTEN order_events", "SELECT 1 -- ordeevt")
    assert len(same_size) == len(text) and same_size != text
    events.write_text(same_size, encoding="utf-8")


def _listen_lines(app: Path) -> list[str]:
    return [line for line in _concise(app) if "events.py" in line and "PIN014" in line]


def test_an_edit_of_the_same_size_is_seen(tmp_path: Path) -> None:
    """The cache skips reading files whose size and mtime are unchanged: an edit that keeps the
    size still changes the mtime, and the file is linted again."""
    import os

    app = _copy_app(tmp_path)
    events = app / "handlers" / "events.py"
    hour_ago = events.stat().st_mtime_ns - 3600 * 10**9
    os.utime(events, ns=(hour_ago, hour_ago))  # an old file: its size and mtime are recorded
    assert _listen_lines(app)
    _same_size_edit(events)
    os.utime(events, ns=(hour_ago + 1_000_000, hour_ago + 1_000_000))
    assert not _listen_lines(app)


def test_a_file_written_just_before_the_run_is_read_again(tmp_path: Path) -> None:
    """git's racy rule: a file modified moments before it was read is not trusted by its stat,
    because a second edit within the same clock tick can leave size and mtime as they were."""
    import os
    import time

    app = _copy_app(tmp_path)
    events = app / "handlers" / "events.py"
    recent = time.time_ns()  # written just now (copytree kept the checkout's older mtime)
    os.utime(events, ns=(recent, recent))
    assert _listen_lines(app)
    _same_size_edit(events)
    os.utime(events, ns=(recent, recent))  # same size, same mtime as at the first run
    assert not _listen_lines(app)
