"""The connection classes the MySQL drivers export (``pymysql.Connection``,
``mysql.connector.MySQLConnection``...) connect like their ``connect()`` functions: the rules that
ask for a connect call know them all (PIN022 had them; the IAM-token rules and PIN054 did not)."""

from __future__ import annotations

import pytest

from conftest import codes

IAM_PER_INVOCATION = """import boto3
import {module}

rds = boto3.client("rds")
HOST = "orders.cluster-c1a2b3.eu-west-1.rds.amazonaws.com"


def lambda_handler(event, context):
    token = rds.generate_db_auth_token(DBHostname=HOST, Port=3306, DBUsername="app")
    conn = {factory}(host=HOST, user="app", password=token, database="orders")
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
"""

IAM_AT_IMPORT = """import boto3
import {module}

rds = boto3.client("rds")
PASSWORD = rds.generate_db_auth_token(DBHostname=HOST, Port=3306, DBUsername="app")


def lambda_handler(event, context):
    conn = {factory}(host=HOST, user="app", password=PASSWORD)
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
"""

CLASSES = [
    ("pymysql", "pymysql.Connection"),
    ("MySQLdb", "MySQLdb.Connect"),
    ("MySQLdb", "MySQLdb.connections.Connection"),
    ("mysql.connector", "mysql.connector.MySQLConnection"),
    ("mysql.connector", "mysql.connector.connection.MySQLConnection"),
    ("mysql.connector", "mysql.connector.CMySQLConnection"),
    ("mysql.connector", "mysql.connector.connection_cext.CMySQLConnection"),
]


@pytest.mark.parametrize(("module", "factory"), CLASSES)
def test_a_connection_class_with_a_fresh_token_per_invocation_is_pin411(module: str, factory: str) -> None:
    found = codes(IAM_PER_INVOCATION.format(module=module, factory=factory))
    assert "PIN411" in found and "PIN022" in found


@pytest.mark.parametrize(("module", "factory"), CLASSES)
def test_a_connection_class_given_a_token_made_at_import_is_pin410(module: str, factory: str) -> None:
    assert "PIN410" in codes(IAM_AT_IMPORT.format(module=module, factory=factory))


@pytest.mark.parametrize(("module", "factory"), CLASSES)
def test_decoys_a_proxy_host_and_a_password_from_the_environment(module: str, factory: str) -> None:
    through_proxy = IAM_PER_INVOCATION.replace(".cluster-", ".proxy-").format(module=module, factory=factory)
    assert "PIN411" not in codes(through_proxy)
    no_token = IAM_AT_IMPORT.replace(
        'rds.generate_db_auth_token(DBHostname=HOST, Port=3306, DBUsername="app")', 'os.environ["DB_PASSWORD"]'
    )
    assert "PIN410" not in codes("import os\n" + no_token.format(module=module, factory=factory))


AT_IMPORT = """import pymysql

conn = pymysql.Connection(host=HOST, user="app", password=PASSWORD, database="shop"{extra})


def lambda_handler(event, context):
    with conn.cursor() as cur:
        cur.execute("SELECT stock FROM items WHERE sku = %s", (event["sku"],))
        return {{"stock": cur.fetchone()[0]}}
"""


def test_pymysql_connection_class_at_import_with_autocommit_off_is_pin054() -> None:
    assert "PIN054" in codes(AT_IMPORT.format(extra=""), dialect="mysql")
    assert "PIN054" not in codes(AT_IMPORT.format(extra=", autocommit=True"), dialect="mysql")
