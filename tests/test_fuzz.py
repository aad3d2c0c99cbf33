"""Fuzzing: real SQL-bearing Python and .sql files, mutated (truncated, bytes flipped, deleted or
duplicated, tokens that lexers get wrong inserted), must never end in a traceback or a hang, every
output format must write what they give, and their findings must be the same cached, uncached,
in one process and in worker processes.

The default run is short and deterministic (a few seconds); the ``slow`` ones explore new inputs
on every run (``PINLINT_FUZZ_EXAMPLES`` and ``PINLINT_FUZZ_ROUNDS`` set how long). Seeds: the
fixtures, every rule's examples, and a few SQL-heavy modules of the standard library.
"""

from __future__ import annotations

import functools
import io
import json
import os
import random
import signal
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from conftest import CATALOG, FIXTURES, ROOT, console_script
from pinlint.cache import Cache
from pinlint.config import OUTPUT_FORMATS, Settings
from pinlint.engine import FileResult, Linter
from pinlint.report import ReportOptions, group_by_file, write_report

TIME_LIMIT_S = 5  # per input, in this process (the slowest seed takes 0.2 s)
RUN_TIMEOUT_S = 180  # per whole run of a batch
MAX_SEED_BYTES = 32 * 1024
STDLIB_SEEDS = ("test/test_sqlite3/test_transactions.py", "test/test_sqlite3/test_hooks.py", "sqlite3/dump.py")

# What lexers, string decoders and line splitters get wrong, and SQL that sends parsers down rare paths.
TOKENS = [
    *(b'"', b"'", b'"""', b"'''", b"\\", b"\\N{", b"\\N{LATIN SMALL", b"\\u", b"\\x4", b"\\ud800", b"\\\n"),
    *(b"f'", b'rb"', b"{", b"}", b"{{", b"}}", b"(", b")", b"[", b",", b";", b":", b"=", b"\t", b"        "),
    *(b"$$", b"$body$", b"/*", b"*/", b"/*!40101 ", b"--", b"-- noqa: PIN014", b"# noqa: PIN001", b"# pinlint: noqa"),
    *(b"\f", b"\v", b"\r", b"\r\n", b"\x1c", b"\xc2\x85", b"\xe2\x80\xa8", b"\x00", b"\xff", b"\xe9", b"\xef\xbb\xbf"),
    *(b"# -*- coding: latin-1 -*-\n", b"async ", b"await ", b"lambda: ", b"%s", b"%(x)s", b".format(x)", b" + "),
    *(b"SET ", b"SET LOCAL ", b"RESET ALL", b"LISTEN x", b"PREPARE p AS ", b"DECLARE c CURSOR WITH HOLD FOR "),
    *(b"CREATE TEMP TABLE t PARTITION OF ", b"DO $$ BEGIN ", b"\\set x ", b"COPY t FROM STDIN;\n", b"\\.\n"),
    *(b"DELIMITER //\n", b"@x := ", b"@@session.", b"E'\\'", b"U&'\\0041'", b"cur.execute(", b"text("),
]


def _stdlib_seeds() -> list[Path]:
    for base in (Path("/work/corpus/stdlib"), Path(sysconfig.get_paths()["stdlib"])):
        found = [base / name for name in STDLIB_SEEDS if (base / name).is_file()]
        if found:
            return found
    return []


def _seeds() -> list[tuple[str, bytes]]:
    """(suffix, content) of every seed, smallest first."""
    seeds: list[tuple[str, bytes]] = []
    files = [path for path in FIXTURES.rglob("*") if path.suffix in (".py", ".sql")]
    for path in sorted(files) + _stdlib_seeds():
        data = path.read_bytes()
        if len(data) <= MAX_SEED_BYTES:
            seeds.append((path.suffix, data))
    for rule in CATALOG:
        for example in (*rule.bad, *rule.good):
            seeds.append((".sql" if example.language == "sql" else ".py", example.source.encode("utf-8")))
    return sorted(set(seeds), key=lambda seed: (len(seed[1]), seed))


SEEDS = _seeds()
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "pinlint-hypothesis"))  # not .hypothesis/ in the repository


def mutate(data: bytes, operations: list[tuple[str, float, bytes]]) -> bytes:
    """Apply (kind, where in 0..1, bytes) operations: truncate, insert, flip, delete, duplicate."""
    for kind, where, payload in operations:
        at = int(where * len(data))
        span = max(len(payload), 1) * 7
        if kind == "truncate":
            data = data[:at]
        elif kind == "insert":
            data = data[:at] + payload + data[at:]
        elif kind == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ (payload[0] if payload else 0x20)]) + data[at + 1 :]
        elif kind == "delete":
            data = data[:at] + data[at + span :]
        elif kind == "duplicate":
            data = data[:at] + data[at : at + span] * 2 + data[at + span :]
    return data


_operation = st.tuples(
    st.sampled_from(["truncate", "insert", "insert", "insert", "flip", "delete", "duplicate"]),
    st.floats(0, 1),
    st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=6)),
)
cases = st.tuples(st.sampled_from(SEEDS), st.lists(_operation, min_size=1, max_size=5)).map(
    lambda case: (case[0][0], mutate(case[0][1], case[1]))
)


def random_case(rng: random.Random) -> tuple[str, bytes]:
    """The same kind of case as ``cases``, from a plain random generator (for the CLI batches)."""
    suffix, data = rng.choice(SEEDS)
    operations = []
    for _ in range(rng.randint(1, 5)):
        kind = rng.choice(["truncate", "insert", "insert", "insert", "flip", "delete", "duplicate"])
        payload = rng.choice(TOKENS) if rng.random() < 0.8 else rng.randbytes(rng.randint(1, 6))
        operations.append((kind, rng.random(), payload))
    return suffix, mutate(data, operations)


class Hang(BaseException):  # not an Exception: no `except Exception` in pinlint may swallow it
    """One input took longer than TIME_LIMIT_S."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang(f"linting one input took more than {TIME_LIMIT_S} s")


def _lint_within_limit(linter: Linter, data: bytes, path: str) -> FileResult:
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT_S)
    try:
        return linter.lint_source(data, path)
    except Hang as hang:  # a plain failure from here on, so that hypothesis shrinks and prints the input
        raise AssertionError(str(hang)) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# File names every output format must be able to write (the linter only reads them).
NAMES = ["fuzzed", "dir with space/f", "caf\u00e9", "q" + os.fsdecode(b"\xe9"), "a,b:c%25#x", "new\nline", "\x1b[31m"]


def _check_one(linter: Linter, case: tuple[str, bytes], cache_dir: Path) -> None:
    suffix, data = case
    path = f"{NAMES[len(data) % len(NAMES)]}{suffix}"
    result = _lint_within_limit(linter, data, path)  # an exception here is the failure
    again = linter.lint_source(data, path)
    assert again == result  # deterministic
    cache = Cache(cache_dir, cache_dir)
    cache.put("key", result)
    cache.save()
    assert Cache(cache_dir, cache_dir).get("key", path) == result  # what a warm run reads back
    for output_format in OUTPUT_FORMATS:
        out = io.StringIO()
        write_report(out, group_by_file(result.findings), output_format, ReportOptions(checked=[path]))
        out.getvalue().encode("utf-8")  # every format writes text that encodes


@functools.cache
def _linter() -> Linter:
    """Every rule, default settings; not a test argument, so hypothesis does not print it."""
    return Linter(CATALOG, Settings(root=ROOT))


def _in_process(examples: int, derandomize: bool):  # type: ignore[no-untyped-def]
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=derandomize,
        database=None,  # nothing written into the repository
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
        print_blob=True,
    )


@_in_process(examples=60, derandomize=True)
@given(case=cases)
def test_mutated_inputs_never_crash_or_hang(case: tuple[str, bytes], tmp_path: Path) -> None:
    _check_one(_linter(), case, tmp_path)


@pytest.mark.slow
@_in_process(examples=int(os.environ.get("PINLINT_FUZZ_EXAMPLES", "20000")), derandomize=False)
@given(case=cases)
def test_mutated_inputs_never_crash_or_hang_long(case: tuple[str, bytes], tmp_path: Path) -> None:
    _check_one(_linter(), case, tmp_path)


# Cached, uncached, one process and worker processes ---------------------------------------------


def _write_batch(directory: Path, rng: random.Random, count: int) -> None:
    for index in range(count):
        suffix, data = random_case(rng)
        (directory / f"f{index:03d}{suffix}").write_bytes(data)


def _runs(directory: Path, cache_dir: Path) -> Iterator[tuple[str, subprocess.CompletedProcess[str]]]:
    base = ["--select", "ALL", "--output-format", "json", "--exit-zero", "."]
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("PINLINT_DEBUG", None)
    variants = [
        ("uncached, worker processes", ["--no-cache"], {}),
        ("uncached, one process", ["--no-cache"], {"PINLINT_WORKERS": "1"}),
        ("cache written", ["--cache-dir", str(cache_dir)], {}),
        ("cache read", ["--cache-dir", str(cache_dir)], {}),
    ]
    for name, options, extra in variants:
        done = subprocess.run(
            [console_script(), "check", *options, *base],
            cwd=directory,
            capture_output=True,
            text=True,
            env={**env, **extra},
            timeout=RUN_TIMEOUT_S,
        )
        yield name, done


def _differential(tmp_path: Path, seed: int, count: int) -> None:
    batch = tmp_path / f"batch-{seed}"
    batch.mkdir()
    _write_batch(batch, random.Random(seed), count)
    outputs = {}
    try:
        runs = list(_runs(batch, tmp_path / f"cache-{seed}"))
    except subprocess.TimeoutExpired:
        pytest.fail(f"seed {seed}: a run did not finish; inputs that fail alone: {_culprits(batch)}")
    for name, done in runs:
        assert done.returncode == 0, (seed, name, done.stderr[-2000:])
        assert "internal error" not in done.stderr, (seed, name, done.stderr)
        strays = [line for line in done.stderr.splitlines() if not line.startswith("pinlint: ")]
        assert strays == [], (seed, name, strays)  # no traceback, no Python warning
        outputs[name] = (json.loads(done.stdout), sorted(done.stderr.splitlines()))
    first = outputs["uncached, worker processes"]
    for name, output in outputs.items():
        assert output == first, f"seed {seed}: {name} differs from the uncached run"


def _culprits(batch: Path) -> dict[str, str]:
    """The files of ``batch`` that hang or raise when linted alone, with what happened."""
    linter = _linter()
    found = {}
    for path in sorted(batch.iterdir()):
        try:
            _lint_within_limit(linter, path.read_bytes(), path.name)
        except Exception as error:
            found[str(path)] = f"{type(error).__name__}: {error}"
    return found


def test_cached_uncached_one_process_and_workers_agree(tmp_path: Path) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("worker processes need two CPUs")
    _differential(tmp_path, seed=18, count=70)  # 64 files or more: worker processes


@pytest.mark.slow
def test_cached_uncached_one_process_and_workers_agree_long(tmp_path: Path) -> None:
    rounds = int(os.environ.get("PINLINT_FUZZ_ROUNDS", "10"))
    start = random.SystemRandom().randrange(1 << 30)
    for seed in range(start, start + rounds):
        _differential(tmp_path, seed=seed, count=150)


if sys.platform == "win32":  # pragma: no cover - SIGALRM is POSIX
    pytestmark = pytest.mark.skip("the per-input time limit uses SIGALRM")
