"""The IAM authentication rules: a token made at import for later connections (PIN410), and a new
IAM connection straight to the database on every invocation (PIN411)."""

from __future__ import annotations

from conftest import codes, lint

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
    assert "through `db_ops()`" in found[0].message and "db.cluster-x" in found[0].message
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
