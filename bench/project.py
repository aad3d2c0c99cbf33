"""A generated serverless project of about 500 modules, for the project pass (pinlint.index).

    python bench/project.py                 # 500 modules: cold, warm, and one-file runs, medians of 5
    python bench/project.py --modules 100   # a smaller one
    python bench/project.py --write DIR     # only write the project to DIR

The project has handlers (a fifth of the modules) that call services, which call repositories,
which open connections through a shared db package: a third of the handlers reach a connection
opened on every call (through three modules and a subclass's constructor), the others a cached
one (a lazy-init guard in a helper). The one-file runs are what pre-commit does after an edit: the handler file
named alone, with the cache warm, after editing that handler, and after editing the db module
every handler reaches (then the handler named is linted again; the other summaries come from
the cache).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

DB = '''"""Connections: one per call, or one per execution environment."""

import os

import psycopg2

_conn = None


def connect():
    return psycopg2.connect(os.environ.get("DATABASE_URL", ""))


def cached():
    global _conn
    if _conn is None or _conn.closed:
        _conn = connect()
    return _conn
'''

REPOSITORY = """from app.db import cached, connect


class Repository{i}:
    def __init__(self):
        self.conn = cached()

    def rows(self):
        with self.conn.cursor() as cur:
            cur.execute("SELECT id FROM table_{i}")
            return cur.fetchall()


class FreshRepository{i}(Repository{i}):
    def __init__(self):
        self.conn = connect()

"""

SERVICE = """from app.repositories.r{r} import {kind}Repository{r}


def run_{i}(event):
    return {kind}Repository{r}().rows()


def unused_{i}():
    return None
"""

HANDLER = """from app.services.s{s} import run_{s}


def lambda_handler(event, context):
    return {{"rows": run_{s}(event)}}
"""


def write_project(root: Path, modules: int) -> list[Path]:
    """Write the project; return its handler files."""
    handlers = max(modules // 5, 1)
    services = max(modules * 2 // 5, 1)
    repositories = max(modules - handlers - services - 1, 1)
    for package in ("app", "app/handlers", "app/services", "app/repositories"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("", encoding="utf-8")
    (root / "pyproject.toml").write_text("[project]\nname = 'generated'\nversion = '0'\n", encoding="utf-8")
    (root / "app" / "db.py").write_text(DB, encoding="utf-8")
    for i in range(repositories):
        (root / "app" / "repositories" / f"r{i}.py").write_text(REPOSITORY.format(i=i), encoding="utf-8")
    for i in range(services):
        text = SERVICE.format(i=i, r=i % repositories, kind="Fresh" if i % 3 == 0 else "")
        (root / "app" / "services" / f"s{i}.py").write_text(text, encoding="utf-8")
    files = []
    for i in range(handlers):
        path = root / "app" / "handlers" / f"h{i}.py"
        path.write_text(HANDLER.format(s=i % services), encoding="utf-8")
        files.append(path)
    return files


class ProjectRun(NamedTuple):
    """One kind of run over the project: median wall and CPU seconds (the run and its worker
    processes; on a shared machine the CPU time is the steadier figure), and its findings. (A
    NamedTuple: the test suite loads this file without registering it as a module.)"""

    label: str
    wall: float
    cpu: float
    findings: int


def _pinlint(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds and stdout of one pinlint run in ``root``."""
    command = [sys.executable, "-m", "pinlint", "check", "-q", "--exit-zero", "--output-format", "concise", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def _age(root: Path) -> None:
    """Files an hour old, as in a checkout (a file written moments ago is read again, git's racy rule)."""
    for path in root.rglob("*.py"):
        old = path.stat().st_mtime_ns - 3600 * 10**9
        os.utime(path, ns=(old, old))


def _edit(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    old = path.stat().st_mtime_ns - 60 * 10**9  # edited a minute ago: past the racy window
    os.utime(path, ns=(old, old))


def measure(modules: int, runs: int) -> tuple[list[ProjectRun], bool]:
    """Each kind of run over a fresh project, and whether the findings of a cold, a warm and a
    one-process cold run are identical."""
    rows: list[ProjectRun] = []
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        handlers = write_project(root, modules)
        _age(root)
        one = handlers[0].relative_to(root).as_posix()

        def timed(label: str, *args: str, before: Callable[[], None] | None = None) -> None:
            walls, cpus, out = [], [], ""
            for _ in range(runs):
                if before is not None:
                    before()
                wall, cpu, out = _pinlint(root, *args)
                walls.append(wall)
                cpus.append(cpu)
            row = ProjectRun(label, statistics.median(walls), statistics.median(cpus), len(out.splitlines()))
            rows.append(row)
            print(f"  {label:<58} {row.wall:6.2f} s  cpu {row.cpu:5.2f} s  {row.findings} findings")

        timed(f"cold, {modules} modules (--no-cache)", "--no-cache", ".")
        _pinlint(root, ".")  # fill the cache
        timed("warm, nothing changed", ".")
        timed("one file, warm, nothing changed", one)
        timed("one file, warm, after editing it", one, before=lambda: _edit(handlers[0]))
        db = root / "app" / "db.py"
        timed("one file, warm, after editing the db module it reaches", one, before=lambda: _edit(db))
        cold_out = _pinlint(root, "--no-cache", ".")[2]
        warm_out = _pinlint(root, ".")[2]
        serial_out = _pinlint(root, "--no-cache", ".", env={**os.environ, "PINLINT_WORKERS": "1"})[2]
    identical = cold_out == warm_out == serial_out
    print(f"  findings identical cold / warm / one process: {'yes' if identical else 'NO'}")
    return rows, identical


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", default=None, help="only write the project into this directory")
    options = parser.parse_args()
    if options.write:
        files = write_project(Path(options.write), options.modules)
        print(f"wrote {options.modules} modules ({len(files)} handlers) to {options.write}")
        return 0
    measure(options.modules, options.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
