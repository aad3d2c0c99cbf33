"""Bad input on the reading side never hangs, crashes or silently loses a file: the reproducers
01, 03, 06, 07, 11 and 13 of shared/repro/reliability (issues 18 and 20), each as tests.

Permission tests need a user the file modes apply to: when the suite runs as root they run
pinlint in a child process that gives up root for ``nobody`` first (os.setuid), after importing
what it needs (the interpreter's own files may be out of that user's reach).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import console_script, run_cli
from pinlint.cli import main
from pinlint.config import ConfigError, Settings, load_settings
from pinlint.discover import discover
from pinlint.files import UnreadableFile, read_bytes

BAD = 'import psycopg2\ncur.execute("SET a = 1")\n'
FINDING = "PIN001"


@dataclass
class _Run:
    returncode: int
    stdout: str
    stderr: str


def _expire(signum: int, frame: object) -> None:
    raise TimeoutError("pinlint blocked for 30 s (a FIFO opened for reading?)")


def _pinlint(cwd: Path, *args: str) -> _Run:
    """pinlint's command line (``main``) run in this process, in ``cwd``: no interpreter start-up
    per test. A run that blocks fails after 30 s instead of hanging the suite (the alarm's
    exception interrupts a blocked ``open``)."""
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.alarm(30)
    here = os.getcwd()
    code: object = 0
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as done:
                code = done.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(here)
    assert isinstance(code, int)
    return _Run(code, out.getvalue(), err.getvalue())


def _check(cwd: Path, *args: str) -> _Run:
    """``pinlint check --no-cache -q --output-format concise ARGS``."""
    result = _pinlint(cwd, "check", "--no-cache", "-q", "--output-format", "concise", *args)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    return result


def _warnings(result: _Run | subprocess.CompletedProcess[str]) -> list[str]:
    return [line.removeprefix("pinlint: warning: ") for line in result.stderr.splitlines()]


# --- 01: FIFOs, sockets, devices, dangling symlinks and loops -----------------------------------


@pytest.fixture
def odd_files(tmp_path: Path) -> Path:
    (tmp_path / "good.py").write_text(BAD, encoding="utf-8")
    os.mkfifo(tmp_path / "x.py")
    os.mkfifo(tmp_path / "y.sql")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "loop_a.py").symlink_to(tmp_path / "loop_b.py")
    (tmp_path / "loop_b.py").symlink_to(tmp_path / "loop_a.py")
    if len(str(tmp_path / "s.py")) > 100:
        pytest.skip("the temporary directory's path is too long for a Unix socket")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s.py"))
    return tmp_path


def test_odd_files_in_a_tree_are_skipped_with_a_warning_saying_what_they_are(odd_files: Path) -> None:
    # end to end through the console script, within run_cli's time limit
    result = run_cli("check", "--no-cache", "-q", "--output-format", "concise", ".", cwd=odd_files)
    assert result.returncode == 1 and f"good.py:2:14: {FINDING}" in result.stdout
    assert sorted(_warnings(result)) == [
        "dangling.py: a dangling symlink (to `" + str(odd_files / "nowhere.py") + "`); skipped",
        "loop_a.py: a symlink loop; skipped",
        "loop_b.py: a symlink loop; skipped",
        "s.py: a socket, not a regular file; skipped",
        "x.py: a FIFO (named pipe), not a regular file; skipped",
        "y.sql: a FIFO (named pipe), not a regular file; skipped",
        "zero.py: a character device, not a regular file (a symlink to `/dev/zero`); skipped",
    ]


def test_odd_files_named_directly_are_skipped_and_the_others_are_linted(odd_files: Path) -> None:
    result = _check(odd_files, "x.py", "zero.py", "loop_a.py", "dangling.py", "s.py", "good.py")
    assert result.returncode == 1 and f"good.py:2:14: {FINDING}" in result.stdout
    assert _warnings(result) == [
        "x.py: a FIFO (named pipe), not a regular file; skipped",
        "zero.py: a character device, not a regular file (a symlink to `/dev/zero`); skipped",
        "loop_a.py: a symlink loop; skipped",
        "dangling.py: a dangling symlink (to `" + str(odd_files / "nowhere.py") + "`); skipped",
        "s.py: a socket, not a regular file; skipped",
    ]
    assert "does not exist" not in result.stderr


def test_a_path_that_is_really_missing_is_still_a_usage_error(tmp_path: Path) -> None:
    result = _check(tmp_path, "missing.py")
    assert result.returncode == 2 and result.stderr == "pinlint: error: path `missing.py` does not exist\n"


@pytest.mark.parametrize("config", ["fifo.toml", "/dev/zero", "zero.toml"])
def test_config_naming_a_fifo_or_a_device_is_one_error_line(tmp_path: Path, config: str) -> None:
    (tmp_path / "app.py").write_text(BAD, encoding="utf-8")
    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    result = _check(tmp_path, "--config", config, ".")
    assert result.returncode == 2
    assert result.stderr.startswith(f"pinlint: error: config file {config}: a ") and result.stderr.count("\n") == 1
    assert "not a regular file" in result.stderr


def test_the_reader_bounds_what_it_reads(tmp_path: Path) -> None:
    big = tmp_path / "big.py"
    big.write_bytes(b"x" * 2048)
    assert read_bytes(big, 2048) == b"x" * 2048
    with pytest.raises(UnreadableFile, match="larger than 1024 bytes"):
        read_bytes(big, 1024)
    with pytest.raises(UnreadableFile, match="a character device, not a regular file"):
        read_bytes("/dev/zero", 1 << 40)  # refused before it is read: no memory is spent on it


def test_a_python_file_over_the_limit_is_skipped_before_it_is_read(tmp_path: Path) -> None:
    (tmp_path / "huge.py").write_bytes(b"#" * (20 * 1024 * 1024 + 1))
    (tmp_path / "good.py").write_text(BAD, encoding="utf-8")
    result = _check(tmp_path, ".")
    assert _warnings(result) == ["huge.py: larger than 20 MB; skipped"] and result.returncode == 1


# --- 06: permissions (as a user the modes apply to) ---------------------------------------------


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A temporary directory that the user ``nobody`` can enter (pytest's tmp_path cannot be)."""
    directory = Path(tempfile.mkdtemp(prefix="pinlint-perm-"))
    directory.chmod(0o777)
    try:
        yield directory
    finally:
        for path in (directory, *directory.rglob("*")):
            if not path.is_symlink():
                path.chmod(0o777)
        shutil.rmtree(directory)


UNPRIVILEGED = textwrap.dedent(
    """
    import os, sys
    import pinlint.cli, pinlint.extract.python, pinlint.report  # imported while root can still read them
    os.chdir(sys.argv[1])
    uid, gid = int(sys.argv[2]), int(sys.argv[3])
    if os.geteuid() == 0:
        os.setgroups([]); os.setgid(gid); os.setuid(uid)
    pinlint.cli.main(sys.argv[4:])
    """
)


def _as_unprivileged(
    cwd: Path, *args: str, lock: Callable[[], None] = lambda: None
) -> subprocess.CompletedProcess[str]:
    """pinlint run by a user that file modes apply to (``nobody`` when the tests run as root):
    the files under ``cwd`` are handed to that user, ``lock`` takes permissions away, then it runs."""
    if os.geteuid() == 0:
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("no user `nobody` to drop root privileges to")
        for path in (cwd, *cwd.rglob("*")):
            os.lchown(path, nobody.pw_uid, nobody.pw_gid)
        ids = (str(nobody.pw_uid), str(nobody.pw_gid))
    else:
        ids = (str(os.getuid()), str(os.getgid()))
    lock()
    env = {key: value for key, value in os.environ.items() if key != "PINLINT_DEBUG"}
    command = [sys.executable, "-c", UNPRIVILEGED, str(cwd), *ids, "check", "--no-cache", "--output-format", "concise"]
    result = subprocess.run([*command, *args], capture_output=True, text=True, timeout=60, env={**env, "NO_COLOR": "1"})
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    return result


@pytest.fixture
def guarded(shared_dir: Path) -> Path:
    for name in ("good.py", "noexec/inner.py", "secret/inner.py", "locked.py"):
        (shared_dir / name).parent.mkdir(exist_ok=True)
        (shared_dir / name).write_text(BAD, encoding="utf-8")
    return shared_dir


def _locked(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    def lock() -> None:
        (directory / "noexec").chmod(0o644)  # can be listed, not entered
        (directory / "secret").chmod(0o000)  # cannot even be listed
        (directory / "locked.py").chmod(0o000)

    return _as_unprivileged(directory, *args, lock=lock)


def test_the_permission_tests_really_lack_permission(guarded: Path) -> None:
    result = _as_unprivileged(guarded, "good.py", lock=lambda: (guarded / "good.py").chmod(0o000))
    assert "good.py: permission denied; skipped" in result.stderr  # root would have read it


def test_a_file_under_a_directory_without_x_is_reported_and_the_others_are_linted(guarded: Path) -> None:
    result = _locked(guarded, "good.py", "noexec/inner.py", "locked.py")
    assert result.returncode == 1 and f"good.py:2:14: {FINDING}" in result.stdout
    assert _warnings(result) == ["noexec/inner.py: permission denied; skipped", "locked.py: permission denied; skipped"]


def test_a_named_directory_without_x_is_walked_and_each_unreadable_file_reported(guarded: Path) -> None:
    result = _locked(guarded, "noexec", "good.py")
    assert result.returncode == 1 and f"good.py:2:14: {FINDING}" in result.stdout
    assert _warnings(result) == ["noexec/inner.py: permission denied; skipped"]


def test_a_directory_that_cannot_be_listed_is_named_in_a_warning(guarded: Path) -> None:
    result = _locked(guarded, ".")
    assert result.returncode == 1 and f"good.py:2:14: {FINDING}" in result.stdout
    assert sorted(_warnings(result)) == [
        "locked.py: permission denied; skipped",
        "noexec/inner.py: permission denied; skipped",
        "secret: cannot list this directory (permission denied); skipped",
    ]


def test_an_unreadable_pyproject_is_a_config_error_not_the_defaults(guarded: Path) -> None:
    config = guarded / "pyproject.toml"
    config.write_text('[tool.pinlint]\nignore = ["PIN001"]\n', encoding="utf-8")
    result = _as_unprivileged(guarded, "good.py", lock=lambda: config.chmod(0o000))
    assert result.returncode == 2
    assert result.stderr == f"pinlint: error: config file {config}: permission denied\n"


# --- 03: .gitignore lines git tolerates; the same globs in the configuration -----------------------


@pytest.mark.parametrize("line", ["foo\\", "!", "[z-a]", "[[:bogus:]]", "x[", "[[:alpha:]]", "[a--]"])
def test_a_gitignore_line_git_tolerates_is_read_without_error_or_warning(tmp_path: Path, line: str) -> None:
    (tmp_path / "app.py").write_text(BAD, encoding="utf-8")
    (tmp_path / ".gitignore").write_text(line + "\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Python FutureWarning ("Possible nested set") fails the test
        found = discover([str(tmp_path)], Settings(root=tmp_path))
    assert [path.name for path in found.files] == ["app.py"] and found.warnings == []


def test_gitignore_lines_git_tolerates_never_end_the_run(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(BAD, encoding="utf-8")
    (tmp_path / ".gitignore").write_text("foo\\\n!\n[z-a]\n[[:bogus:]]\n", encoding="utf-8")
    # in a process of its own, where a Python FutureWarning would reach stderr
    result = run_cli("check", "--no-cache", "-q", "--output-format", "concise", ".", cwd=tmp_path)
    assert result.returncode == 1 and f"app.py:2:14: {FINDING}" in result.stdout and result.stderr == ""


@pytest.mark.skipif(not shutil.which("git"), reason="git is the oracle")
def test_tolerated_gitignore_lines_match_what_git_matches(tmp_path: Path) -> None:
    names = ["z.py", "a.py", "ax.py", "5.py", "foo.py", "b.sql", "[z-a].py", "x[.py"]
    for name in names:
        (tmp_path / name).write_text("x = 1\n", encoding="utf-8")
    lines = ["foo\\", "!", "[z-a].py", "[[:bogus:]].py", "x[.py", "[[:alpha:]]x.py", "[[:digit:]].py", "[!a-z].sql"]
    (tmp_path / ".gitignore").write_text("\n".join(lines) + "\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.split()
    shown = _pinlint(tmp_path, "check", "--show-files", ".").stdout.split()
    assert sorted(path.removeprefix("./") for path in shown) == sorted(name for name in listed if name != ".gitignore")
    assert "z.py" not in listed and "5.py" not in listed and "a.py" in listed  # the oracle saw the cases


def _config_error(directory: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        load_settings(None, directory)
    return str(raised.value)


@pytest.mark.parametrize(
    ("glob", "reason"),
    [
        ("foo\\", "ends with a backslash that escapes nothing"),
        ("!", "is a lone `!`"),
        ("[z-a]", "the range `z-a` is reversed"),
        ("[[:bogus:]]", "`[:bogus:]` is not a character class"),
        ("x[", "is never closed"),
    ],
)
@pytest.mark.parametrize("key", ["extend-exclude", "exclude"])
def test_the_same_globs_in_the_configuration_are_config_errors(
    tmp_path: Path, glob: str, reason: str, key: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.pinlint]\n{key} = [{json.dumps(glob)}]\n", encoding="utf-8")
    message = _config_error(tmp_path)
    assert message.startswith(f"`{key}` in [tool.pinlint] of {tmp_path / 'pyproject.toml'}: the glob `{glob}` ")
    assert reason in message


def test_a_bad_glob_in_the_configuration_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(BAD, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.pinlint]\nextend-exclude = ["[z-a]"]\n', encoding="utf-8")
    result = _check(tmp_path, ".")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"pinlint: error: `extend-exclude` in [tool.pinlint] of {tmp_path / 'pyproject.toml'}: "
        "the glob `[z-a]` is not valid: the range `z-a` is reversed\n"
    )


def test_a_bad_per_file_ignores_glob_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pinlint.toml").write_text('[per-file-ignores]\n"[z-a].py" = ["PIN001"]\n', encoding="utf-8")
    message = _config_error(tmp_path)
    assert message.startswith(f"`per-file-ignores` in {tmp_path / 'pinlint.toml'}: the glob `[z-a].py` ")


# --- 07: configuration problems ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("pyproject.toml", b"tool = 5\n", "`tool` in {path} must be a table, not 5"),
        ("pyproject.toml", b'tool = "pinlint"\n', "`tool` in {path} must be a table, not 'pinlint'"),
        ("pinlint.toml", b"tool = 5\n", "`tool` in {path} must be a table, not 5"),
        ("pyproject.toml", b'[tool.pinlint]\nignore = ["PIN001"]\n# caf\xe9\n', "config file {path}: not valid UTF-8"),
        ("pyproject.toml", b"[tool.pinlint]\nselect = " + b"[" * 10_000 + b"\n", "{path} is not valid TOML"),
        ("pyproject.toml", b"\xff\xfe[\x00t\x00", "config file {path}: encoded in UTF-16"),
    ],
)
def test_a_bad_configuration_file_is_one_error_naming_it(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    assert _config_error(tmp_path).startswith(message.format(path=tmp_path / name))


def test_a_bad_configuration_file_exits_2_with_one_line_and_lints_nothing(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(BAD, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_bytes(b'[tool.pinlint]\nignore = ["PIN001"]\n# caf\xe9\n')
    result = _check(tmp_path, ".")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"pinlint: error: config file {tmp_path / 'pyproject.toml'}: not valid UTF-8 (byte 41)\n"


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ('select = [""]', "`select` in "),
        ('ignore = ["PIN001", " "]', "`ignore` in "),
        ('handlers = ["nocolon"]', "`handlers` in "),
        ('handlers = ["app.py:"]', "`handlers` in "),
        ('sinks = [""]', "`sinks` in "),
        ('sinks = ["*"]', "`sinks` in "),
        ('sinks = ["app.db.", "x"]', "`sinks` in "),
        ('per-file-ignores = {"app.py" = [""]}', "`per-file-ignores` in "),
    ],
)
def test_values_that_cannot_mean_anything_are_config_errors(tmp_path: Path, config: str, named: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.pinlint]\n{config}\n", encoding="utf-8")
    message = _config_error(tmp_path)
    assert message.startswith(f"{named}[tool.pinlint] of {tmp_path / 'pyproject.toml'}: "), message


@pytest.mark.parametrize("option", ["--select=", "--select=,,,", "--ignore=PIN001,"])
def test_an_empty_selector_on_the_command_line_is_an_error(tmp_path: Path, option: str) -> None:
    (tmp_path / "app.py").write_text(BAD, encoding="utf-8")
    result = _check(tmp_path, option, ".")
    assert result.returncode == 2 and "empty rule selector" in result.stderr and result.stderr.count("\n") == 1


def test_good_sinks_and_handlers_are_still_accepted(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text('import app.db\napp.db.run_sql("SET a = 1")\n', encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pinlint]\nsinks = ["app.db.run_sql", "*.run_query", "run"]\nhandlers = ["jobs/worker.py:process"]\n',
        encoding="utf-8",
    )
    result = _check(tmp_path, ".")
    assert result.returncode == 1 and f"app.py:2:17: {FINDING}" in result.stdout


# --- 11: declaration files that nest too deeply, or make a parser fail in any way ----------------------


@pytest.fixture
def handler_app(tmp_path: Path) -> Path:
    (tmp_path / "handlers").mkdir()
    handler = 'def handler(event, context):\n    psycopg2.connect("dbname=x").cursor().execute("SET a = 1")\n'
    (tmp_path / "handlers" / "app.py").write_text("import psycopg2\n" + handler, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("serverless.yml", "functions:\n  f:\n    handler: handlers/app.handler\nx: " + "[" * 10_000 + "]" * 10_000),
        ("template.json", '{"Resources": ' + "[" * 10_000 + "]" * 10_000 + "}"),
        ("template.yaml", "Resources: !Ref [" + "{" * 10_000),
    ],
)
def test_a_deeply_nested_declaration_file_is_a_warning_and_the_run_goes_on(
    handler_app: Path, name: str, content: str
) -> None:
    (handler_app / name).write_text(content, encoding="utf-8")
    result = _check(handler_app, ".")
    assert result.returncode == 1 and f"handlers/app.py:3:52: {FINDING}" in result.stdout
    [warning] = _warnings(result)
    assert warning.startswith(f"{name}: cannot read handler declarations (") and warning.endswith("); skipped")


def test_any_exception_from_a_declaration_parser_is_a_warning_for_that_file(
    handler_app: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from pinlint.declarations import find_declarations

    (handler_app / "serverless.yml").write_text("functions:\n  f:\n    handler: handlers/app.handler\n", "utf-8")

    def broken(*args: object, **kwargs: object) -> object:
        raise UnboundLocalError("cannot access local variable 'token'")

    monkeypatch.setattr(yaml, "compose_all", broken)
    found = find_declarations([handler_app / "handlers" / "app.py"], handler_app)
    assert found.warnings == [
        "serverless.yml: cannot read handler declarations (cannot access local variable 'token'); skipped"
    ]


@pytest.mark.parametrize("odd", ["fifo", "zero"])
def test_a_declaration_file_that_is_not_a_regular_file_is_a_warning(handler_app: Path, odd: str) -> None:
    if odd == "fifo":
        os.mkfifo(handler_app / "serverless.yml")
    else:
        (handler_app / "serverless.yml").symlink_to("/dev/zero")
    result = _check(handler_app, ".")
    assert result.returncode == 1
    assert _warnings(result)[0].startswith("serverless.yml: cannot read handler declarations (a ")


def test_terraform_with_many_unclosed_blocks_is_read_in_linear_time(handler_app: Path) -> None:
    import time

    from pinlint.declarations import find_declarations

    (handler_app / "main.tf").write_text('resource "aws_lambda_function" "f" {\n' * 50_000, encoding="utf-8")
    started = time.perf_counter()
    find_declarations([handler_app / "handlers" / "app.py"], handler_app)
    assert time.perf_counter() - started < 5  # quadratic: 50,000 scans to the end of a 2 MB file


# --- 13: the result cache ------------------------------------------------------------------------


@pytest.fixture
def cached_app(tmp_path: Path) -> Path:
    (tmp_path / "t").mkdir()
    source = tmp_path / "t" / "x.py"
    source.write_text(BAD, encoding="utf-8")
    os.utime(source, (source.stat().st_atime - 60, source.stat().st_mtime - 60))  # not "racy"
    return tmp_path


def _cached(app: Path, *args: str) -> _Run:
    result = _pinlint(app, "check", "-q", "--output-format", "concise", "--cache-dir", "c", *args, "t")
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    return result


def _cache_file(app: Path) -> Path:
    [found] = (app / "c").glob("results-*.json")
    return found


EXPECTED = f"t/x.py:2:14: {FINDING} Session-level `SET a` outlives"


def test_a_deeply_nested_cache_file_is_rebuilt(cached_app: Path) -> None:
    _cached(cached_app)
    _cache_file(cached_app).write_text("[" * 10_000 + "]" * 10_000, encoding="utf-8")
    for _ in range(2):
        result = _cached(cached_app)
        assert result.returncode == 1 and result.stdout.startswith(EXPECTED) and result.stderr == ""
    assert json.loads(_cache_file(cached_app).read_text(encoding="utf-8"))["entries"]


def test_a_wrong_typed_cache_entry_is_a_miss_and_is_rewritten(cached_app: Path) -> None:
    _cached(cached_app)
    data = json.loads(_cache_file(cached_app).read_text(encoding="utf-8"))
    for entry in data["entries"].values():
        for finding in entry["findings"]:
            finding.update(line="x", column="y", message=12345)
    _cache_file(cached_app).write_text(json.dumps(data), encoding="utf-8")
    result = _cached(cached_app)
    assert result.returncode == 1 and result.stdout.startswith(EXPECTED)
    rewritten = json.loads(_cache_file(cached_app).read_text(encoding="utf-8"))
    [entry] = rewritten["entries"].values()
    assert entry["findings"][0]["line"] == 2 and isinstance(entry["findings"][0]["message"], str)


BAD_ENTRIES: dict[str, Callable[[dict[str, Any]], object]] = {
    "findings not a list": lambda entry: entry.update(findings="oops"),
    "a bool in noqa_lines": lambda entry: entry["findings"][0].update(noqa_lines=[True]),
    "a number as a consequence": lambda entry: entry["findings"][0].update(targets={"rds-proxy": 1}),
    "an unknown field": lambda entry: entry["findings"][0].update(unknown_field=1),
    "a missing field": lambda entry: entry["findings"][0].pop("code"),
    "a None project key": lambda entry: entry.update(project_keys=[None]),
    "an error that is a list": lambda entry: entry.update(error=["x"]),
    "a float line": lambda entry: entry["findings"][0].update(line=2.0),
}


def test_every_kind_of_bad_entry_is_a_miss(cached_app: Path) -> None:
    from pinlint.cache import Cache

    _cached(cached_app)
    cache_file = _cache_file(cached_app)
    data = json.loads(cache_file.read_text(encoding="utf-8"))
    [(key, good)] = data["entries"].items()
    assert Cache(cached_app / "c", cached_app / "t").get(key, "t/x.py") is not None  # the cache as written is read back
    for label, corrupt in BAD_ENTRIES.items():
        entry = json.loads(json.dumps(good))
        corrupt(entry)
        cache_file.write_text(json.dumps({**data, "entries": {key: entry}}), encoding="utf-8")
        assert Cache(cached_app / "c", cached_app / "t").get(key, "t/x.py") is None, label


def test_a_fifo_in_place_of_the_cache_file_is_a_warning_and_replaced(cached_app: Path) -> None:
    _cached(cached_app)
    cache = _cache_file(cached_app)
    cache.unlink()
    os.mkfifo(cache)
    result = _cached(cached_app)
    assert result.returncode == 1 and result.stdout.startswith(EXPECTED)
    assert _warnings(result) == [f"cache file c/{cache.name}: a FIFO (named pipe), not a regular file; not used, "
                                 "and replaced at the end of the run"]  # fmt: skip
    assert cache.is_file() and json.loads(cache.read_text(encoding="utf-8"))["entries"]


def _file_size_limit(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_failed_cache_write_leaves_no_temporary_file(cached_app: Path) -> None:
    """As on a full file system: every write past 1 KB fails (a file-size limit, set in the child)."""
    for index in range(20):
        (cached_app / "t" / f"m{index}.py").write_text(BAD, encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("PINLINT_DEBUG", None)
    for _ in range(3):
        done = subprocess.run(
            [console_script(), "check", "-q", "--cache-dir", "c", "t"],
            cwd=cached_app,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            preexec_fn=lambda: _file_size_limit(1024),
        )
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert sorted(path.name for path in (cached_app / "c").iterdir()) == [".gitignore", "CACHEDIR.TAG"]


def test_the_cache_goes_to_the_repository_root_not_beside_the_linted_file(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "lib" / "sub").mkdir(parents=True)
    (tmp_path / "lib" / "sub" / "x.py").write_text(BAD, encoding="utf-8")
    _pinlint(tmp_path, "check", "lib/sub/x.py")
    _pinlint(tmp_path / "lib" / "sub", "check", "x.py")
    caches = sorted(path.parent.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("CACHEDIR.TAG"))
    assert caches == [".pinlint_cache"]


def test_the_cache_goes_beside_the_configuration(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    project = tmp_path / "services" / "api"
    (project / "app").mkdir(parents=True)
    (project / "pinlint.toml").write_text('target = "all"\n', encoding="utf-8")
    (project / "app" / "x.py").write_text(BAD, encoding="utf-8")
    _pinlint(tmp_path, "check", "services/api/app/x.py")
    caches = sorted(path.parent.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("CACHEDIR.TAG"))
    assert caches == ["services/api/.pinlint_cache"]


def test_without_repository_or_configuration_the_cache_goes_to_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "x.py").write_text(BAD, encoding="utf-8")
    _pinlint(tmp_path, "check", "lib/x.py")
    assert (tmp_path / ".pinlint_cache" / "CACHEDIR.TAG").is_file() and not (
        tmp_path / "lib" / ".pinlint_cache"
    ).exists()


def test_clean_on_a_symlinked_cache_removes_the_cache_it_leads_to(tmp_path: Path) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    (project / "x.py").write_text(BAD, encoding="utf-8")
    _pinlint(project, "check", "--cache-dir", str(elsewhere), ".")
    assert (elsewhere / "CACHEDIR.TAG").is_file()
    (project / ".pinlint_cache").symlink_to(elsewhere)
    cleaned = _pinlint(project, "clean")
    assert cleaned.returncode == 0
    assert cleaned.stdout == f"Removed {project.resolve() / '.pinlint_cache'} (a symlink to {elsewhere.resolve()})\n"
    assert list(elsewhere.iterdir()) == [] and (project / ".pinlint_cache").is_symlink()
    assert _pinlint(project, "check", ".").returncode == 1  # the cache is written through the link again
    assert (elsewhere / "CACHEDIR.TAG").is_file()
    assert _pinlint(project, "clean").returncode == 0


def test_clean_leaves_a_directory_that_is_not_a_pinlint_cache(tmp_path: Path) -> None:
    (tmp_path / ".pinlint_cache").mkdir()
    (tmp_path / ".pinlint_cache" / "mine.txt").write_text("keep\n", encoding="utf-8")
    cleaned = _pinlint(tmp_path, "clean")
    assert cleaned.stdout.startswith("No pinlint cache at ") and (tmp_path / ".pinlint_cache" / "mine.txt").exists()


# --- issue 20: messages ------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", ["utf-16", "utf-32"])
def test_a_utf16_python_file_and_a_utf16_sql_file_get_the_same_message(tmp_path: Path, bom: str) -> None:
    (tmp_path / "a.py").write_bytes('cur.execute("SET a = 1")\n'.encode(bom))
    (tmp_path / "b.sql").write_bytes("SET a = 1;\n".encode(bom))
    result = _check(tmp_path, ".")
    name = bom.upper()
    assert _warnings(result) == [
        f"a.py: encoded in {name} (byte-order mark), not UTF-8; skipped",
        f"b.sql: encoded in {name} (byte-order mark), not UTF-8; skipped",
    ]


def test_every_skip_warning_ends_with_skipped(tmp_path: Path) -> None:
    nested = "x = " + "(" * 300 + "1" + ")" * 300 + "\n"
    (tmp_path / "nested.py").write_text(nested + 'cur.execute("LISTEN x")\n', encoding="utf-8")
    (tmp_path / "syntax.py").write_text('cur.execute("LISTEN x"\n', encoding="utf-8")
    result = _check(tmp_path, ".")
    warnings = _warnings(result)
    assert len(warnings) == 2 and all(warning.endswith("; skipped") for warning in warnings), warnings
    assert any(warning.startswith("nested.py: too deeply nested") for warning in warnings), warnings


def test_a_syntax_error_is_reported_where_pinlint_parses_the_file(tmp_path: Path) -> None:
    """As the README says: a file with a database call is parsed, so its syntax error is a
    warning; a file with none is not parsed at all (the prefilter), so it passes silently."""
    from conftest import run_cli

    (tmp_path / "db.py").write_text('cur.execute("SELECT 1"\n', encoding="utf-8")
    (tmp_path / "util.py").write_text("def broken(:\n", encoding="utf-8")
    result = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert result.stderr.count("warning") == 1
    assert "db.py: syntax error at line 1" in result.stderr
    assert "util.py" not in result.stderr
