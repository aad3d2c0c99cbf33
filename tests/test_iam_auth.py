"""The IAM authentication rules: a token made at import for later connections (PIN410), and a new
IAM connection straight to the database on every invocation (PIN411)."""

from __future__ import annotations

from pathlib import Path

from conftest import codes, lint, run_cli

HELPERS = """import boto3
import pymysql
from os import environ

client = boto3.client("rds")


def create_connection_token():
    return client.generate_db_auth_token(DBHostname=HOST, Port=3306, DBUsername="app")


def db_ops():
    token = create_connection_token()
    return pymysql.connect(host=HOST, user="app", password=token)


def lambda_handler(event, context):
    conn = db_ops()
    return conn
"""


def test_a_token_made_through_helpers_per_invocation_is_judged_by_the_host() -> None:
    direct = 'HOST = "db.cluster-x.eu-west-1.rds.amazonaws.com"\n' + HELPERS
    environment_default = 'HOST = environ.get("DB_HOST", "db.cluster-x.eu-west-1.rds.amazonaws.com")\n' + HELPERS
    proxy_variable = 'HOST = environ.get("rds_proxy_endpoint")\n' + HELPERS
    unknown = 'HOST = environ["DB_HOST"]\n' + HELPERS
    found = [finding for finding in lint(direct) if finding.code == "PIN411"]
    assert len(found) == 1
    assert "through `db_ops()`" in found[0].message and "db.cluster-x" in found[0].consequence
    assert "PIN411" in codes(environment_default)
    assert "PIN411" not in codes(proxy_variable)
    assert "PIN411" not in codes(unknown)
    assert "PIN022" in codes(unknown)  # the connection per invocation is still PIN022's


def test_a_token_in_a_url_built_at_import_reaches_the_engine() -> None:
    source = """import boto3
from sqlalchemy import create_engine
from sqlalchemy.engine import URL

token = boto3.client("rds").generate_db_auth_token(DBHostname=HOST, Port=5432, DBUsername="app")
url = URL.create("postgresql+psycopg2", username="app", password=token, host=HOST, database="shop")
engine = create_engine(url)
"""
    found = [finding for finding in lint(source) if finding.code == "PIN410"]
    assert [(finding.line, finding.column) for finding in found] == [(5, 9)]
    assert "`token` (through `url`) reaches `create_engine()` on line 7" in found[0].message


def test_a_token_made_by_a_function_called_at_import() -> None:
    source = """import boto3
import asyncpg

def make_token():
    return boto3.client("rds").generate_db_auth_token(DBHostname=HOST, Port=5432, DBUsername="app")

TOKEN = make_token()

async def init():
    return await asyncpg.create_pool(host=HOST, user="app", password=TOKEN)
"""
    assert [(f.code, f.line) for f in lint(source) if f.code == "PIN410"] == [("PIN410", 7)]


def test_a_password_callable_or_a_token_per_connection_is_fine() -> None:
    callable_password = """import boto3
import asyncpg

rds = boto3.client("rds")

def token():
    return rds.generate_db_auth_token(DBHostname=HOST, Port=5432, DBUsername="app")

async def init():
    return await asyncpg.create_pool(host=HOST, user="app", password=token)
"""
    assert "PIN410" not in codes(callable_password)


TERRAFORM = """data "archive_file" "orders" {
  type        = "zip"
  source_dir  = "${path.module}/../src"
  output_path = "${path.module}/build/orders.zip"
}

resource "aws_db_proxy" "orders" {
  name          = "orders"
  engine_family = "POSTGRESQL"
  auth {
    auth_scheme = "SECRETS"
    iam_auth    = "REQUIRED"
    secret_arn  = aws_secretsmanager_secret.orders.arn
  }
}

resource "aws_db_proxy_default_target_group" "orders" {
  db_proxy_name = aws_db_proxy.orders.name
}

resource "aws_lambda_function" "orders" {
  function_name = "orders"
  handler       = "orders.handler"
  filename      = data.archive_file.orders.output_path
  environment {
    variables = {
      DB_HOST = aws_db_proxy.orders.endpoint
    }
  }
}
"""


def _terraform_project(root: Path, code: str) -> None:
    (root / "terraform").mkdir()
    (root / "src").mkdir()
    (root / "terraform" / "main.tf").write_text(TERRAFORM)
    (root / "src" / "orders.py").write_text(code)


def test_terraform_proxy_requiring_iam_and_the_code_of_its_function(tmp_path: Path) -> None:
    """PIN412 reads the function's code directory (from its archive_file): a password there with no
    IAM token is the finding, at the proxy's `iam_auth`; a token anywhere in the code settles it."""
    password = tmp_path / "password"
    token = tmp_path / "token"
    password.mkdir()
    token.mkdir()
    _terraform_project(
        password, "import os, psycopg2\n\ndef handler(e, c):\n    psycopg2.connect(host=H, password=os.environ['PW'])\n"
    )
    _terraform_project(
        token,
        "import boto3, psycopg2\nrds = boto3.client('rds')\n\ndef handler(e, c):\n"
        "    psycopg2.connect(host=H, password=rds.generate_db_auth_token(DBHostname=H, Port=5432, DBUsername='a'))\n",
    )
    arguments = ("check", "--no-cache", "--output-format", "full", "--select", "PIN412", ".")
    found = run_cli(*arguments, cwd=password).stdout
    assert "terraform/main.tf:12:5: PIN412" in found
    assert "src/orders.py line 4" in found  # the why line names where the code connects
    assert "PIN412" not in run_cli(*arguments, cwd=token).stdout


CDK_APP = """from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds

db = rds.DatabaseCluster(stack, "Orders", engine=rds.DatabaseClusterEngine.aurora_postgres())
{proxy}
lambda_.Function(
    stack,
    "OrdersApi",
    handler="orders.handler",
    code=lambda_.Code.from_asset("lambda"),
    environment={{"DB_HOST": proxy.endpoint}},
)
"""
CDK_PROXIES = {
    "construct": 'proxy = rds.DatabaseProxy(stack, "P", proxy_target=rds.ProxyTarget.from_cluster(db), iam_auth=True)',
    "add_proxy": 'proxy = db.add_proxy("P", secrets=[db.secret], vpc=vpc, iam_auth=True)',
    "no IAM": 'proxy = db.add_proxy("P", secrets=[db.secret], vpc=vpc, iam_auth=False)',
}


def _cdk_project(root: Path, proxy: str, code: str) -> None:
    (root / "lambda").mkdir(parents=True)
    (root / "cdk.json").write_text('{"app": "python3 app.py"}\n')
    (root / "app.py").write_text(CDK_APP.format(proxy=CDK_PROXIES[proxy]))
    (root / "lambda" / "orders.py").write_text(code)


def test_cdk_proxy_with_iam_auth_and_the_asset_code_of_its_function(tmp_path: Path) -> None:
    """A CDK proxy made with `iam_auth=True` (either construct) and a function wired to its endpoint
    whose `Code.from_asset` directory connects with a password: PIN412 at `iam_auth`."""
    password = "import os, psycopg2\n\ndef handler(e, c):\n    psycopg2.connect(host=H, password=os.environ['PW'])\n"
    token = (
        "import boto3, psycopg2\nrds = boto3.client('rds')\n\ndef handler(e, c):\n"
        "    psycopg2.connect(host=H, password=rds.generate_db_auth_token(DBHostname=H, Port=5432, DBUsername='a'))\n"
    )
    arguments = ("check", "--no-cache", "--output-format", "full", "--select", "PIN412", ".")
    for proxy in ("construct", "add_proxy"):
        column = CDK_PROXIES[proxy].index("iam_auth") + 1
        (tmp_path / proxy).mkdir()
        _cdk_project(tmp_path / proxy / "password", proxy, password)
        _cdk_project(tmp_path / proxy / "token", proxy, token)
        found = run_cli(*arguments, cwd=tmp_path / proxy / "password").stdout
        assert f"app.py:5:{column}: PIN412" in found, found
        assert "lambda/orders.py line 4" in found
        assert "PIN412" not in run_cli(*arguments, cwd=tmp_path / proxy / "token").stdout
    _cdk_project(tmp_path / "disabled", "no IAM", password)
    assert "PIN412" not in run_cli(*arguments, cwd=tmp_path / "disabled").stdout
