"""SQL a function of another module returns, sent here: the finding underlines the whole call
that gives the text and names where that function is (pinlint.extract.values, pinlint.findings)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from conftest import run_cli

LOCKS = """\
def lock_sql():
    return "SELECT pg_advisory_lock(1)"


def xact_sql():
    return "SELECT pg_advisory_xact_lock(1)"


class Lock:
    def __init__(self, conn, key, scope="session"):
        self.conn = conn
        self._func = "pg_advisory_lock" if scope == "session" else "pg_advisory_xact_lock"
        self.key = key

    def lock_query(self):
        return f"SELECT pg_catalog.{self._func}({self.key})"
"""


def _findings(root: Path, files: dict[str, str]) -> list[dict[str, object]]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    result = run_cli("check", "--no-cache", "--output-format", "json", "-q", ".", cwd=root)
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    found: list[dict[str, object]] = json.loads(result.stdout)
    return found


def _span(finding: dict[str, object]) -> tuple[object, ...]:
    location, end = finding["location"], finding["end_location"]
    assert isinstance(location, dict) and isinstance(end, dict)
    return (location["row"], location["column"], end["row"], end["column"])


def test_a_returned_value_is_underlined_over_the_whole_call_and_names_the_function(tmp_path: Path) -> None:
    """py-postgresql-lock psycopg2.py:21 was underlined on one character (21:18-21:19)."""
    main = """\
    import psycopg2
    from lib.locks import Lock, lock_sql, xact_sql


    def acquire(cur, lock: Lock):
        query = lock.lock_query()
        cur.execute(query)
        cur.execute(lock_sql())
        cur.execute(xact_sql())
    """
    found = _findings(tmp_path, {"pyproject.toml": "", "lib/__init__.py": "", "lib/locks.py": LOCKS, "app.py": main})
    assert [(finding["code"], _span(finding)) for finding in found] == [
        ("PIN019", (6, 13, 6, 30)),  # `lock.lock_query()`, every character of it
        ("PIN019", (8, 17, 8, 27)),  # `lock_sql()`; `xact_sql()` (a transaction lock) is quiet
    ]
    assert [finding["message"] for finding in found] == [
        "`pg_advisory_lock()` takes or releases a session-level advisory lock (`lock.lock_query()` returns it"
        " from lib/locks.py:15 and it reaches `cur.execute()` on line 7) (when `scope == 'session'` is true)",
        "`pg_advisory_lock()` takes or releases a session-level advisory lock (`lock_sql()` returns it"
        " from lib/locks.py:1 and it reaches `cur.execute()` on line 8)",
    ]


def test_text_joined_to_a_returned_value_keeps_the_position_of_its_own_literal(tmp_path: Path) -> None:
    """Only a value the call gives whole is underlined as the call: `"LISTEN " + channel()` starts at
    its literal and says nothing of a function elsewhere (the keyword is written here)."""
    names = 'def channel():\n    return "jobs"\n'
    main = """\
    import psycopg2
    from lib.names import channel


    def listen(cur):
        cur.execute("LISTEN " + channel())
    """
    found = _findings(tmp_path, {"pyproject.toml": "", "lib/__init__.py": "", "lib/names.py": names, "app.py": main})
    assert [(finding["code"], _span(finding)) for finding in found] == [("PIN014", (6, 18, 6, 30))]
    assert "returns it from" not in str(found[0]["message"])
