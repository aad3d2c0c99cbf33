"""File discovery: what is linted, what is skipped, in what order."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pinlint.config import Settings
from pinlint.discover import discover


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")


def _found(root: Path, paths: list[str] | None = None, **settings: object) -> list[str]:
    chosen = Settings(root=root, **settings)  # type: ignore[arg-type]
    result = discover([str(root / p) for p in (paths or ["."])], chosen)
    return [path.resolve().relative_to(root.resolve()).as_posix() for path in result.files]


def test_lints_python_stubs_and_sql_sorted(tmp_path: Path) -> None:
    _touch(tmp_path, "b.py", "a/z.sql", "a/y.pyi", "notes.txt", "a/data.json")
    assert _found(tmp_path) == ["a/y.pyi", "a/z.sql", "b.py"]


def test_default_excludes(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "app.py",
        "pyproject.toml",
        ".venv/lib/site.py",
        "myenv/pyvenv.cfg",
        "myenv/lib/python3.12/x.py",
        "conda/conda-meta/history",
        "conda/lib/y.py",
        ".git/hooks/h.py",
        "node_modules/pkg/x.py",
        "__pycache__/m.py",
        "build/lib/m.py",
        "dist/m.py",
    )
    assert _found(tmp_path) == ["app.py"]


def test_packages_named_like_tool_output_are_linted(tmp_path: Path) -> None:
    # the standard library's venv package, pip's build package, a project's env package: ordinary
    # code, not a virtual environment (no pyvenv.cfg) nor build output (no project file beside it)
    _touch(
        tmp_path,
        "Lib/venv/__init__.py",
        "pip/_internal/operations/build/wheel.py",
        "app/env/settings.py",
        "app/virtualenv/x.py",
        "app/dist/y.py",
    )
    assert _found(tmp_path) == [
        "Lib/venv/__init__.py",
        "app/dist/y.py",
        "app/env/settings.py",
        "app/virtualenv/x.py",
        "pip/_internal/operations/build/wheel.py",
    ]


def test_a_virtualenv_named_directly_is_linted_and_exclude_replaces_the_markers(tmp_path: Path) -> None:
    _touch(tmp_path, "venv/pyvenv.cfg", "venv/lib/x.py", "proj/setup.py", "proj/build/lib/m.py")
    assert _found(tmp_path, ["venv"]) == ["venv/lib/x.py"]
    assert _found(tmp_path) == ["proj/setup.py"]
    assert _found(tmp_path, exclude=()) == ["proj/build/lib/m.py", "proj/setup.py", "venv/lib/x.py"]


def test_force_exclude_skips_a_named_file_inside_a_virtualenv(tmp_path: Path) -> None:
    _touch(tmp_path, "env/pyvenv.cfg", "env/lib/x.py")
    assert _found(tmp_path, ["env/lib/x.py"]) == ["env/lib/x.py"]
    assert _found(tmp_path, ["env/lib/x.py"], force_exclude=True) == []


def test_force_exclude_skips_a_named_file_in_build_output_beside_a_project_file(tmp_path: Path) -> None:
    """pre-commit names every staged file: build output is skipped as a walk skips it, and a
    `build` package with no project file beside it is not build output."""
    _touch(tmp_path, "proj/setup.cfg", "proj/build/lib/m.py", "tools/build/step.py")
    assert _found(tmp_path, ["proj/build/lib/m.py"]) == ["proj/build/lib/m.py"]
    assert _found(tmp_path, ["proj/build/lib/m.py"], force_exclude=True) == []
    assert _found(tmp_path, ["tools/build/step.py"], force_exclude=True) == ["tools/build/step.py"]


def test_gitignore_is_respected_unless_disabled(tmp_path: Path) -> None:
    _touch(tmp_path, "app.py", "generated/q.py", "sub/keep.py", "sub/skip.sql")
    (tmp_path / ".gitignore").write_text("generated/\n", encoding="utf-8")
    (tmp_path / "sub" / ".gitignore").write_text("*.sql\n", encoding="utf-8")
    assert _found(tmp_path) == ["app.py", "sub/keep.py"]
    assert _found(tmp_path, respect_gitignore=False) == ["app.py", "generated/q.py", "sub/keep.py", "sub/skip.sql"]


def test_exclude_and_extend_exclude(tmp_path: Path) -> None:
    _touch(tmp_path, "app.py", "legacy/old.py", "tests/test_x.py")
    assert _found(tmp_path, extend_exclude=("legacy/",)) == ["app.py", "tests/test_x.py"]
    assert _found(tmp_path, exclude=("tests/",)) == ["app.py", "legacy/old.py"]


def test_named_file_is_always_linted_unless_force_exclude(tmp_path: Path) -> None:
    _touch(tmp_path, "legacy/old.py", "build/gen.py")
    assert _found(tmp_path, ["legacy/old.py"], extend_exclude=("legacy/",)) == ["legacy/old.py"]
    assert _found(tmp_path, ["build/gen.py"]) == ["build/gen.py"]
    assert _found(tmp_path, ["legacy/old.py"], extend_exclude=("legacy/",), force_exclude=True) == []


def test_missing_paths_are_reported(tmp_path: Path) -> None:
    result = discover([str(tmp_path / "nope")], Settings(root=tmp_path))
    assert result.files == [] and result.missing == [str(tmp_path / "nope")]


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_symlink_loop_does_not_hang(tmp_path: Path) -> None:
    _touch(tmp_path, "pkg/app.py")
    os.symlink(tmp_path / "pkg", tmp_path / "pkg" / "loop")
    os.symlink(tmp_path, tmp_path / "pkg" / "up")
    assert _found(tmp_path) == ["pkg/app.py"]


def test_a_named_directory_is_linted_even_when_excluded(tmp_path: Path) -> None:
    _touch(tmp_path, "app.py", ".venv/lib/site-packages/pkg/db.py", ".venv/lib/site-packages/pkg/__pycache__/x.py")
    assert _found(tmp_path) == ["app.py"]
    named = _found(tmp_path, [".venv/lib/site-packages"])
    assert named == [".venv/lib/site-packages/pkg/db.py"]  # excludes still apply below it
    assert _found(tmp_path, [".venv/lib/site-packages"], force_exclude=True) == []


@pytest.mark.parametrize(
    "lines",
    [
        (".git", "venv", "build", "*.egg-info", "site-packages"),
        ("legacy/**", "!legacy/keep.py", "*.sql"),
        ("/top_only.py", "docs/", "**/generated_*.py", "a?c.py"),
        ("# a comment", "", "!nothing-included"),
    ],
)
def test_quick_spec_answers_as_pathspec_does(lines: tuple[str, ...]) -> None:
    import pathspec

    from pinlint.discover import Spec

    quick, reference = Spec(lines), pathspec.GitIgnoreSpec.from_lines(lines)
    paths = [
        "a.py", "venv/", "venv/x.py", "src/build/", "pkg.egg-info/", "legacy/x.py", "legacy/keep.py",
        "q.sql", "top_only.py", "sub/top_only.py", "docs/", "docs/x.md", "x/generated_api.py", "abc.py",
        "abbc.py", "site-packages/", "deep/site-packages/", ".git/",
    ]  # fmt: skip
    assert [quick.match_file(path) for path in paths] == [reference.match_file(path) for path in paths]


@pytest.mark.skipif(not shutil.which("git"), reason="git is the oracle")
def test_nested_gitignores_agree_with_git(tmp_path: Path) -> None:
    """Anchored, negated and nested patterns, each .gitignore relative to its own directory."""
    _touch(
        tmp_path,
        "app.py", "gen.sql", "keep.sql",
        "sub/a.py", "sub/deep/x.py", "sub/deep/y.py", "sub/deep/er/x.py", "sub/other/x.py",
        "sub/z.sql", "lib/build/out.py", "lib/src/m.py", "docs/conf.py",
    )  # fmt: skip
    (tmp_path / ".gitignore").write_text("*.sql\n!keep.sql\n/docs\nbuild/\n", encoding="utf-8")
    (tmp_path / "sub" / ".gitignore").write_text("deep/x.py\n!z.sql\n/other/\n", encoding="utf-8")
    (tmp_path / "sub" / "deep" / ".gitignore").write_text("er/\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.split()
    expected = sorted(name for name in listed if name.endswith((".py", ".sql")))
    assert _found(tmp_path) == expected
    assert "sub/z.sql" in expected and "sub/deep/y.py" in expected  # the oracle saw the tricky cases


def test_a_gitignore_that_is_not_a_regular_file_is_a_warning(tmp_path: Path) -> None:
    _touch(tmp_path, "app.py")
    os.mkfifo(tmp_path / ".gitignore")
    found = discover([str(tmp_path)], Settings(root=tmp_path))
    assert [path.name for path in found.files] == ["app.py"]
    assert found.warnings == [
        f"{(tmp_path / '.gitignore').as_posix()}: a FIFO (named pipe), not a regular file; its patterns are not applied"
    ]


def test_only_regular_files_are_listed_and_the_others_are_named(tmp_path: Path) -> None:
    _touch(tmp_path, "app.py", "real.sql")
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "link.sql").symlink_to(tmp_path / "real.sql")
    (tmp_path / "dir.py").symlink_to(tmp_path, target_is_directory=True)  # a symlinked directory: not followed
    found = discover([str(tmp_path)], Settings(root=tmp_path))
    assert sorted(path.name for path in found.files) == ["app.py", "real.sql"]  # the link is the same file
    assert found.warnings == [f"{(tmp_path / 'pipe.py').as_posix()}: a FIFO (named pipe), not a regular file; skipped"]
