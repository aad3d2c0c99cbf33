"""PIN410 through the environment (survey3 miss6, public-cloud-info-service): a token made at
import and written to ``os.environ`` in a Lambda handler module, for code elsewhere that builds
its engine from the environment; the same write in a one-shot script is left alone."""

from __future__ import annotations

import pytest

from conftest import where

HANDLER = "\n\ndef handler(event, context):\n    return serverless_wsgi.handle_request(app.app, event, context)\n"


@pytest.mark.parametrize(
    "write",
    [
        'os.environ["POSTGRES_PASSWORD"] = auth_token',
        "os.environ.update(POSTGRES_PASSWORD=auth_token)",
        'os.environ.setdefault("POSTGRES_PASSWORD", auth_token)',
        'os.putenv("POSTGRES_PASSWORD", auth_token)',
    ],
)
def test_a_token_written_to_the_environment_in_a_handler_module(write: str) -> None:
    source = (
        "import os\n\nimport boto3\n\n"
        'if "POSTGRES_PASSWORD" not in os.environ:\n'
        '    auth_token = boto3.client("rds").generate_db_auth_token(HOST, 5432, "app")\n'
        f"    {write}\n\nfrom pint import app\n" + HANDLER
    )
    assert [place for place in where(source) if place[0] == "PIN410"] == [("PIN410", 6, 18)]


def test_the_same_write_in_a_script_without_a_handler_is_quiet() -> None:
    source = (
        "import os\nimport subprocess\n\nimport boto3\n\n"
        'os.environ["PGPASSWORD"] = boto3.client("rds").generate_db_auth_token(HOST, 5432, "app")\n'
        'subprocess.run(["alembic", "upgrade", "head"], check=True)\n'
    )
    assert where(source) == []


def test_a_token_made_per_invocation_and_written_there_is_not_this_rule() -> None:
    source = (
        "import os\n\nimport boto3\n\n\ndef handler(event, context):\n"
        '    os.environ["PGPASSWORD"] = boto3.client("rds").generate_db_auth_token(HOST, 5432, "app")\n'
    )
    assert [place for place in where(source) if place[0] == "PIN410"] == []


def test_other_environment_writes_stay_quiet() -> None:
    source = (
        "import os\n\nimport boto3\n\n"
        'TOKEN = boto3.client("rds").generate_db_auth_token(HOST, 5432, "app")\n'
        'os.environ["REGION"] = "eu-west-1"\n' + HANDLER
    )
    assert [place for place in where(source) if place[0] == "PIN410"] == []
