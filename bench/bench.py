"""Benchmark pinlint against ruff, bandit and semgrep on real code nobody here wrote.

Run from a clone, with pinlint installed:

    python bench/bench.py                      # both corpora, 3 runs each, results to bench/results.md
    python bench/bench.py --smoke              # a tiny run over fixtures/ (what CI may run)
    python bench/bench.py --profile            # where a cold run's time goes, stage by stage
    python bench/bench.py --against ../base/.venv/bin/python   # this checkout against another, runs alternated

Corpora: this interpreter's standard library (Lib/, site-packages left out), and a
site-packages of database code built once in a cache directory (a venv with SQLAlchemy,
Django, alembic, psycopg, asyncpg, PyMySQL). Tools: pinlint cold (no cache), warm (cache,
nothing changed), warm after touching one file, and a one-file run (the pre-commit case);
`ruff check --select S608 --no-cache`, `bandit -t B608` and semgrep with an equivalent rule
when they are installed (`pip install ruff bandit semgrep`, or --semgrep PATH). Each tool runs
as a whole process; the script prints medians and spreads, peak RSS, ratios, checks that
pinlint's findings are the same cold, warm and in one process, and times the standard library
copied twice (linearity, and a corpus of well over a million lines), a generated project of 500
modules (bench/project.py: cold, warm and the one-file pre-commit runs) and what reading the
infrastructure costs in a cold run (bench/infra_cost.py). Each run's CPU time (user + system,
workers included) is recorded beside its wall time: on a shared machine it is the steadier
figure. Figures from one machine are ratios, not absolutes: machines are noisy.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
DB_PACKAGES = ["sqlalchemy", "django", "alembic", "psycopg", "asyncpg", "pymysql"]
SEMGREP_RULE = """\
rules:
  - id: sql-session-state
    languages: [python]
    severity: WARNING
    message: SQL that leaves state on the session
    patterns:
      - pattern-either:
          - pattern: $CUR.execute("...", ...)
          - pattern: $CUR.executemany("...", ...)
          - pattern: text("...")
      - pattern-regex: (?i)["']\\s*(SET\\s+(SESSION\\s+)?[a-z_.]+\\s*(=|TO)|RESET|LISTEN|PREPARE|DISCARD|{more})
""".replace("{more}", "DECLARE|LOAD|CREATE\\s+TEMP")


@dataclass
class Timing:
    """Wall seconds of each run, and CPU seconds (user + system of the run and its worker
    processes: on a shared machine the steadier figure)."""

    label: str
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_times)

    def row(self) -> str:
        spread = f"{min(self.times):.2f}-{max(self.times):.2f}" if len(self.times) > 1 else "1 run"
        return f"| {self.label} | {self.median:.2f} s | {spread} | {self.cpu:.2f} s |"


TABLE_HEAD = ["| Run | Median | Spread | CPU (median) |", "|---|---|---|---|"]


def _executable(name: str) -> str | None:
    """``name`` installed beside this interpreter (the venv being measured), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def _run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds and stdout of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def _timed(label: str, command: list[str], runs: int, env: dict[str, str] | None = None, before=None) -> Timing:
    timing = Timing(label)
    for _ in range(runs):
        if before is not None:
            before()
        wall, cpu, _ = _run(command, env)
        timing.times.append(wall)
        timing.cpu_times.append(cpu)
    print(
        f"  {label:<52} median {timing.median:6.2f} s  (min {min(timing.times):.2f}, max {max(timing.times):.2f})"
        f"  cpu {timing.cpu:.2f} s"
    )
    return timing


def _peak_rss_mib(command: list[str]) -> float:
    """Peak RSS of ``command`` (the largest of its processes), in MiB, measured by GNU time when
    it is there, else by this process's children usage (a maximum over all children so far)."""
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if gnu_time:
        with tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
            subprocess.run([gnu_time, "-f", "%M", "-o", report.name, *command], capture_output=True, check=False)
            text = Path(report.name).read_text().strip().splitlines()
            if text and text[-1].isdigit():
                return int(text[-1]) / 1024
    subprocess.run(command, capture_output=True, check=False)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _python_lines(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*.py") if p.is_file()]
    return len(files), sum(p.read_bytes().count(b"\n") for p in files)


def _stdlib_copy(work: Path) -> Path:
    """The standard library without site-packages, copied (so runs never write near the interpreter)."""
    source = Path(sysconfig.get_paths()["stdlib"])
    target = work / "stdlib"
    if not target.exists():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc"))
    return target


def _site_packages(work: Path, cache: Path) -> Path | None:
    """A site-packages of database libraries, installed once into ``cache``; None without pip/network."""
    venv = cache / "db-venv"
    python = venv / "bin" / "python"
    marker = venv / "installed.txt"
    if not marker.exists():
        print(f"building the site-packages corpus in {venv} (pip install {' '.join(DB_PACKAGES)}) ...")
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *DB_PACKAGES],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print("  could not install the database packages; the site-packages corpus is skipped")
            print("  " + (done.stderr.strip().splitlines() or ["(no output)"])[-1])
            return None
        marker.write_text(" ".join(DB_PACKAGES))
    found = sorted(venv.glob("lib/python*/site-packages"))
    if not found:
        return None
    target = work / "site-packages-db"
    if not target.exists():
        shutil.copytree(found[0], target, ignore=shutil.ignore_patterns("pip", "pip-*", "__pycache__", "*.pyc"))
    return target


@dataclass
class CorpusResult:
    name: str
    files: int
    lines: int
    rows: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ratios: list[str] = field(default_factory=list)
    identical: bool = False


def _bench_corpus(name: str, target: Path, options: argparse.Namespace, work: Path) -> CorpusResult:
    files, lines = _python_lines(target)
    print(f"\n{name}: {target} ({files:,} .py files, {lines:,} lines)")
    result = CorpusResult(name, files, lines)
    pinlint = _executable("pinlint") or "pinlint"
    base = [pinlint, "check", "--exit-zero", "--output-format", "concise", "--quiet"]
    cache = work / f"cache-{name}"
    runs = options.runs

    cold = _timed("pinlint cold (--no-cache)", [*base, "--no-cache", str(target)], runs)
    _run([*base, "--cache-dir", str(cache), str(target)])  # fill the cache
    warm = _timed("pinlint warm (cache, nothing changed)", [*base, "--cache-dir", str(cache), str(target)], runs)
    touched = max((p for p in target.rglob("*.py") if p.is_file()), key=lambda p: p.stat().st_size)

    def touch() -> None:
        with touched.open("a", encoding="utf-8") as handle:
            handle.write("\n# touched by the benchmark\n")

    warm_touched = _timed(
        "pinlint warm, one file changed", [*base, "--cache-dir", str(cache), str(target)], runs, before=touch
    )
    timings = [cold, warm, warm_touched]
    rss = _peak_rss_mib([*base, "--no-cache", str(target)])
    result.notes.append(f"pinlint peak RSS (largest process): {rss:.0f} MiB")

    cold_out = _run([*base, "--no-cache", str(target)])[2]
    warm_out = _run([*base, "--cache-dir", str(cache), str(target)])[2]
    serial_out = _run([*base, "--no-cache", str(target)], {**os.environ, "PINLINT_WORKERS": "1"})[2]
    same = cold_out == warm_out == serial_out
    result.identical = same
    findings = cold_out.count("\n")
    result.notes.append(
        f"findings identical cold / warm / one process: {'yes' if same else 'NO'} ({findings} findings)"
    )
    if not same:
        print("  WARNING: findings differ between cold, warm and one-process runs")

    ruff = _executable("ruff")
    if ruff:
        s608 = _timed(
            "ruff check --select S608 --no-cache",
            [ruff, "check", "--no-cache", "--exit-zero", "--select", "S608", str(target)],
            runs,
        )
        timings.append(s608)
        result.ratios.append(f"pinlint cold / ruff S608: {cold.median / s608.median:.1f}x (target <= 5x)")
        result.ratios.append(f"pinlint warm / ruff S608: {warm.median / s608.median:.2f}x (target <= 1x)")
        result.ratios.append(f"pinlint warm, one file changed / ruff S608: {warm_touched.median / s608.median:.2f}x")
        ruff_rss = _peak_rss_mib([ruff, "check", "--no-cache", "--exit-zero", "--select", "S608", str(target)])
        result.notes.append(f"ruff peak RSS: {ruff_rss:.0f} MiB")
    else:
        print("  ruff: not installed (pip install ruff)")
    semgrep = options.semgrep or _executable("semgrep")
    if semgrep and not options.no_semgrep:
        rule = work / "semgrep-rule.yml"
        rule.write_text(SEMGREP_RULE)
        jobs = str(os.cpu_count() or 1)
        command = [semgrep, "scan", "--config", str(rule), "--metrics", "off", "--quiet", "--jobs", jobs, str(target)]
        sem = _timed("semgrep (one equivalent rule)", command, 1)
        timings.append(sem)
        result.ratios.append(f"semgrep / pinlint cold: {sem.median / cold.median:.1f}x (target > 1x)")
    else:
        print("  semgrep: not installed (pip install semgrep, or --semgrep PATH)")
    bandit = _executable("bandit")
    if bandit and not options.no_bandit:
        b608 = _timed("bandit -t B608 (1 run)", [bandit, "-q", "-r", "-t", "B608", str(target)], 1)
        timings.append(b608)
        result.ratios.append(f"bandit B608 / pinlint cold: {b608.median / cold.median:.1f}x (target >= 10x)")
    else:
        print("  bandit: not installed, or --no-bandit (pip install bandit)")
    result.rows = [timing.row() for timing in timings]
    for line in result.ratios + result.notes:
        print(f"  {line}")
    return result


def _one_file(work: Path, runs: int) -> Timing:
    pinlint = _executable("pinlint") or "pinlint"
    sample = ROOT / "fixtures" / "serverless-app" / "handlers" / "reports.py"
    return _timed(
        "pinlint one file (pre-commit case)", [pinlint, "check", "--no-cache", "--exit-zero", str(sample)], runs
    )


def _linearity(stdlib: Path, work: Path, runs: int) -> tuple[Timing, Timing, int]:
    """The standard library once and twice (two copies side by side)."""
    pinlint = _executable("pinlint") or "pinlint"
    double = work / "stdlib-x2"
    if not double.exists():
        double.mkdir()
        for copy in ("a", "b"):
            shutil.copytree(stdlib, double / copy)
    base = [pinlint, "check", "--exit-zero", "--output-format", "concise", "--quiet", "--no-cache"]
    once = _timed("pinlint cold, stdlib x1", [*base, str(stdlib)], runs)
    twice = _timed("pinlint cold, stdlib x2", [*base, str(double)], runs)
    return once, twice, _python_lines(double)[1]


GENERATED_SIZES = (10_000, 100_000)


def _generated_scale(work: Path, runs: int) -> list[tuple[int, Timing]]:
    """A generated seed script of N module-level sink calls (half of them through a name), for
    N = 10k and 100k: every stage must be linear in the file (issue 20 measured 16k calls at 22 s)."""
    pinlint = _executable("pinlint") or "pinlint"
    found = []
    for size in GENERATED_SIZES:
        path = work / f"seed_{size}.py"
        body = "cur.execute('INSERT INTO t VALUES (1, 2)')\ncur.execute(SQL)\n" * (size // 2)
        path.write_text("import psycopg2\nSQL = 'SET a = 1'\n" + body, encoding="utf-8")
        command = [pinlint, "check", "--no-cache", "--exit-zero", "--quiet", "--output-format", "concise", str(path)]
        found.append((size, _timed(f"pinlint cold, generated module of {size:,} calls", command, runs)))
    return found


def _generated_line(generated: list[tuple[int, Timing]]) -> str:
    (small, small_time), (large, large_time) = generated
    factor = large // small
    return (
        f"* generated module, {small:,} module-level sink calls: {small_time.median:.2f} s; {large:,}:"
        f" {large_time.median:.2f} s; growth {large_time.median / small_time.median:.1f}x for {factor}x the calls"
        f" (linear: at most {factor}x)"
    )


PROJECT_MODULES = 500
ONE_FILE_WARM_TARGET = 0.5  # seconds (issue 15)


def _sibling(name: str) -> ModuleType:
    """bench/<name>.py, loaded as a module (the benchmark is run as a script, not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _project_section(runs: int) -> list[str]:
    """The generated project of about 500 modules (bench/project.py): cold, warm and the one-file
    pre-commit runs, whose warm time has a target."""
    print(f"\ngenerated project of {PROJECT_MODULES} modules (bench/project.py)")
    rows, identical = _sibling("project").measure(PROJECT_MODULES, runs)
    lines = [f"## Generated project ({PROJECT_MODULES} modules, bench/project.py)", ""]
    lines += ["| Run | Median | CPU (median) | Findings |", "|---|---|---|---|"]
    lines += [f"| {row.label} | {row.wall:.2f} s | {row.cpu:.2f} s | {row.findings} |" for row in rows]
    one_file = [row for row in rows if row.label.startswith("one file, warm")]
    slowest = max(one_file, key=lambda row: row.wall)
    lines += [
        "",
        f"* slowest one-file warm run: {slowest.wall:.2f} s ({slowest.label}; target < {ONE_FILE_WARM_TARGET} s)",
        f"* findings identical cold / warm / one process: {'yes' if identical else 'NO'}",
        "",
    ]
    return lines


def _infra_section(corpus: Path, runs: int) -> list[str]:
    """What reading the infrastructure costs in a cold run of about 500 modules (bench/infra_cost.py)."""
    print(f"\ninfrastructure cost, {PROJECT_MODULES} modules from {corpus.name} (bench/infra_cost.py)")
    measure = _sibling("infra_cost").measure
    lines = [f"## Reading the infrastructure ({PROJECT_MODULES} modules of {corpus.name}, bench/infra_cost.py)", ""]
    for databases in (True, False):
        found = measure(corpus, PROJECT_MODULES, databases, runs)
        lines += [f"* {found[0]}", *(f"  * {line.strip()}" for line in found[1:])]
    return [*lines, "* target: under 10% of the cold run", ""]


# Where a cold run spends its time: (stage, the function whose cumulative time it is). Stages
# nest; "share" is of the whole process.
PROFILE_STAGES = [
    ("whole process", "pinlint/__main__.py", "<module>"),
    ("discovery", "pinlint/discover.py", "discover"),
    ("handler declarations", "pinlint/declarations.py", "find_declarations"),
    ("prefilter (text search, every file)", "pinlint/extract/sinks.py", "worth_parsing"),
    ("the model: one parse (files past the prefilter)", "pinlint/pymodel.py", "parse_python"),
    ("SQL fragments and connect calls from the model", "pinlint/extract/python.py", "extract_python"),
    ("driver and handler rules (module facts)", "pinlint/engine.py", "_module_findings"),
    ("dialect evidence", "pinlint/dialect.py", "python_evidence"),
    ("SQL: split, classify, match", "pinlint/engine.py", "_lint_fragments"),
    ("noqa comments (tokenize)", "pinlint/suppress.py", "python_suppressions"),
    ("module summaries for the project index", "pinlint/index/summary.py", "summarise"),
    ("project facts (settings, dependency files)", "pinlint/projectfacts.py", "for_file"),
    ("fixes attached to findings", "pinlint/fix/attach.py", "with_fixes"),
    ("--target auto: the functions' poolers", "pinlint/infra/targets.py", "find_targets"),
    ("infrastructure rules", "pinlint/engine.py", "lint_infrastructure"),
]


def _profile(name: str, target: Path, work: Path) -> list[str]:
    """One cold run of pinlint in one process under cProfile; the stages' cumulative times."""
    import pstats

    output = work / f"profile-{name}.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(output), "-m", "pinlint", "check", "--no-cache"]
    command += ["--exit-zero", "--quiet", "--output-format", "concise", str(target)]
    subprocess.run(command, capture_output=True, env={**os.environ, "PINLINT_WORKERS": "1"}, check=False)
    stats = pstats.Stats(str(output)).stats  # type: ignore[attr-defined]
    cumulative: dict[tuple[str, str], float] = {}
    for (filename, _, function), (_, _, _, cumtime, _) in stats.items():
        for _, suffix, wanted in PROFILE_STAGES:
            if function == wanted and filename.endswith(suffix):
                cumulative[(suffix, wanted)] = cumulative.get((suffix, wanted), 0.0) + cumtime
    total = cumulative.get(("pinlint/__main__.py", "<module>"), 0.0) or 1.0
    rows = ["| Stage | Seconds (profiled) | Share |", "|---|---|---|"]
    for label, suffix, wanted in PROFILE_STAGES:
        seconds = cumulative.get((suffix, wanted), 0.0)
        rows.append(f"| {label} | {seconds:.2f} | {100 * seconds / total:.0f}% |")
    return rows


def _byte_compile_pinlint() -> str:
    """Write pinlint's .pyc files, as pip does when it installs a wheel. An editable install under
    PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module on every run (about 0.1 s of
    start-up that no installed copy pays)."""
    located = subprocess.run(
        [sys.executable, "-c", "import os, pinlint; print(os.path.dirname(pinlint.__file__))"],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),  # not the checkout: the interpreter's own pinlint, when it measures another one
    )
    package = located.stdout.strip()
    if located.returncode != 0 or not package:
        return "pinlint is not importable by this interpreter: its modules were not byte-compiled"
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], capture_output=True)
    return f"pinlint's modules byte-compiled first, as a wheel install does ({package})"


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--smoke", action="store_true", help="a tiny run over fixtures/, no yardsticks")
    parser.add_argument(
        "--profile", action="store_true", help="profile one cold run per corpus, by stage (to bench/profile.md)"
    )
    parser.add_argument("--no-bandit", action="store_true", help="skip bandit (it takes minutes)")
    parser.add_argument("--no-semgrep", action="store_true")
    parser.add_argument("--no-site-packages", action="store_true", help="skip the site-packages corpus")
    parser.add_argument("--no-project", action="store_true", help="skip the generated 500-module project")
    parser.add_argument("--no-infra", action="store_true", help="skip the infrastructure cost (bench/infra_cost.py)")
    parser.add_argument("--semgrep", default=None, help="path of a semgrep executable")
    parser.add_argument(
        "--against",
        metavar="PYTHON",
        default=None,
        help="compare with the pinlint installed for PYTHON (another checkout's venv), runs interleaved"
        " (to bench/against.md)",
    )
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "pinlint-bench"))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.md"), help="where the results go")
    options = parser.parse_args()

    # A smoke run (the test suite's) times nothing and must not write .pyc files into the checkout.
    compiled = "pinlint's modules not byte-compiled (smoke run)" if options.smoke else _byte_compile_pinlint()
    print(compiled)
    with tempfile.TemporaryDirectory(prefix="pinlint-bench-") as scratch:
        work = Path(scratch)
        if options.smoke:
            options.runs, options.no_bandit, options.no_semgrep = 1, True, True
            corpus = work / "fixtures"
            shutil.copytree(ROOT / "fixtures", corpus)
            result = _bench_corpus("fixtures", corpus, options, work)
            print("\nsmoke run done" if result.identical else "\nsmoke run: findings differ")
            return 0 if result.identical else 1
        cache = Path(options.cache)
        cache.mkdir(parents=True, exist_ok=True)
        stdlib = _stdlib_copy(work)
        if options.against:
            site = None if options.no_site_packages else _site_packages(work, cache)
            return _write_comparison(options, stdlib, site, work)
        if options.profile:
            return _write_profile(
                options, stdlib, None if options.no_site_packages else _site_packages(work, cache), work
            )
        results = [_bench_corpus("stdlib", stdlib, options, work)]
        site = None if options.no_site_packages else _site_packages(work, cache)
        if site is not None:
            results.append(_bench_corpus("site-packages", site, options, work))
        print()
        single = _one_file(work, max(options.runs, 5))
        once, twice, double_lines = _linearity(stdlib, work, options.runs)
        growth = twice.median / once.median
        generated = _generated_scale(work, options.runs)
        extra = [] if options.no_project else _project_section(max(options.runs, 5))
        if not options.no_infra:
            extra += _infra_section(site or stdlib, max(options.runs, 5))

    lines = [
        "# Benchmark results",
        "",
        f"Machine: {_machine()}. Taken {time.strftime('%Y-%m-%d')} with `python bench/bench.py"
        + (f" --runs {options.runs}" if options.runs != 3 else "")
        + "`; medians of the runs, whole processes, one run of everything on one machine (read the ratios).",
        f"{compiled[0].upper()}{compiled[1:]}.",
        "",
    ]
    for result in results:
        lines += [f"## {result.name} ({result.files:,} files, {result.lines:,} lines)", ""]
        lines += [*TABLE_HEAD, *result.rows, ""]
        lines += [f"* {line}" for line in result.ratios + result.notes] + [""]
    lines += [
        "## Startup and scale",
        "",
        f"* one-file run (pre-commit): {single.median:.2f} s median (target < 0.4 s)",
        f"* standard library x1: {once.median:.2f} s; x2 ({double_lines:,} lines): {twice.median:.2f} s;"
        f" growth {growth:.2f}x for twice the files (target <= 2.2x)",
        _generated_line(generated),
        "",
        *extra,
    ]
    Path(options.output).write_text("\n".join(lines), encoding="utf-8")
    print(f"\nresults written to {options.output}")
    return 0


def _checkout(python: str) -> tuple[str, str]:
    """The pinlint package directory of ``python`` and the commit of its checkout ('?' outside git)."""
    located = subprocess.run(
        [python, "-c", "import os, pinlint; print(os.path.dirname(pinlint.__file__))"],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    package = located.stdout.strip()
    commit = subprocess.run(
        ["git", "-C", package or ".", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return package, commit.stdout.strip() or "?"


def _write_comparison(options: argparse.Namespace, stdlib: Path, site: Path | None, work: Path) -> int:
    """The same pinlint runs for this interpreter's pinlint and for ``--against``'s, alternating
    run by run (a shared machine's load then weighs on both alike); medians and ratios of wall
    and CPU time."""
    other_python = options.against
    subprocess.run([other_python, "-m", "compileall", "-q", _checkout(other_python)[0]], capture_output=True)
    tools = {
        "this": (_executable("pinlint") or "pinlint", _checkout(sys.executable)[1]),
        "other": (str(Path(other_python).parent / "pinlint"), _checkout(other_python)[1]),
    }
    sample = ROOT / "fixtures" / "serverless-app" / "handlers" / "reports.py"
    cases: list[tuple[str, list[str]]] = []
    for name, target in (("stdlib", stdlib), ("site-packages", site)):
        if target is not None:
            cases.append((f"{name} cold", ["--no-cache", str(target)]))
            cases.append((f"{name} warm", ["--cache-dir", str(work / f"cache-{name}-{{tool}}"), str(target)]))
    cases.append(("one file (pre-commit case)", ["--no-cache", str(sample)]))
    this_commit, other_commit = tools["this"][1], tools["other"][1]
    lines = [
        f"# {this_commit} against {other_commit}",
        "",
        f"Machine: {_machine()}. Taken {time.strftime('%Y-%m-%d %H:%M')} with `python bench/bench.py --against"
        f" PYTHON --runs {options.runs}`: the runs of the two checkouts alternate, so the machine's load weighs on"
        " both alike; medians, whole processes; CPU is user + system time including the worker processes.",
        "",
        f"| Run | {this_commit} | {other_commit} | ratio | {this_commit} CPU | {other_commit} CPU | CPU ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, arguments in cases:
        timings = {key: Timing(key) for key in tools}
        for key, (pinlint, _) in tools.items():  # fill the caches of the warm runs
            command = [pinlint, "check", "--exit-zero", "-q", "--output-format", "concise"]
            _run([*command, *(argument.replace("{tool}", key) for argument in arguments)])
        for _ in range(options.runs):
            for key, (pinlint, _) in tools.items():
                command = [pinlint, "check", "--exit-zero", "-q", "--output-format", "concise"]
                wall, cpu, _ = _run([*command, *(argument.replace("{tool}", key) for argument in arguments)])
                timings[key].times.append(wall)
                timings[key].cpu_times.append(cpu)
        mine, theirs = timings["this"], timings["other"]
        row = (
            f"| {label} | {mine.median:.2f} s | {theirs.median:.2f} s | {mine.median / theirs.median:.2f}x"
            f" | {mine.cpu:.2f} s | {theirs.cpu:.2f} s | {mine.cpu / theirs.cpu:.2f}x |"
        )
        print(row)
        lines.append(row)
    output = Path(options.output).with_name("against.md")
    output.write_text("\n".join([*lines, ""]), encoding="utf-8")
    print(f"\ncomparison written to {output}")
    return 0


def _write_profile(options: argparse.Namespace, stdlib: Path, site: Path | None, work: Path) -> int:
    lines = [
        "# Where a cold run's time goes",
        "",
        f"Machine: {_machine()}. Taken {time.strftime('%Y-%m-%d')} with `python bench/bench.py --profile`: one cold run"
        " per corpus in one process (PINLINT_WORKERS=1) under cProfile, which slows Python code more than C code"
        " (ast.parse is C); the stages are cumulative and nest, so read the shares, not a sum.",
        "",
    ]
    for name, target in (("stdlib", stdlib), ("site-packages", site)):
        if target is None:
            continue
        files, source_lines = _python_lines(target)
        print(f"profiling {name} ({files:,} files) ...")
        lines += [f"## {name} ({files:,} files, {source_lines:,} lines)", "", *_profile(name, target, work), ""]
    output = Path(options.output).with_name("profile.md") if options.output else ROOT / "bench" / "profile.md"
    output.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"\nprofile written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
