"""crhelper's decorator registry: a CloudFormation custom resource's `@helper.create`,
`@helper.update` and `@helper.delete` functions run on the invocations `helper(event, context)`
dispatches to them, so they are handlers; other functions of the module are not."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

RESOURCE = """\
import psycopg2
from crhelper import CfnResource

from db import get_conn

helper = CfnResource(json_logging=False)


@helper.create
def create(event, context):
    conn = psycopg2.connect("host=db")
    conn.cursor().execute("CREATE ROLE app")


@helper.update
@helper.delete
def no_op(event, context):
    return get_conn()


def unrelated(event, context):
    return psycopg2.connect("host=db")


def handler(event, context):
    helper(event, context)
"""
DB = 'import psycopg2\n\n\ndef get_conn():\n    return psycopg2.connect("")\n'


def _findings(root: Path) -> list[str]:
    result = run_cli("check", "--no-cache", "--select", "PIN022", "--output-format", "json-lines", "-q", ".", cwd=root)
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    found = []
    for line in result.stdout.splitlines():
        item = json.loads(line)
        where = f"{item['filename']}:{item['location']['row']}:{item['location']['column']}"
        found.append(f"{where} {item['message']} ({item['consequence'].split(' (', 1)[1]}")
    return found


def test_the_functions_a_crhelper_resource_registers_are_handlers(tmp_path: Path) -> None:
    (tmp_path / "resource.py").write_text(RESOURCE, encoding="utf-8")
    (tmp_path / "db.py").write_text(DB, encoding="utf-8")
    assert _findings(tmp_path) == [
        "resource.py:11:12 `psycopg2.connect()` runs on every invocation of handler `create`"
        " (`create` is a crhelper `@helper.create` function, line 9)",
        "resource.py:18:12 `psycopg2.connect()` in db.py:5 runs on every invocation of handler `no_op`,"
        " through `get_conn()` (`no_op` is a crhelper `@helper.update` function, line 15)",
    ]


def test_the_same_decorators_on_another_object_make_no_handler(tmp_path: Path) -> None:
    lookalike = RESOURCE.replace("from crhelper import CfnResource", "from registry import CfnResource")
    (tmp_path / "resource.py").write_text(lookalike, encoding="utf-8")
    (tmp_path / "db.py").write_text(DB, encoding="utf-8")
    assert _findings(tmp_path) == []
