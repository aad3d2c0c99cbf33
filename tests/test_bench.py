"""The benchmark script runs from a clone: its smoke mode lints the fixtures cold, warm and in
one process, and fails if the findings differ (the timings themselves are never asserted)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT


def test_benchmark_smoke_run_finds_the_same_cold_warm_and_serial() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},  # its pinlint runs leave no __pycache__ behind
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "findings identical cold / warm / one process: yes" in done.stdout
    assert "pinlint warm, one file changed" in done.stdout
