"""The built wheel carries rules/ and works from a fresh virtualenv (no source tree on the path)."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


def test_wheel_installs_and_lints(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("pinlint_db-*.whl")  # the distribution is pinlint-db; the package, pinlint
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    metadata = archive.read(next(name for name in names if name.endswith(".dist-info/METADATA"))).decode()
    assert "\nName: pinlint-db\n" in metadata  # `pip install pinlint-db`, `uvx --from pinlint-db pinlint`
    assert "\nProject-URL: Documentation, https://github.com/pinlint-db/pinlint/tree/main/docs/rules\n" in metadata
    scripts = archive.read(next(name for name in names if name.endswith(".dist-info/entry_points.txt"))).decode()
    assert "pinlint = pinlint.cli:main" in scripts  # the command stays `pinlint`
    rule_files = sorted(name for name in names if name.startswith("pinlint/rules/") and name.endswith(".toml"))
    assert len(rule_files) == len(list((ROOT / "rules").glob("*.toml")))

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    bin_dir = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True
    )
    assert install.returncode == 0, install.stderr

    project = tmp_path / "project"
    project.mkdir()
    (project / "db.py").write_text('cur.execute("SELECT pg_advisory_lock(1)")\n', encoding="utf-8")
    result = subprocess.run(
        [str(bin_dir / "pinlint"), "check", "--output-format", "concise", "db.py"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("db.py:1:21: PIN019 ")
    doc = subprocess.run([str(bin_dir / "pinlint"), "rule", "PIN019"], capture_output=True, text=True, cwd=project)
    assert "pg_advisory_xact_lock" in doc.stdout
