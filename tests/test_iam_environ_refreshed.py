"""PIN410 through the environment stays quiet when the handler itself (or a module function it
calls) writes a fresh token to the same key before it connects (survey3b fp3): the import-time
token is then only the key's first value. A refresh of another key, or one nothing calls, keeps it."""

from __future__ import annotations

import pytest

from conftest import where

IMPORT_TIME = (
    "import os\n\nimport boto3\nimport psycopg2\n\n"
    'rds = boto3.client("rds")\n'
    'os.environ["PGPASSWORD"] = rds.generate_db_auth_token("h", 5432, "u")\n'
)
CONNECT = '    return psycopg2.connect(host="h", user="u")\n'


def _pin410(source: str) -> list[tuple[str, int, int]]:
    return [place for place in where(source) if place[0] == "PIN410"]


@pytest.mark.parametrize(
    "functions",
    [
        # a helper the handler calls
        '\n\ndef refresh():\n    os.environ["PGPASSWORD"] = rds.generate_db_auth_token("h", 5432, "u")\n'
        "\n\ndef handler(event, context):\n    refresh()\n" + CONNECT,
        # in the handler, through a local name
        '\n\ndef handler(event, context):\n    token = rds.generate_db_auth_token("h", 5432, "u")\n'
        "    os.environ.update(PGPASSWORD=token)\n" + CONNECT,
    ],
)
def test_a_handler_that_refreshes_the_same_key_makes_the_import_token_harmless(functions: str) -> None:
    assert _pin410(IMPORT_TIME + functions) == []


@pytest.mark.parametrize(
    "functions",
    [
        # another key refreshed
        '\n\ndef handler(event, context):\n    os.environ["OTHER"] = rds.generate_db_auth_token("h", 5432, "u")\n'
        + CONNECT,
        # the refresh exists but no handler calls it
        '\n\ndef refresh():\n    os.environ["PGPASSWORD"] = rds.generate_db_auth_token("h", 5432, "u")\n'
        "\n\ndef handler(event, context):\n" + CONNECT,
        # the same key set again, but not to a token
        '\n\ndef handler(event, context):\n    os.environ["PGPASSWORD"] = os.environ["PGPASSWORD"]\n' + CONNECT,
    ],
)
def test_a_refresh_elsewhere_or_of_something_else_keeps_the_finding(functions: str) -> None:
    assert _pin410(IMPORT_TIME + functions) == [("PIN410", 7, 28)]
