"""Benchmark: pinlint over Python's own standard library, with ruff and bandit as yardsticks.

Run: python benchmarks/bench.py [PATH] [--runs N]   (default: this interpreter's stdlib, 3 runs)

Needs pinlint installed; ruff and bandit are used when they are on PATH
(`pip install ruff bandit`). Each tool runs as a whole process, N times; the script prints the
median and spread, the peak RSS of one process, the ratios to ruff's SQL-string check (S608)
and to bandit's (B608), pinlint's warm (cached) runs, a one-file run, and checks that the
findings are identical cold, warm and with a single process. Figures from one machine are
ratios, not absolutes: the machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path


def _run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    return time.perf_counter() - start, done.stdout


def _timed(label: str, command: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    times = [_run(command, env)[0] for _ in range(runs)]
    median = statistics.median(times)
    print(f"{label:<44} median {median:6.2f} s   min {min(times):6.2f}   max {max(times):6.2f}")
    return median


def _peak_rss_mib(command: list[str]) -> float:
    """Peak RSS of the largest process of ``command`` (children included), in MiB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(command, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(after, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    target = Path(options.path)
    files = [p for p in target.rglob("*.py") if "site-packages" not in p.parts]
    lines = sum(p.read_bytes().count(b"\n") for p in files if p.is_file())
    print(f"target: {target} ({len(files)} .py files, {lines:,} lines), {os.cpu_count()} CPUs, {options.runs} runs")

    pinlint = shutil.which("pinlint") or str(Path(sys.executable).parent / "pinlint")
    cache = tempfile.mkdtemp(prefix="pinlint-bench-")
    base = [pinlint, "check", "--exit-zero", "--output-format", "concise", "--quiet"]
    cold = _timed("pinlint cold (--no-cache)", [*base, "--no-cache", str(target)], options.runs)
    _run([*base, "--cache-dir", cache, str(target)])  # fill the cache
    warm = _timed("pinlint warm (cache, nothing changed)", [*base, "--cache-dir", cache, str(target)], options.runs)
    one = next(p for p in files if p.name == "dump.py" and p.parent.name == "sqlite3")
    single = _timed("pinlint one file (the pre-commit case)", [*base, "--no-cache", str(one)], options.runs)
    rss = _peak_rss_mib([*base, "--no-cache", str(target)])
    print(f"pinlint peak RSS of one process: {rss:.0f} MiB")

    cold_out = _run([*base, "--no-cache", str(target)])[1]
    warm_out = _run([*base, "--cache-dir", cache, str(target)])[1]
    serial_env = {**os.environ, "PINLINT_WORKERS": "1"}
    serial_out = _run([*base, "--no-cache", str(target)], serial_env)[1]
    same = cold_out == warm_out == serial_out
    print(f"findings identical cold / warm / one process: {'yes' if same else 'NO'} ({cold_out.count(chr(10))} lines)")
    shutil.rmtree(cache, ignore_errors=True)

    ruff = shutil.which("ruff")
    if ruff:
        s608 = _timed(
            "ruff check --select S608 --no-cache",
            [ruff, "check", "--no-cache", "--exit-zero", "--select", "S608", str(target)],
            options.runs,
        )
        print(f"ratio pinlint cold / ruff S608: {cold / s608:.1f}x;  pinlint warm / ruff S608: {warm / s608:.2f}x")
    else:
        print("ruff: not installed (pip install ruff)")
    bandit = shutil.which("bandit")
    if bandit:
        b608 = _timed("bandit -t B608", [bandit, "-q", "-r", "-t", "B608", str(target)], 1)
        print(f"ratio bandit B608 / pinlint cold: {b608 / cold:.1f}x")
    else:
        print("bandit: not installed (pip install bandit)")
    print(f"one-file run: {single:.2f} s")


if __name__ == "__main__":
    main()
