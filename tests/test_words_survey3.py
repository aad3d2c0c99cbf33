"""Words the real-code survey (survey3) found confusing: PIN014 on an `UNLISTEN *` clean-up, and
the declaration warnings for image functions whose Dockerfile or build context pinlint cannot
use, which now say why."""

from __future__ import annotations

from conftest import lint


def test_unlisten_is_not_described_as_listening() -> None:
    [finding] = lint('cur.execute("UNLISTEN *")\n')
    assert finding.code == "PIN014"
    assert finding.message == "`UNLISTEN` changes which notifications one database session receives"
    assert "UNLISTEN there drops the subscriptions of whichever client" in finding.consequence
    assert "clean-up" in finding.fix
