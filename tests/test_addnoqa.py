"""--add-noqa: a legacy code base made green in one command, without a broken file."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from conftest import run_cli


def _run(tmp_path: Path, files: dict[str, bytes]) -> tuple[str, dict[str, bytes]]:
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    result = run_cli("check", "--add-noqa", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout, {name: (tmp_path / name).read_bytes() for name in files}


def test_adds_merges_and_is_idempotent(tmp_path: Path) -> None:
    source = (
        b'cur.execute("SET search_path TO x")\n'
        b'cur.execute("LISTEN jobs")  # noqa: E501\n'
        b"cur.execute(\n"
        b'    """\n'
        b"    SELECT pg_advisory_lock(1)\n"
        b'    """\n'
        b")\n"
        b'cur.execute("LISTEN \\\n'
        b'other")\n'
    )
    out, files = _run(tmp_path, {"db.py": source, "m.sql": b"SET search_path TO x;\nSELECT 1;\n"})
    assert out.strip() == "Added 5 noqa directives to 2 files."
    text = files["db.py"].decode()
    assert text.splitlines() == [
        'cur.execute("SET search_path TO x")  # noqa: PIN001',
        'cur.execute("LISTEN jobs")  # noqa: E501, PIN014',
        "cur.execute(",
        '    """',
        "    SELECT pg_advisory_lock(1)",
        '    """  # noqa: PIN019',
        ")",
        'cur.execute("LISTEN \\',
        'other")  # noqa: PIN014',
    ]
    ast.parse(text)
    assert files["m.sql"] == b"SET search_path TO x;  -- noqa: PIN001\nSELECT 1;\n"
    assert run_cli("check", ".", cwd=tmp_path).returncode == 0
    again, _ = _run(tmp_path, {})
    assert again.strip() == "Added 0 noqa directives to 0 files."
    assert {name: (tmp_path / name).read_bytes() for name in files} == files


def test_keeps_line_endings_encoding_and_permissions(tmp_path: Path) -> None:
    crlf = b'import os\r\ncur.execute("LISTEN jobs")\r\n'
    latin1 = b"# -*- coding: latin-1 -*-\n# caf\xe9\ncur.execute('LISTEN jobs')\n"
    (tmp_path / "tool.py").write_bytes(crlf)
    os.chmod(tmp_path / "tool.py", 0o750)
    _, files = _run(tmp_path, {"tool.py": crlf, "legacy.py": latin1})
    assert files["tool.py"] == b'import os\r\ncur.execute("LISTEN jobs")  # noqa: PIN014\r\n'
    assert files["legacy.py"] == b"# -*- coding: latin-1 -*-\n# caf\xe9\ncur.execute('LISTEN jobs')  # noqa: PIN014\n"
    assert (tmp_path / "tool.py").stat().st_mode & 0o777 == 0o750
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith((".tool.py", ".legacy.py"))] == []


def test_stdin_is_refused(tmp_path: Path) -> None:
    result = run_cli("check", "--add-noqa", "-", stdin='cur.execute("LISTEN x")\n', cwd=tmp_path)
    assert result.returncode == 2 and "stdin" in result.stderr


def test_lines_are_numbered_as_python_numbers_them() -> None:
    """A form feed or U+2028 is not a line break for Python (nor for pinlint's positions), though
    str.splitlines() breaks there: the comment goes on the finding's line as Python counts it."""
    from pinlint.addnoqa import add_noqa
    from pinlint.model import Finding

    source = 'import os\n\x0c\nx = 1  # \u2028 note\ncur.execute("LISTEN x")\n'
    listen = Finding("PIN014", "listen", "m", "db.py", 4, 13, 4, 20, "error", "fix", {}, noqa_lines=(4,))
    edit = add_noqa(source, [listen], sql=False)
    assert edit.text.split("\n")[3] == 'cur.execute("LISTEN x")  # noqa: PIN014'
    assert edit.text.split("\n")[:3] == source.split("\n")[:3]
