"""The RDS Data API rules (PIN401-PIN408): which calls are Data API calls, and what each check reads."""

from __future__ import annotations

from pathlib import Path

from conftest import codes, lint, run_cli

CLIENT = 'import boto3\n\nrds_data = boto3.client("rds-data")\n'


def data_api_codes(source: str) -> list[str]:
    return [code for code in codes(source) if code.startswith("PIN4")]


def test_only_calls_on_an_rds_data_client_are_read() -> None:
    dynamo = 'import boto3\n\ntable = boto3.client("dynamodb")\ntable.execute_statement(Statement="SELECT * FROM t")\n'
    untraced = "def run(client):\n    client.execute_statement(resourceArn=A, secretArn=S, sql='SELECT * FROM t')\n"
    assert data_api_codes(dynamo) == []
    assert data_api_codes(untraced) == []
    traced = CLIENT + "rds_data.execute_statement(resourceArn=A, secretArn=S, sql='SELECT * FROM t')\n"
    assert data_api_codes(traced) == ["PIN401"]


def test_clients_made_by_sessions_attributes_annotations_and_aioboto3() -> None:
    attribute = (
        "import boto3\n\nclass Repo:\n    def __init__(self):\n"
        "        self.db = boto3.Session().client(service_name='rds-data')\n"
        "    def all(self):\n"
        "        return self.db.execute_statement(resourceArn=A, secretArn=S, sql='SELECT * FROM t')\n"
    )
    annotated = (
        "from mypy_boto3_rds_data import RDSDataServiceClient\n\n"
        "def all(db: RDSDataServiceClient):\n    return db.execute_sql(sqlStatements='SELECT 1')\n"
    )
    aio = (
        "import aioboto3\n\nasync def handler(event, context):\n"
        "    async with aioboto3.Session().client('rds-data') as db:\n"
        "        await db.execute_statement(\n"
        "            resourceArn=A, secretArn=S, schema='x', sql='DELETE FROM t WHERE id = :id'\n"
        "        )\n"
    )
    assert data_api_codes(attribute) == ["PIN401"]
    assert data_api_codes(annotated) == ["PIN405"]
    assert data_api_codes(aio) == ["PIN403"]


def test_a_client_made_in_both_branches_of_a_conditional() -> None:
    source = (
        "import boto3\n\nclient = boto3.client('rds-data', region_name=R) if R else boto3.client('rds-data')\n"
        "client.execute_sql(sqlStatements='SELECT 1')\n"
    )
    assert data_api_codes(source) == ["PIN405"]


def test_a_client_returned_by_a_lazy_module_function() -> None:
    source = (
        "import boto3\n\n_client = None\n\ndef get_client():\n    global _client\n    if _client is None:\n"
        "        _client = boto3.client('rds-data')\n    return _client\n\n"
        "def handler(event, context):\n    get_client().execute_statement(sql='SELECT * FROM orders')\n"
        "    db = get_client()\n    db.execute_sql(sqlStatements='SELECT 1')\n"
    )
    assert data_api_codes(source) == ["PIN401", "PIN405"]


def test_a_name_also_bound_to_another_object_is_not_a_client() -> None:
    source = CLIENT + "rds_data = make_other()\nrds_data.execute_statement(sql='SELECT * FROM t')\n"
    assert data_api_codes(source) == []


def test_select_shapes_that_stay_quiet_and_those_that_do_not() -> None:
    quiet = [
        "SELECT * FROM t LIMIT 50",
        "SELECT id FROM t ORDER BY id FETCH FIRST 10 ROWS ONLY",
        "SELECT count(*), max(total) FROM orders WHERE status = :s",
        "SELECT now()",
        "SELECT * FROM users WHERE user_id = :id",
        "WITH x AS (SELECT * FROM t) SELECT * FROM x LIMIT 5",
        "INSERT INTO t SELECT * FROM u",
    ]
    loud = [
        "SELECT status, count(*) FROM orders GROUP BY status",
        "SELECT json_agg(o) FROM orders o",
        "SELECT * FROM t WHERE id IN (SELECT id FROM u LIMIT 5)",
        "SELECT * FROM t WHERE x IN (SELECT x FROM u WHERE user_id = :id)",
        "SELECT a FROM t UNION SELECT a FROM u",
    ]
    for sql in quiet:
        assert data_api_codes(CLIENT + f"rds_data.execute_statement(sql={sql!r})\n") == [], sql
    for sql in loud:
        assert data_api_codes(CLIENT + f"rds_data.execute_statement(sql={sql!r})\n") == ["PIN401"], sql
    # dynamic parts: a table name is an operand; a part after a finished clause may be the LIMIT
    assert data_api_codes(CLIENT + 'rds_data.execute_statement(sql=f"SELECT * FROM {table}")\n') == ["PIN401"]
    assert data_api_codes(CLIENT + 'rds_data.execute_statement(sql=f"SELECT * FROM t WHERE a = {a}")\n') == ["PIN401"]
    assert data_api_codes(CLIENT + 'rds_data.execute_statement(sql=f"SELECT * FROM t {page}")\n') == []
    assert data_api_codes(CLIENT + 'rds_data.execute_statement(sql=f"SELECT * FROM t ORDER BY x {page}")\n') == []


def test_sql_over_65536_characters_and_not_at_it() -> None:
    def source(length: int) -> str:
        sql = "SELECT 1 -- " + "x" * (length - len("SELECT 1 -- "))
        return CLIENT + f"rds_data.execute_statement(resourceArn=A, secretArn=S, sql={sql!r})\n"

    over = [finding for finding in lint(source(65_537)) if finding.code != "PIN020"]  # (also over 16 KiB)
    assert [finding.code for finding in over] == ["PIN404"]
    assert "65,537 characters" in over[0].message
    assert (over[0].line, over[0].column) == (4, 56)  # the `sql` keyword
    assert data_api_codes(source(65_536)) == []


def test_session_state_is_quiet_inside_a_transaction() -> None:
    outside = CLIENT + "rds_data.execute_statement(sql='SET search_path TO a')\n"
    inside = CLIENT + "rds_data.execute_statement(sql='SET search_path TO a', transactionId=tx)\n"
    local = CLIENT + "rds_data.execute_statement(sql='SET LOCAL search_path TO a')\n"
    assert "PIN406" in codes(outside)
    assert "PIN406" not in codes(inside)
    assert "PIN406" not in codes(local)


def test_transaction_paths() -> None:
    def in_function(body: str) -> str:
        lines = "\n".join(f"    {line}" for line in body.splitlines())
        return CLIENT + f"\ndef work():\n    tx = rds_data.begin_transaction(resourceArn=A)['transactionId']\n{lines}\n"

    never = in_function("rds_data.execute_statement(sql=Q, transactionId=tx)")
    in_finally = in_function(
        "try:\n    rds_data.execute_statement(sql=Q, transactionId=tx)\n"
        "finally:\n    rds_data.rollback_transaction(transactionId=tx)"
    )
    passed_on = in_function("finish(tx)")
    logged = in_function("logger.info('began %s', tx)\nprint(str(tx))")
    found = [finding for finding in lint(never) if finding.code == "PIN407"]
    assert len(found) == 1 and "never calls `commit_transaction`" in found[0].message
    assert data_api_codes(in_finally) == []
    assert data_api_codes(passed_on) == []
    assert data_api_codes(logged) == ["PIN407"]  # logging the id does not end the transaction


def test_transaction_in_a_module_level_dict() -> None:
    source = CLIENT + (
        "STATE = {}\n\ndef handler(event, context):\n    STATE['tx'] = rds_data.begin_transaction(resourceArn=A)\n"
    )
    found = [finding for finding in lint(source) if finding.code == "PIN408"]
    assert len(found) == 1 and "module-level `STATE`" in found[0].message


def test_data_api_findings_stay_with_every_target(tmp_path: Path) -> None:
    """They are about the Data API, not a pooler: `--target` keeps them whichever pooler it names."""
    (tmp_path / "app.py").write_text(CLIENT + "rds_data.execute_statement(sql='SELECT * FROM t')\n")
    for target in ("pgbouncer", "rds-proxy", "proxysql"):
        arguments = ("check", "--no-cache", "--output-format", "concise", "--target", target, "app.py")
        result = run_cli(*arguments, cwd=tmp_path)
        assert "PIN401" in result.stdout, target
