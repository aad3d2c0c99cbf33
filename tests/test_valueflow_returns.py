"""SQL that reaches a sink through a registry, a return value or an instance attribute
(pinlint.extract.values): each form is found at the literal that holds the trigger, and its
look-alike stays quiet."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import lint, run_cli


def found(source: str) -> list[tuple[str, int, int, str]]:
    """(code, line, column, message) of every finding of ``source``."""
    return [(f.code, f.line, f.column, f.message) for f in lint(textwrap.dedent(source), "app.py")]


def places(source: str) -> list[tuple[str, int, int]]:
    return [(code, line, column) for code, line, column, _ in found(source)]


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def _concise(root: Path, *paths: str) -> list[str]:
    result = run_cli("check", "--no-cache", "--output-format", "concise", "-q", *(paths or (".",)), cwd=root)
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    return result.stdout.splitlines()


# --- dict(KEY="...") ------------------------------------------------------------------------------


def test_a_dict_call_with_keywords_is_read_like_its_literal() -> None:
    """dramatiq-pg's shape: `dict(CONSUME_ONE=..., RELEASE_ONE=...)` at module level and in a function."""
    source = """\
    PLAIN = dict(PING="SELECT 1", LOCK="SELECT pg_try_advisory_lock(%s)")

    def consume(curs, lock):
        curs.execute(PLAIN["LOCK"], (lock,))
        curs.execute(PLAIN["PING"])
        local = dict({"listen": "LISTEN jobs"}, release="SELECT pg_advisory_unlock(%s)")
        curs.execute(local["release"], (lock,))
        curs.execute(local.get("listen"))
    """
    result = found(source)
    assert [(code, line, column) for code, line, column, _ in result] == [
        ("PIN019", 1, 44),
        ("PIN014", 6, 30),
        ("PIN019", 6, 61),
    ]
    assert result[0][3].endswith("(reaches `curs.execute()` on line 4)")
    assert result[2][3].endswith("(reaches `curs.execute()` on line 7)")


@pytest.mark.parametrize(
    "built",
    [
        'dict(OTHER, LOCK="SELECT pg_advisory_lock(1)")',  # a positional mapping the code does not show
        'dict(LOCK="SELECT pg_advisory_lock(1)", **OTHER)',  # `**OTHER` may replace the entry
        'dict([("LOCK", "SELECT pg_advisory_lock(1)")])',  # pairs: not read
    ],
)
def test_a_dict_call_that_may_hold_other_entries_is_not_read(built: str) -> None:
    source = f"""\
    OTHER = {{"LOCK": "SELECT 1"}}
    QUERIES = {built}

    def run(cur):
        cur.execute(QUERIES["LOCK"])
    """
    assert found(source) == []


def test_a_rebound_dict_is_not_the_builtin() -> None:
    source = """\
    from collections import OrderedDict as dict

    QUERIES = dict(LOCK="SELECT pg_advisory_lock(1)")

    def run(cur):
        cur.execute(QUERIES["LOCK"])
    """
    assert found(source) == []


def test_an_imported_dict_call_entry_is_read_where_it_is_sent(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/queries.py": 'QUERIES = dict(LOCK="SELECT pg_advisory_lock(1)", OK="SELECT 1")\n',
            "main.py": """\
            from app.queries import QUERIES


            def work(cur):
                cur.execute(QUERIES["OK"])
                cur.execute(QUERIES["LOCK"])
            """,
        },
    )
    (finding,) = _concise(tmp_path, "main.py")
    assert finding.startswith("main.py:6:17: PIN019 `pg_advisory_lock()`")
    assert "(`app.queries.QUERIES['LOCK']` reaches `cur.execute()` on line 6)" in finding
