"""Benchmark: pinlint over Python's own standard library, with ruff as the yardstick.

Run: python benchmarks/bench.py [PATH]   (default: this interpreter's stdlib)
Needs pinlint installed; ruff is used when it is on PATH (pip install ruff).
Figures are from one run on a noisy machine: read them as ratios, not absolutes.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path


def _run(command: list[str]) -> tuple[float, float]:
    """Wall seconds and the children's peak RSS in MiB (max over all children so far)."""
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return elapsed, peak


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else sysconfig.get_paths()["stdlib"])
    files = [p for p in target.rglob("*.py") if "site-packages" not in p.parts]
    lines = 0
    for path in files:
        try:
            lines += path.read_bytes().count(b"\n")
        except OSError:
            pass
    print(f"target: {target} ({len(files)} .py files, {lines:,} lines), {os.cpu_count()} CPUs")
    pinlint = shutil.which("pinlint") or str(Path(sys.executable).parent / "pinlint")
    seconds, peak = _run([pinlint, "check", "--exit-zero", "--output-format", "concise", str(target)])
    print(f"pinlint: {seconds:.2f} s, {lines / seconds:,.0f} lines/s, peak RSS of a process {peak:.0f} MiB")
    ruff = shutil.which("ruff")
    if ruff is None:
        print("ruff: not installed (pip install ruff) - no yardstick")
        return
    ruff_seconds, _ = _run([ruff, "check", "--no-cache", "--exit-zero", "--select", "E,F", str(target)])
    print(f"ruff check --select E,F: {ruff_seconds:.2f} s")
    print(f"ratio pinlint / ruff: {seconds / ruff_seconds:.1f}x")


if __name__ == "__main__":
    main()
