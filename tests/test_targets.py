"""`--target auto` (pinlint.targets, pinlint.infra.targets): each file's findings are reported for
the pooler its Lambda function goes through, as the project's infrastructure, docker-compose
files or configuration show it, with what decided; unknown means every target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, run_cli

# A session SET of a parameter PgBouncer tracks (PIN002: pins RDS Proxy, ok on PgBouncer) and one
# it does not (PIN001: pins RDS Proxy, breaks PgBouncer).
HANDLER = """\
import psycopg

_connection = None


def handler(event, context):
    global _connection
    if _connection is None:
        _connection = psycopg.connect("", prepare_threshold=None)
    with _connection.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
        cur.execute("SET search_path TO app, public")
"""
PER_INVOCATION = """\
import psycopg


def handler(event, context):
    connection = psycopg.connect("", prepare_threshold=None)
    connection.execute("SET search_path TO app, public")
"""
SAM = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: api/
      Handler: app.handler
      Environment:
        Variables:
          DB_HOST: {host}
  Proxy:
    Type: AWS::RDS::DBProxy
    Properties:
      EngineFamily: POSTGRESQL
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties:
      Engine: aurora-postgresql
"""


def _write(directory: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _json(directory: Path, *args: str) -> list[dict[str, Any]]:
    result = run_cli("check", "--no-cache", "--output-format", "json", *args, cwd=directory)
    assert result.returncode in (0, 1), result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def _codes(items: list[dict[str, Any]], filename: str = "") -> dict[str, dict[str, str]]:
    return {item["code"]: item["targets"] for item in items if item["filename"].endswith(filename)}


def test_a_function_behind_rds_proxy_gets_the_rds_proxy_verdicts_and_says_why(tmp_path: Path) -> None:
    _write(tmp_path, {"template.yaml": SAM.format(host="!GetAtt Proxy.Endpoint"), "api/app.py": HANDLER})
    items = _json(tmp_path, "api")
    assert _codes(items) == {"PIN002": {"rds-proxy": "pins"}, "PIN001": {"rds-proxy": "pins"}}
    assert {item["pooler"] for item in items} == {
        "through RDS Proxy: DB_HOST: !GetAtt Proxy.Endpoint (template.yaml line 10)"
    }
    full = run_cli("check", "--no-cache", "api/app.py", cwd=tmp_path).stdout
    assert "= pooler: through RDS Proxy: DB_HOST: !GetAtt Proxy.Endpoint (template.yaml line 10)" in full


def test_all_and_an_explicit_target_turn_the_inference_off(tmp_path: Path) -> None:
    _write(tmp_path, {"template.yaml": SAM.format(host="!GetAtt Proxy.Endpoint"), "api/app.py": HANDLER})
    everything = _json(tmp_path, "--target", "all", "api")
    assert _codes(everything)["PIN001"] == {"rds-proxy": "pins", "pgbouncer": "breaks"}
    assert all(item["pooler"] is None for item in everything)
    chosen = _json(tmp_path, "--target", "pgbouncer", "api")
    assert set(_codes(chosen)) == {"PIN001"}


def test_a_direct_connection_keeps_only_the_connection_findings(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "template.yaml": SAM.format(host="!GetAtt Cluster.Endpoint.Address"),
            "api/app.py": PER_INVOCATION,
            "api/shared.py": HANDLER,
        },
    )
    items = _json(tmp_path, "api")
    assert _codes(items, "shared.py") == {}  # no pooler shares the session: SET is fine
    # a connection per invocation matters most without a pooler
    assert _codes(items, "app.py") == {"PIN022": {"direct": "churns"}}


def test_a_neon_pooler_host_in_serverless_yml_means_pgbouncer(tmp_path: Path) -> None:
    serverless = """\
service: api
provider:
  name: aws
  environment:
    DATABASE_URL: postgresql://app@ep-cool-name-123456-pooler.us-east-2.aws.neon.tech/app
functions:
  api:
    handler: handlers/app.handler
"""
    _write(tmp_path, {"serverless.yml": serverless, "handlers/app.py": HANDLER})
    items = _json(tmp_path, ".")
    assert _codes(items) == {"PIN001": {"pgbouncer": "breaks"}}  # PgBouncer tracks TimeZone
    assert "Neon's pooled (`-pooler`) host" in items[0]["pooler"]


def test_terraform_proxy_endpoint_and_port_6432(tmp_path: Path) -> None:
    terraform = """\
data "archive_file" "api" {
  type        = "zip"
  source_dir  = "${path.module}/../src"
  output_path = "${path.module}/build/api.zip"
}
resource "aws_db_proxy" "main" {
  name          = "main"
  engine_family = "POSTGRESQL"
}
resource "aws_lambda_function" "api" {
  handler  = "app.handler"
  filename = data.archive_file.api.output_path
  environment {
    variables = {
      DB_HOST = aws_db_proxy.main.endpoint
    }
  }
}
resource "aws_lambda_function" "worker" {
  handler  = "worker.handler"
  filename = data.archive_file.api.output_path
  environment {
    variables = {
      DB_HOST = "bouncer.internal"
      DB_PORT = "6432"
    }
  }
}
"""
    _write(tmp_path, {"infra/main.tf": terraform, "src/app.py": HANDLER, "src/worker.py": HANDLER})
    items = _json(tmp_path, ".")
    assert _codes(items, "app.py") == {"PIN002": {"rds-proxy": "pins"}, "PIN001": {"rds-proxy": "pins"}}
    assert _codes(items, "worker.py") == {"PIN001": {"pgbouncer": "breaks"}}
    assert "DB_HOST = aws_db_proxy.main.endpoint (infra/main.tf line 15)" in items[0]["pooler"]


def test_a_module_under_the_code_roots_of_several_functions_gets_each_of_their_poolers(tmp_path: Path) -> None:
    template = """\
Resources:
  Proxied:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: proxied.handler
      Environment:
        Variables:
          DB_HOST: orders.proxy-abc123.us-east-1.rds.amazonaws.com
  Pooled:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: pooled.handler
      Environment:
        Variables:
          DB_HOST: db.internal:6543
"""
    _write(tmp_path, {"template.yaml": template, "src/shared.py": HANDLER, "src/proxied.py": HANDLER})
    items = _json(tmp_path, ".")
    assert _codes(items, "proxied.py") == {"PIN002": {"rds-proxy": "pins"}, "PIN001": {"rds-proxy": "pins"}}
    assert _codes(items, "shared.py") == {
        "PIN002": {"rds-proxy": "pins"},
        "PIN001": {"rds-proxy": "pins", "pgbouncer": "breaks"},
    }
    # one function of the code root shows nothing: the shared module is unknown, every target
    _write(
        tmp_path,
        {
            "template.yaml": template + "  Other:\n    Type: AWS::Serverless::Function\n"
            "    Properties:\n      CodeUri: src/\n      Handler: other.handler\n"
        },
    )
    items = _json(tmp_path, ".")
    assert _codes(items, "shared.py")["PIN002"] == {"rds-proxy": "pins", "pgbouncer": "ok"}
    assert all(item["pooler"] is None for item in items if item["filename"].endswith("shared.py"))


def test_docker_compose_pgbouncer_service(tmp_path: Path) -> None:
    compose = """\
services:
  db:
    image: postgres:16
  pgbouncer:
    image: edoburu/pgbouncer:1.22
  worker:
    build: ./worker
    environment:
      DATABASE_URL: postgres://app@pgbouncer:5432/app
  reports:
    build:
      context: ./reports
    environment:
      - DATABASE_URL=postgres://app@db:5432/app
"""
    _write(tmp_path, {"docker-compose.yml": compose, "worker/app.py": HANDLER, "reports/app.py": HANDLER})
    items = _json(tmp_path, ".")
    assert _codes(items, "worker/app.py") == {"PIN001": {"pgbouncer": "breaks"}}
    (worker,) = [item for item in items if item["filename"].endswith("worker/app.py")]
    assert "DATABASE_URL: postgres://app@pgbouncer:5432/app (docker-compose.yml line 9)" in worker["pooler"]
    # a service that names the database directly is a development set-up: it decides nothing
    assert _codes(items, "reports/app.py")["PIN002"] == {"rds-proxy": "pins", "pgbouncer": "ok"}


def test_per_path_target_wins_and_is_checked(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "template.yaml": SAM.format(host="!GetAtt Proxy.Endpoint"),
            "api/app.py": HANDLER,
            "pinlint.toml": '[per-path-target]\n"api/**" = "pgbouncer"\n',
        },
    )
    items = _json(tmp_path, ".")
    assert _codes(items) == {"PIN001": {"pgbouncer": "breaks"}}
    assert items[0]["pooler"] == "through PgBouncer (transaction mode): `per-path-target` `api/**` in the configuration"
    (tmp_path / "pinlint.toml").write_text('[per-path-target]\n"api/**" = "bouncer"\n', encoding="utf-8")
    bad = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert bad.returncode == 2 and "`per-path-target`" in bad.stderr


def test_the_decision_is_part_of_the_cache_key(tmp_path: Path) -> None:
    _write(tmp_path, {"template.yaml": SAM.format(host="!GetAtt Proxy.Endpoint"), "api/app.py": HANDLER})
    first = run_cli("check", "--output-format", "json", "api", cwd=tmp_path)
    assert set(_codes(json.loads(first.stdout))) == {"PIN001", "PIN002"}
    (tmp_path / "template.yaml").write_text(SAM.format(host="!GetAtt Cluster.Endpoint.Address"), encoding="utf-8")
    second = run_cli("check", "--output-format", "json", "api", cwd=tmp_path)
    assert json.loads(second.stdout) == []  # the file did not change; its function's pooler did


def test_cdk_function_wired_to_a_proxy_endpoint(tmp_path: Path) -> None:
    app = """\
import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds


class Stack(cdk.Stack):
    def __init__(self, scope, construct_id):
        super().__init__(scope, construct_id)
        self.cluster = rds.DatabaseCluster(self, "Db", engine=rds.DatabaseClusterEngine.aurora_postgres())
        self.proxy = rds.DatabaseProxy(self, "Proxy", proxy_target=rds.ProxyTarget.from_cluster(self.cluster))
        lambda_.Function(
            self,
            "Api",
            handler="app.handler",
            code=lambda_.Code.from_asset("lambda/api"),
            environment={"DB_HOST": self.proxy.endpoint},
        )
"""
    _write(tmp_path, {"cdk.json": "{}", "infra/app.py": app, "lambda/api/app.py": HANDLER})
    items = _json(tmp_path, ".")
    assert _codes(items, "lambda/api/app.py") == {"PIN002": {"rds-proxy": "pins"}, "PIN001": {"rds-proxy": "pins"}}
    assert '"DB_HOST": self.proxy.endpoint' in items[0]["pooler"] and "app.py line 16" in items[0]["pooler"]


def test_a_data_api_function_gets_the_data_api_finding_not_the_poolers_one(tmp_path: Path) -> None:
    code = """\
import boto3

client = boto3.client("rds-data")


def handler(event, context):
    client.execute_statement(resourceArn="arn", secretArn="arn", sql="SET search_path TO app")
"""
    template = """\
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: api/
      Handler: app.handler
      Environment:
        Variables:
          CLUSTER_ARN: arn:aws:rds:us-east-1:123456789012:cluster:orders
"""
    _write(tmp_path, {"template.yaml": template, "api/app.py": code})
    items = _json(tmp_path, ".")
    # the Data API rule says what the SET does there; PIN001's pooler consequences would not apply
    assert [item["code"] for item in items] == ["PIN406"]
    outside = code.replace('"rds-data"', '"rds"').replace(
        'client.execute_statement(resourceArn="arn", secretArn="arn", sql=', "cur.execute("
    )
    _write(tmp_path, {"api/app.py": outside})
    assert [item["code"] for item in _json(tmp_path, ".")] == ["PIN001"]


ALL_TARGETS = sorted(path.parent for path in FIXTURES.glob("*/expected-findings-target-all.txt"))


@pytest.mark.parametrize("project", ALL_TARGETS, ids=[project.name for project in ALL_TARGETS])
def test_fixture_with_every_target_finds_what_auto_narrowed_away(project: Path) -> None:
    """Each infrastructure fixture beside its `--target auto` findings (expected-findings.txt)
    lists its `--target all` ones: the difference is what the functions' poolers made moot."""
    expected = (project / "expected-findings-target-all.txt").read_text(encoding="utf-8").splitlines()
    result = run_cli("check", "--no-cache", "--output-format", "concise", "--quiet", "--target", "all", cwd=project)
    assert result.stdout.splitlines() == expected
    auto = set((project / "expected-findings.txt").read_text(encoding="utf-8").splitlines())
    assert auto <= set(expected)


def test_show_settings_names_each_handlers_pooler(tmp_path: Path) -> None:
    _write(tmp_path, {"template.yaml": SAM.format(host="!GetAtt Proxy.Endpoint"), "api/app.py": HANDLER})
    shown = run_cli("check", "--show-settings", ".", cwd=tmp_path).stdout.splitlines()
    assert "# handler: api/app.py:handler (declared in template.yaml line 7)" in shown
    assert "# pooler: api/app.py: through RDS Proxy: DB_HOST: !GetAtt Proxy.Endpoint (template.yaml line 10)" in shown
    everything = run_cli("check", "--show-settings", "--target", "all", ".", cwd=tmp_path).stdout
    assert "# pooler:" not in everything


def test_a_module_that_names_its_pooler_host_decides_for_itself(tmp_path: Path) -> None:
    code = HANDLER.replace(
        'psycopg.connect("", prepare_threshold=None)',
        'psycopg.connect(host="app-db.proxy-c7leamkjhfqz.us-east-1.rds.amazonaws.com", prepare_threshold=None)',
    )
    documented = '"""Connect through ep-cool-123-pooler.us-east-2.aws.neon.tech in production."""\n' + HANDLER
    _write(tmp_path, {"app.py": code, "documented.py": documented})
    items = _json(tmp_path, ".")
    own = [item for item in items if item["filename"] == "app.py"]
    assert {item["code"]: item["targets"] for item in own} == {
        "PIN002": {"rds-proxy": "pins"},
        "PIN001": {"rds-proxy": "pins"},
    }
    (pooler,) = {item["pooler"] for item in own}
    assert pooler.startswith("through RDS Proxy: `app-db.proxy-c7leamkjhfqz.us-east-1.rds.amazonaws.com` (")
    assert "line 9), an RDS Proxy host" in pooler
    # a host in a docstring is documentation, not a connection: every target
    assert _codes(items, "documented.py")["PIN002"] == {"rds-proxy": "pins", "pgbouncer": "ok"}


def test_a_finding_about_no_pooler_is_kept_whatever_the_route(tmp_path: Path) -> None:
    code = HANDLER.replace("\"SET TIME ZONE 'UTC'\")", '"SELECT 1")  # noqa: PIN001')
    _write(tmp_path, {"template.yaml": SAM.format(host="!GetAtt Proxy.Endpoint"), "api/app.py": code})
    items = _json(tmp_path, "--extend-select", "PIN100", "api")
    assert {item["code"] for item in items} == {"PIN001", "PIN100"}  # the unused noqa is not a pooler's matter


def test_a_compose_file_no_parser_can_read_decides_nothing(tmp_path: Path) -> None:
    nested = "services:\n  x: " + "[" * 5000 + "]" * 5000 + "\n"
    _write(tmp_path, {"docker-compose.yml": nested, "worker/app.py": HANDLER})
    result = run_cli("check", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert {item["code"] for item in json.loads(result.stdout)} == {"PIN001", "PIN002"}


def _routes(variables: dict[str, str]) -> list[str]:
    from pinlint.infra.model import Span, Value
    from pinlint.targets import routes_of

    span = Span("template.yaml", 1, 1, 1, 2)
    environment = Value({key: Value(value, span) for key, value in variables.items()}, span)
    return [route.target for route in routes_of(environment, {}, {})]


def test_hosts_and_ports_that_say_which_pooler() -> None:
    assert _routes({"DATABASE_URL": "postgres://u@aws-0-eu-west-1.pooler.supabase.com:6543/postgres"}) == ["pgbouncer"]
    assert _routes({"DATABASE_URL": "postgres://u@aws-0-eu-west-1.pooler.supabase.com:5432/postgres"}) == ["direct"]
    assert _routes({"DATABASE_URL": "postgres://u@db.abcdefgh.supabase.co:5432/postgres"}) == ["direct"]
    assert _routes({"PGHOST": "ep-cool-123.us-east-2.aws.neon.tech"}) == ["direct"]
    assert _routes({"PGHOST": "ep-cool-123-pooler.us-east-2.aws.neon.tech"}) == ["pgbouncer"]
    assert _routes({"DB_HOST": "orders.cluster-abc.us-east-1.rds.amazonaws.com"}) == ["direct"]
    assert _routes({"DB_HOST": "orders.proxy-abc.us-east-1.rds.amazonaws.com"}) == ["rds-proxy"]
    # a pooler's port decides when the host says nothing, and is not a host's port elsewhere
    assert _routes({"DB_HOST": "bouncer.internal", "DB_PORT": "6432"}) == ["pgbouncer"]
    assert _routes({"DB_HOST": "orders.proxy-abc.us-east-1.rds.amazonaws.com", "DB_PORT": "6432"}) == ["rds-proxy"]
    assert _routes({"DB_HOST": "db.internal", "DB_PORT": "5432", "MAX_ITEMS": "6432"}) == []
