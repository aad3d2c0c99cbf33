"""What reading the infrastructure costs in a cold run: a generated project of about 500 modules
(real database-library modules copied from a corpus) with a SAM template, a serverless.yml, a JSON
template and a Terraform module, linted with and without the infrastructure rules.

usage: python bench/infra_cost.py CORPUS_DIR [MODULES]   (CORPUS_DIR: a tree of .py files)
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PINLINT = [sys.executable, "-m", "pinlint"]


PLAIN_TERRAFORM = """\
resource "aws_s3_bucket" "assets" {
  bucket = "assets-${var.stage}"
}

resource "aws_lambda_function" "api" {
  function_name = "api-${var.stage}"
  handler       = "app.handler"
  runtime       = "python3.12"
  timeout       = 30
  environment {
    variables = { BUCKET = aws_s3_bucket.assets.id }
  }
}

variable "stage" {
  default = "dev"
}
"""


def build(project: Path, corpus: Path, modules: int, databases: bool) -> None:
    """``databases``: the stacks declare Aurora clusters and RDS Proxies (every parser runs);
    otherwise the Terraform module and the template declare none (the common case)."""
    sources = sorted(corpus.rglob("*.py"))[:modules]
    for index, source in enumerate(sources):
        target = project / "app" / f"pkg{index // 50}" / f"m{index}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    if databases:
        shutil.copytree(FIXTURES / "sam-infra-app", project / "sam", ignore=shutil.ignore_patterns("expected-*"))
        shutil.copytree(FIXTURES / "serverless-infra-app", project / "sls", ignore=shutil.ignore_patterns("expected-*"))
        shutil.copytree(FIXTURES / "terraform-infra-app" / "terraform", project / "terraform")
    else:
        shutil.copytree(FIXTURES / "sam-app", project / "sam", ignore=shutil.ignore_patterns("expected-*"))
        for index in range(5):
            (project / "terraform").mkdir(exist_ok=True)
            (project / "terraform" / f"part{index}.tf").write_text(PLAIN_TERRAFORM.replace("assets", f"assets{index}"))


def timed(*args: str, cwd: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the run and its worker processes) of one run: on a
    shared machine the CPU time is the steadier figure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*PINLINT, *args], cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    corpus = Path(sys.argv[1])
    modules = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    for databases in (True, False):
        measure(corpus, modules, databases)


def measure(corpus: Path, modules: int, databases: bool, runs: int = 7) -> list[str]:
    """Print and return the figures: the cold run's wall and CPU time with and without the
    infrastructure rules, and the share of reading the infrastructure (in one process)."""
    lines = []
    with tempfile.TemporaryDirectory() as directory:
        project = Path(directory)
        build(project, corpus, modules, databases)
        with_infra = [timed("check", "--no-cache", "--exit-zero", "-q", ".", cwd=project) for _ in range(runs)]
        without = [
            timed("check", "--no-cache", "--exit-zero", "-q", "--ignore", "PIN3", ".", cwd=project) for _ in range(runs)
        ]
        probe = (
            "import time; from pathlib import Path; from pinlint.catalog import load_catalog;"
            "from pinlint.config import Settings; from pinlint.engine import Linter;"
            "from pinlint.discover import discover; settings = Settings(root=Path.cwd());"
            "from pinlint.infra.targets import find_targets;"
            "linter = Linter(load_catalog(), settings); walk = discover(['.'], settings); found = walk.infrastructure;"
            "wall, cpu = time.perf_counter(), time.process_time(); results = linter.lint_infrastructure(found);"
            "routes = find_targets(found, walk.files, settings);"
            "print(time.perf_counter() - wall, time.process_time() - cpu, len(results), len(routes.functions))"
        )
        inside = []
        for _ in range(runs):
            done = subprocess.run(
                [sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, check=True
            )
            inside.append(tuple(float(part) for part in done.stdout.split()[:2]))
        files, functions = done.stdout.split()[2:4]
        kind = "stacks with Aurora clusters and RDS Proxies" if databases else "stacks without a database"
        lines.append(
            f"{modules} modules, {kind}: {files} infrastructure files read, {functions} functions' poolers"
            f" inferred (medians of {runs} runs)"
        )
        for label, index in (("wall", 0), ("cpu", 1)):
            cold = statistics.median(run[index] for run in with_infra)
            bare = statistics.median(run[index] for run in without)
            infra = statistics.median(run[index] for run in inside)
            lines.append(
                f"  {label}: cold run {cold:.2f} s ({bare:.2f} s with --ignore PIN3);"
                f" lint_infrastructure and --target auto's inference alone {infra:.3f} s = {infra / cold:.1%}"
                " of the cold run"
            )
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    main()
