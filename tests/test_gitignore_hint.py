"""What a run says about the files a .gitignore made it skip: the `--no-respect-gitignore` flag,
the summary's hint when nothing (or a declared handler's file) was checked, and a warning per
declared handler that is not checked."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

PER_INVOCATION = "import pymysql\n\n\ndef lambda_handler(event, context):\n    conn = pymysql.connect(host='h')\n"


def _reinclude_layout(root: Path) -> None:
    """amazon-rds-proxy-multitenant-load-test's layout: `/src/` ignored, its handler "re-included"
    by a `!` line that git cannot apply under an excluded directory (the file is tracked anyway)."""
    (root / ".git").mkdir()
    (root / ".gitignore").write_text("/src/\n!/src/functions/access.py\n", encoding="utf-8")
    (root / "src" / "functions").mkdir(parents=True)
    (root / "src" / "functions" / "access.py").write_text(PER_INVOCATION, encoding="utf-8")


def test_a_run_that_checks_nothing_says_a_gitignore_skipped_files(tmp_path: Path) -> None:
    _reinclude_layout(tmp_path)
    done = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1] == (
        "All checks passed! (0 files checked) A .gitignore skipped 1 Python or SQL file (`src/`):"
        " `--no-respect-gitignore` checks it."
    )


def test_no_respect_gitignore_checks_what_a_gitignore_lists(tmp_path: Path) -> None:
    _reinclude_layout(tmp_path)
    done = run_cli("check", "--no-cache", "--no-respect-gitignore", "--output-format", "concise", ".", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith("src/functions/access.py:5:12: PIN022 ")
    assert "gitignore" not in done.stdout
    # and the flag's positive form is the default
    assert "0 files checked" in run_cli("check", "--no-cache", "--respect-gitignore", ".", cwd=tmp_path).stdout


def test_a_declared_handler_in_an_ignored_directory_is_a_warning(tmp_path: Path) -> None:
    _reinclude_layout(tmp_path)
    (tmp_path / "serverless.yml").write_text(
        "service: s\nfunctions:\n  access:\n    handler: src/functions/access.lambda_handler\n", encoding="utf-8"
    )
    (tmp_path / "tools.py").write_text("import os\n", encoding="utf-8")  # a file that is checked
    done = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        "pinlint: warning: src/functions/access.py: the handler `lambda_handler` (declared in serverless.yml"
        " line 4) is not checked: .gitignore skips `src/` (--no-respect-gitignore checks it)"
    ]
    assert done.stdout.splitlines()[-1] == (
        "All checks passed! (1 file checked) A .gitignore skipped a declared handler's file"
        " (src/functions/access.py): `--no-respect-gitignore` checks it."
    )


def test_nothing_is_said_when_what_was_skipped_holds_no_source(tmp_path: Path) -> None:
    """An ignored build directory of HTML, or an ignored file next to checked code: no hint."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("htmlcov/\nlocal_settings.py\n", encoding="utf-8")
    (tmp_path / "htmlcov").mkdir()
    (tmp_path / "htmlcov" / "index.html").write_text("<html></html>\n", encoding="utf-8")
    empty = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert empty.stdout.splitlines()[-1] == "All checks passed! (0 files checked)"
    (tmp_path / "local_settings.py").write_text("DEBUG = True\n", encoding="utf-8")
    (tmp_path / "app.py").write_text("import os\n", encoding="utf-8")
    done = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert done.stdout.splitlines()[-1] == "All checks passed! (1 file checked)"
    assert done.stderr == ""


def test_machine_formats_and_quiet_runs_get_no_hint(tmp_path: Path) -> None:
    _reinclude_layout(tmp_path)
    assert run_cli("check", "--no-cache", "--output-format", "json", ".", cwd=tmp_path).stdout.strip() == "[]"
    assert run_cli("check", "--no-cache", "--quiet", ".", cwd=tmp_path).stdout == ""
