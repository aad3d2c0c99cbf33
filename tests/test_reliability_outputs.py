"""The output side of the bad-input sweep (reproducers 04, 05, 08, 12 and 15 in
shared/repro/reliability): every format writes any text pinlint can read, a long line with many
findings prints a bounded frame per finding, a report that cannot be written is one error line and
exit 2, and --add-noqa edits the right file, keeps its owner and mode, and goes on after a failure."""

from __future__ import annotations

import json
import os
import resource
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT, console_script, run_cli
from pinlint.config import OUTPUT_FORMATS

SARIF_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
BAD = 'import psycopg2\ncur.execute("SET a = 1")\n'
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _run_bytes(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    merged = {**os.environ, "NO_COLOR": "1", **(env or {})}
    merged.pop("PINLINT_DEBUG", None)
    return subprocess.run([console_script(), *args], cwd=cwd, capture_output=True, env=merged, timeout=120)


@pytest.fixture
def full_directory(tmp_path: Path) -> Iterator[Path]:
    """A directory on a file system with no space left (a tiny tmpfs; needs root and mount)."""
    if not IS_ROOT or not shutil.which("mount"):
        pytest.skip("needs root to mount a small tmpfs")
    mount_point = tmp_path / "full"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def _fill(directory: Path) -> None:
    """Fill ``directory``'s file system."""
    with open(directory / "filler", "wb", buffering=0) as handle:
        try:
            while handle.write(b"\0" * 1024):
                pass
        except OSError:
            pass


# 04 -------------------------------------------------------------------------------------------


def test_04_many_findings_on_one_long_line_print_a_bounded_frame_each(tmp_path: Path) -> None:
    calls = 3000
    line = 'cur.execute("SET a = 1"); ' * calls + 'x = "' + "a" * 1_000_000 + '"'
    (tmp_path / "x.py").write_text(f"import psycopg2\n{line}\n", encoding="utf-8")

    def limit_memory() -> None:  # the old report copied the 1 MB line per finding: 3 GB
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("PINLINT_DEBUG", None)
    done = subprocess.run(
        [console_script(), "check", "--no-cache", "x.py"],
        cwd=tmp_path,
        capture_output=True,
        env=env,
        timeout=120,
        preexec_fn=limit_memory,
    )
    assert done.returncode == 1, done.stderr[-500:]
    out = done.stdout.decode("utf-8")
    assert out.count(": PIN001 ") == calls
    assert len(out) < calls * 1500
    lines = out.splitlines()
    source_lines = [text for text in lines if text.startswith("2 | ")]
    assert len(source_lines) == calls and max(map(len, source_lines)) <= 4 + 2 + 200 + 1
    # the caret is under the SET of each finding, also far into the line
    for index in (0, calls // 2, calls - 1):
        frame_line = source_lines[index]
        caret_line = lines[lines.index(frame_line, lines.index(source_lines[index - 1]) + 1 if index else 0) + 1]
        column = caret_line.index("^")
        assert frame_line[column : column + 9] == "SET a = 1"
    assert source_lines[-1].startswith("2 | …") and source_lines[0].endswith("…")


# 05 and 08 ------------------------------------------------------------------------------------


@pytest.fixture
def odd_text_project(tmp_path: Path) -> Path:
    """A lone surrogate escape in an SQL string, a file name that is not UTF-8, and a normal file."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "x.py").write_text("import psycopg2\ncur.execute(\"SET a = '\\ud800'\")\n", encoding="utf-8")
    (tmp_path / "good.py").write_text('import psycopg2\ncur.execute("SET search_path TO app")\n', encoding="utf-8")
    try:
        (tmp_path / os.fsdecode(b"q\xe9.sql")).write_bytes(b"SET b = 1;\n")
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    return tmp_path


def test_05_08_every_format_writes_lone_surrogates_and_undecodable_names(odd_text_project: Path) -> None:
    name = "q\\udce9.sql"  # the undecodable byte 0xE9, escaped as Python escapes it
    for output_format in OUTPUT_FORMATS:
        done = _run_bytes("check", "--no-cache", "--output-format", output_format, ".", cwd=odd_text_project)
        assert done.returncode == 1, (output_format, done.stderr)
        assert b"internal error" not in done.stderr, output_format
        text = done.stdout.decode("utf-8")  # valid UTF-8, or this raises
        assert "good.py" in text, output_format  # the other files' findings are kept
        if output_format == "sarif":
            document = json.loads(text)
            jsonschema.validate(document, SARIF_SCHEMA)
            uris = {
                result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for result in document["runs"][0]["results"]
            }
            assert uris == {"good.py", "q%E9.sql", "x.py"}  # a URI holds the file's bytes, percent-encoded
            assert json.dumps(document, ensure_ascii=False).encode("utf-8")
        elif output_format in ("json", "gitlab"):
            items = json.loads(text)
            names = {item["filename"] if output_format == "json" else item["location"]["path"] for item in items}
            assert names == {"good.py", name, "x.py"}, output_format
            if output_format == "json":
                (odd,) = (item for item in items if item["filename"] == "x.py")
                assert odd["sql"] == "SET a = '\\ud800'"
        elif output_format == "json-lines":
            items = [json.loads(line) for line in text.splitlines()]
            assert {item["filename"] for item in items} == {"good.py", name, "x.py"}
        elif output_format == "junit":
            from xml.etree import ElementTree

            cases = ElementTree.fromstring(done.stdout).findall(".//testcase")
            assert {case.get("classname") for case in cases} == {"good.py", name, "x.py"}
        else:
            assert name in text, output_format
        if output_format == "full":
            assert "= sql: SET a = '\\ud800'" in text


def test_08_warnings_and_show_files_escape_names_too(odd_text_project: Path) -> None:
    (odd_text_project / os.fsdecode(b"b\xff.py")).write_bytes(b"cur.execute('SET a = 1'\n")
    done = _run_bytes("check", "--no-cache", ".", cwd=odd_text_project)
    assert "b\\udcff.py" in done.stderr.decode("utf-8")
    shown = _run_bytes("check", "--show-files", ".", cwd=odd_text_project)
    assert shown.returncode == 0 and "q\\udce9.sql" in shown.stdout.decode("utf-8").splitlines()


# 15 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("unbuffered", ["1", ""])
@pytest.mark.parametrize("output_format", ["json", "full"])
def test_15_a_report_that_cannot_be_written_is_one_error_line_and_exit_2(
    tmp_path: Path, unbuffered: str, output_format: str
) -> None:
    (tmp_path / "x.py").write_text(BAD, encoding="utf-8")
    with open("/dev/full", "wb") as full:
        env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": unbuffered}
        env.pop("PINLINT_DEBUG", None)
        done = subprocess.run(
            [console_script(), "check", "--no-cache", "--output-format", output_format, "."],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        "pinlint: error: cannot write the report to standard output: No space left on device"
    ]


def test_15_output_file_on_a_full_disk_leaves_nothing_behind(tmp_path: Path, full_directory: Path) -> None:
    (tmp_path / "x.py").write_text(BAD * 200, encoding="utf-8")
    (full_directory / "report.json").write_text("old report\n", encoding="utf-8")
    _fill(full_directory)
    report = full_directory / "report.json"
    done = run_cli("check", "--no-cache", "--output-format", "json", "-o", str(report), ".", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"pinlint: error: cannot write {report}: No space left on device"]
    assert sorted(path.name for path in full_directory.iterdir()) == ["filler", "report.json"]
    assert report.read_text(encoding="utf-8") == "old report\n"  # never half a report


def test_15_output_file_is_replaced_whole_and_keeps_its_mode(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text(BAD, encoding="utf-8")
    fresh = run_cli("check", "--no-cache", "--output-format", "json", "-o", "new.json", ".", cwd=tmp_path)
    assert fresh.returncode == 1 and json.loads((tmp_path / "new.json").read_text(encoding="utf-8"))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    os.chmod(tmp_path / "new.json", 0o640)
    again = run_cli("check", "--no-cache", "--output-format", "concise", "-o", "new.json", ".", cwd=tmp_path)
    assert again.returncode == 1 and "PIN001" in (tmp_path / "new.json").read_text(encoding="utf-8")
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640
    assert sorted(path.name for path in tmp_path.iterdir()) == ["new.json", "x.py"]
    missing = run_cli("check", "--no-cache", "-o", "no/such/dir/r.txt", ".", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.splitlines() == ["pinlint: error: cannot write no/such/dir/r.txt: No such file or directory"]


def test_15_a_closed_pipe_stays_quiet(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text(BAD * 2000, encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("PINLINT_DEBUG", None)
    reader = subprocess.Popen(
        [console_script(), "check", "--no-cache", "."],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.read(100)
    reader.stdout.close()  # as `| head -c 100` does
    error = reader.stderr.read()
    assert reader.wait(timeout=60) == 1
    assert error == b""


# 12 -------------------------------------------------------------------------------------------


def _add_noqa(*paths: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("check", "--no-cache", "--add-noqa", *paths, cwd=cwd)


def test_12_a_symlink_edits_the_file_it_points_to(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "t.py").write_text(BAD, encoding="utf-8")
    (tmp_path / "link.py").symlink_to("real/t.py")
    done = _add_noqa("link.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "link.py").is_symlink()
    assert "# noqa: PIN001" in (tmp_path / "real" / "t.py").read_text(encoding="utf-8")
    assert sorted(path.name for path in (tmp_path / "real").iterdir()) == ["t.py"]


@pytest.mark.skipif(not IS_ROOT, reason="only root can give a file to another user")
def test_12_the_owner_and_mode_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "x.py"
    target.write_text(BAD, encoding="utf-8")
    os.chown(target, 65534, 65534)
    os.chmod(target, 0o664)
    assert _add_noqa(".", cwd=tmp_path).returncode == 0
    info = target.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o664)
    assert "noqa" in target.read_text(encoding="utf-8")


def test_12_read_only_files_are_skipped_with_a_warning_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BAD, encoding="utf-8")
    (tmp_path / "b.py").write_text(BAD, encoding="utf-8")
    os.chmod(tmp_path / "a.py", 0o444)
    done = _add_noqa(".", cwd=tmp_path)
    assert done.returncode == 1  # a finding is left unsilenced: `pinlint check` would fail
    assert done.stderr.splitlines() == ["pinlint: warning: a.py: read-only; file left unchanged"]
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == BAD
    assert "noqa" in (tmp_path / "b.py").read_text(encoding="utf-8")
    assert done.stdout.strip() == "Added 1 noqa directive to 1 file."


def test_12_a_file_that_cannot_be_written_is_reported_and_the_others_are_edited(
    tmp_path: Path, full_directory: Path
) -> None:
    (full_directory / "z.py").write_text(BAD + "# pad\n" * 100, encoding="utf-8")
    (tmp_path / "a.py").write_text(BAD, encoding="utf-8")
    _fill(full_directory)
    done = _add_noqa(str(full_directory / "z.py"), "a.py", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"pinlint: warning: {(full_directory / 'z.py').as_posix()}: cannot write: No space left on device; "
        "file left unchanged"
    ]
    assert "noqa" in (tmp_path / "a.py").read_text(encoding="utf-8")
    assert sorted(path.name for path in full_directory.iterdir()) == ["filler", "z.py"]  # no temp file
    assert "noqa" not in (full_directory / "z.py").read_text(encoding="utf-8")


def test_12_files_that_cannot_be_linted_are_reported(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text('import psycopg2\ncur.execute("SET a = 1"\n', encoding="utf-8")
    (tmp_path / "good.py").write_text(BAD, encoding="utf-8")
    done = _add_noqa(".", cwd=tmp_path)
    # as in `pinlint check` (and ruff's --add-noqa), a file that cannot be linted is a warning
    # and does not change the exit code
    assert done.returncode == 0
    (warning,) = done.stderr.splitlines()
    assert warning.startswith("pinlint: warning: broken.py: ")
    assert "noqa" in (tmp_path / "good.py").read_text(encoding="utf-8")


def test_12_the_closing_quote_line_takes_the_noqa_of_a_call_rule(tmp_path: Path) -> None:
    source = 'import asyncpg\nasync def f(con):\n    stmt = await con.prepare("""\n        SELECT 1\n    """)\n'
    (tmp_path / "q.py").write_text(source, encoding="utf-8")
    done = _add_noqa(".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert (tmp_path / "q.py").read_text(encoding="utf-8").splitlines()[4] == '    """)  # noqa: PIN036'
    assert run_cli("check", "--no-cache", ".", cwd=tmp_path).returncode == 0


if sys.platform == "win32":  # pragma: no cover - the reproducers are POSIX
    pytestmark = pytest.mark.skip("POSIX file names and /dev/full")


# the run loop's last line of defence ------------------------------------------------------------


def test_an_exception_escaping_the_linter_costs_one_file_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pinlint import cli
    from pinlint.engine import Linter

    (tmp_path / "boom.py").write_text(BAD, encoding="utf-8")
    (tmp_path / "fine.py").write_text(BAD, encoding="utf-8")
    real = Linter.lint_path

    def lint_path(self: Linter, path: Path, display: str):  # type: ignore[no-untyped-def]
        if path.name == "boom.py":
            raise UnboundLocalError("cannot access local variable 'expression'\nsecond line")
        return real(self, path, display)

    monkeypatch.setattr(Linter, "lint_path", lint_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PINLINT_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_code:
        cli.main(["check", "--no-cache", "--output-format", "concise", "."])
    captured = capsys.readouterr()
    assert exit_code.value.code == 1
    assert captured.out.startswith("fine.py:2:14: PIN001 ")
    assert captured.err.splitlines() == [
        "pinlint: warning: boom.py: internal error: UnboundLocalError: cannot access local variable 'expression'; "
        "skipped"
    ]


def test_the_interpreter_s_warnings_about_linted_code_are_not_printed(tmp_path: Path) -> None:
    # `1if` is a SyntaxWarning at every ast.parse (and "\d" is one on Python 3.12+)
    (tmp_path / "w.py").write_text(BAD + 'x = 1if True else 2\ny = "\\d"\n', encoding="utf-8")
    done = run_cli("check", "--no-cache", "--output-format", "concise", ".", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout.startswith("w.py:2:14: PIN001")
    assert done.stderr == ""


@pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2, reason="Linux, 2 CPUs")
def test_worker_processes_end_with_the_main_process(tmp_path: Path) -> None:
    """A CI timeout kills pinlint, not its workers: none may go on linting (or hang) alone."""
    import signal
    import time

    project = tmp_path / "many-workers-project"
    project.mkdir()
    slow = "import psycopg2\n" + 'cur.execute(f"SET a = {x}" + "b")\n' * 3000
    for index in range(80):  # 64 files or more: worker processes
        (project / f"m{index}.py").write_text(slow, encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("PINLINT_WORKERS", None)
    main = subprocess.Popen(
        [console_script(), "check", "--no-cache", str(project)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )

    def ours() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and str(project).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
        return found

    deadline = time.monotonic() + 30
    while len(ours()) < 2 and main.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # until the workers run
    assert main.poll() is None, "the run ended before its workers could be seen"
    main.send_signal(signal.SIGKILL)
    main.wait()
    deadline = time.monotonic() + 10
    while ours() and time.monotonic() < deadline:
        time.sleep(0.1)
    left = ours()
    for pid in left:  # do not leave them running when the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == []


def test_15_output_file_that_is_a_fifo_or_device_is_written_not_replaced(tmp_path: Path) -> None:
    import threading

    (tmp_path / "x.py").write_text(BAD, encoding="utf-8")
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = run_cli("check", "--no-cache", "--output-format", "concise", "-o", str(fifo), ".", cwd=tmp_path)
    reader.join(timeout=30)
    assert done.returncode == 1, done.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # not replaced by a regular file (`-o /dev/null` as root)
    assert received and received[0].startswith(b"x.py:2:14: PIN001 ")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.fifo", "x.py"]
