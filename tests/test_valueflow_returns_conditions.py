"""The conditions of SQL a function returns (pinlint.extract.values): an early ``return`` inside
``if`` says when the later ones are reached, as ``a if x else b`` does."""

from __future__ import annotations

import textwrap

from conftest import lint


def messages(source: str) -> list[tuple[str, int, str]]:
    return [(f.code, f.line, f.message) for f in lint(textwrap.dedent(source), "app.py")]


def test_a_return_after_an_if_that_returns_says_when_it_is_reached() -> None:
    source = """\
    def lock_sql(xact):
        if xact:
            return "SELECT pg_advisory_xact_lock(1)"
        return "SELECT pg_advisory_lock(1)"

    def unlock_sql(shared):
        if not shared:
            raise ValueError("exclusive only")
        return "SELECT pg_advisory_unlock_shared(1)" if shared else "SELECT 1"

    def run(cur, xact, shared):
        cur.execute(lock_sql(xact))
        cur.execute(unlock_sql(shared))
    """
    assert messages(source) == [
        (
            "PIN019",
            4,
            "`pg_advisory_lock()` takes or releases a session-level advisory lock"
            " (`lock_sql()` reaches `cur.execute()` on line 12) (when `xact` is false)",
        ),
        (
            "PIN019",
            9,
            "`pg_advisory_unlock_shared()` takes or releases a session-level advisory lock"
            " (`unlock_sql()` reaches `cur.execute()` on line 13)",  # one value left: `shared` is true
        ),
    ]


def test_an_if_that_does_not_always_return_adds_no_condition_to_what_follows() -> None:
    """Decoys: the `if` block only logs, or returns on one path of two."""
    source = """\
    def lock_sql(xact, log, nowait):
        if xact:
            log.info("xact requested")
        if nowait:
            if xact:
                return "SELECT pg_try_advisory_xact_lock(1)"
        return "SELECT pg_advisory_lock(1)" if log else "SELECT pg_advisory_xact_lock(1)"

    def run(cur, xact, log, nowait):
        cur.execute(lock_sql(xact, log, nowait))
    """
    ((code, line, message),) = messages(source)
    assert (code, line) == ("PIN019", 7)
    assert message.endswith("(`lock_sql()` reaches `cur.execute()` on line 10) (when `log` is true)")
