"""Suppressions: codes are required, and each form silences only what it names."""

from __future__ import annotations

from conftest import codes

LISTEN = 'cur.execute("LISTEN jobs")'


def test_noqa_with_code_on_the_finding_line() -> None:
    assert codes(f"{LISTEN}  # noqa: PIN014\n") == []
    assert codes(f"{LISTEN}  # noqa: PIN001\n") == ["PIN014"]
    assert codes(f"{LISTEN}  # noqa: E501, PIN014\n") == []
    assert codes(f"{LISTEN}  # NOQA:PIN014\n") == []


def test_bare_noqa_does_not_silence_pinlint() -> None:
    assert codes(f"{LISTEN}  # noqa\n") == ["PIN014"]


def test_noqa_on_the_closing_quote_line_or_the_first_line_of_the_call() -> None:
    multi = 'cur.execute(\n    """\n    LISTEN jobs\n    """{noqa}\n){call}\n'
    assert codes(multi.format(noqa="", call="")) == ["PIN014"]
    assert codes(multi.format(noqa="  # noqa: PIN014", call="")) == []
    first = 'cur.execute(  # noqa: PIN014\n    """\n    LISTEN jobs\n    """\n)\n'
    assert codes(first) == []
    unrelated_line = 'cur.execute(\n    """\n    LISTEN jobs\n    """\n)  # noqa: PIN014\n'
    assert codes(unrelated_line) == ["PIN014"]


def test_noqa_on_the_constant_that_reaches_a_sink() -> None:
    source = 'SQL = "LISTEN jobs"  # noqa: PIN014\ncur.execute(SQL)\n'
    assert codes(source) == []


def test_file_level_noqa() -> None:
    body = f"{LISTEN}\ncur.execute('SET search_path TO x')\n"
    assert codes("# pinlint: noqa\n" + body) == []
    assert codes("# pinlint: noqa: PIN014\n" + body) == ["PIN001"]
    assert sorted(codes("x = 1  # pinlint: noqa is mentioned in a comment\n" + body)) == ["PIN001", "PIN014"]


def test_noqa_inside_sql() -> None:
    assert codes('cur.execute("LISTEN jobs -- noqa: PIN014")') == []
    assert codes("LISTEN jobs; -- noqa: PIN014\nLISTEN other;\n", "m.sql") == ["PIN014"]
    assert codes("-- pinlint: ignore PIN014\nLISTEN jobs;\nLISTEN other;\n", "m.sql") == ["PIN014"]
    assert codes("LISTEN jobs; -- noqa\n", "m.sql") == ["PIN014"]


def test_per_file_ignores() -> None:
    ignores = {"migrations/*.sql": ("PIN001",)}
    assert codes("SET search_path TO x;", "migrations/001.sql", per_file_ignores=ignores) == []
    assert codes("SET search_path TO x;", "app/query.sql", per_file_ignores=ignores) == ["PIN001"]


def test_unused_noqa_is_off_by_default_and_reports_stale_comments(tmp_path) -> None:
    from conftest import run_cli

    (tmp_path / "db.py").write_text(
        'cur.execute("SET LOCAL search_path TO x")  # noqa: PIN001\n'
        'cur.execute("LISTEN jobs")  # noqa: PIN014\n'
        'cur.execute("SELECT 1")  # noqa: E501, PIN019\n'
        "x = 1  # noqa: PIN999\n",
        encoding="utf-8",
    )
    default = run_cli("check", "--output-format", "concise", "-q", ".", cwd=tmp_path)
    assert default.returncode == 0 and default.stdout == ""
    enabled = run_cli("check", "--extend-select", "unused-noqa", "--output-format", "concise", "-q", ".", cwd=tmp_path)
    assert [line.split(" ", 2)[:2] for line in enabled.stdout.splitlines()] == [
        ["db.py:1:44:", "PIN100"],
        ["db.py:3:26:", "PIN100"],
        ["db.py:4:8:", "PIN100"],  # PIN999 is no rule's code
    ]
    assert "Unused `noqa` for PIN019" in enabled.stdout
    assert "`PIN999` is not a rule code" in enabled.stdout
    only_listen = run_cli("check", "--select", "PIN014,PIN100", "-q", "--output-format", "concise", ".", cwd=tmp_path)
    # PIN001 and PIN019 did not run, so their comments are not judged; PIN999 names no rule at all
    assert [line.split(" ", 2)[:2] for line in only_listen.stdout.splitlines()] == [["db.py:4:8:", "PIN100"]]
    everything = run_cli("check", "--select", "ALL", "-q", "--output-format", "concise", ".", cwd=tmp_path)
    assert everything.stdout.count("PIN100") == 3


def test_noqa_on_the_closing_quote_line_covers_every_rule_of_the_string() -> None:
    prepare = 'import asyncpg\nasync def f(con):\n    stmt = await con.prepare("""\n        SELECT 1\n    """){noqa}\n'
    assert codes(prepare.format(noqa="")) == ["PIN036"]
    assert codes(prepare.format(noqa="  # noqa: PIN036")) == []
    assert codes(prepare.format(noqa="  # noqa: PIN001")) == ["PIN036"]
    fstring = 'cur.execute(f"""\n    LISTEN {{name}}\n"""){noqa}\n'
    assert codes(fstring.format(noqa="")) == ["PIN014"]
    assert codes(fstring.format(noqa="  # noqa: PIN014")) == []


def test_noqa_takes_codes_and_says_so_for_a_prefix_or_a_rule_name(tmp_path) -> None:
    from conftest import run_cli

    (tmp_path / "db.py").write_text(
        'cur.execute("SET search_path TO a")  # noqa: PIN0\n'
        'cur.execute("SET search_path TO b")  # noqa: session-set\n'
        'cur.execute("SET search_path TO c")  # noqa: E501, PIN001 because of the migration\n',
        encoding="utf-8",
    )
    default = run_cli("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert [line.split(" ", 2)[:2] for line in default.stdout.splitlines()[:-1]] == [
        ["db.py:1:14:", "PIN001"],
        ["db.py:2:14:", "PIN001"],
    ]  # as in ruff, a prefix or a name silences nothing; the whole code does
    assert "pinlint: note: db.py: line 1: `noqa` entry `PIN0` is not a rule code" in default.stderr
    assert "(and 1 more)" in default.stderr
    enabled = run_cli("check", "--extend-select", "PIN100", "--output-format", "concise", "-q", ".", cwd=tmp_path)
    reports = [line for line in enabled.stdout.splitlines() if " PIN100 " in line]
    assert reports == [
        "db.py:1:38: PIN100 `noqa` entry `PIN0` is not a rule code: noqa takes whole codes, not a prefix,"
        " so it silences nothing",
        "db.py:2:38: PIN100 `noqa` entry `session-set` is a rule name: noqa takes its code, `PIN001`,"
        " so it silences nothing",
    ]  # E501 is another tool's, and the prose after the codes is not judged
    assert "pinlint: note:" not in enabled.stderr  # PIN100 says it: no note besides
