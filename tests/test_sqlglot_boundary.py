"""Whatever sqlglot raises on a statement, the statement keeps its keyword-level findings and the
run goes on (issue 18, reproducer 09_sqlglot_unboundlocal_crash.sh)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import codes
from pinlint.cli import main

PARTITION_OF = "create temp table t1 partition of t"  # sqlglot 30 raises UnboundLocalError here


def test_an_unexpected_sqlglot_exception_keeps_the_keyword_level_finding_in_sql_and_python() -> None:
    assert codes(f"{PARTITION_OF};\n", "x.sql") == ["PIN010"]
    assert codes(f'import psycopg2\ncur.execute("{PARTITION_OF} for x")\n', "y.py") == ["PIN010"]


def test_the_reproducer_run_lints_every_file_and_exits_with_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.sql").write_text(f"{PARTITION_OF};\n", encoding="utf-8")
    (tmp_path / "good.sql").write_text("SET a = 1;\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["check", "--no-cache", "--output-format", "concise", str(tmp_path)])
    out, err = capsys.readouterr()
    assert exited.value.code == 1, err
    assert err == ""
    found = sorted((Path(line.split(":")[0]).name, line.split(" ")[1]) for line in out.splitlines() if " PIN" in line)
    assert found == [("good.sql", "PIN001"), ("x.sql", "PIN010")]


@pytest.mark.parametrize("error", [ZeroDivisionError, KeyError, AttributeError, RecursionError, MemoryError])
def test_any_exception_from_the_parser_means_sqlglot_cannot_read_the_statement(
    monkeypatch: pytest.MonkeyPatch, error: type[BaseException]
) -> None:
    import sqlglot

    def broken(*args: object, **kwargs: object) -> None:
        raise error("inside sqlglot")

    monkeypatch.setattr(sqlglot, "parse", broken)
    # PIN010's tree condition cannot be asked: the token pattern decides, for every statement.
    assert codes("CREATE TEMP TABLE a (id int);\nCREATE TEMP TABLE b (id int);\n", "m.sql") == ["PIN010", "PIN010"]
