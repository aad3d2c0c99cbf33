"""Lambda handlers: where they are declared, and connections opened on every invocation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli, write_files
from pinlint.declarations import NOT_FOLLOWED

CONNECT_IN_HANDLER = """import psycopg2


def {name}(event, context):
    conn = psycopg2.connect(host="db")
    return conn
"""


WHY = ". Each invocation opens a new database connection instead of reusing one"


def _with_why(result_stdout: str) -> list[str]:
    """Each json-lines finding as `path:line:col: CODE message. consequence`: the message with its
    why line, which says what made the function a handler."""
    lines = []
    for line in result_stdout.splitlines():
        found = json.loads(line)
        where = f"{found['filename']}:{found['location']['row']}:{found['location']['column']}:"
        lines.append(f"{where} {found['code']} {found['message']}. {found['consequence']}")
    return lines


def _findings(root: Path, *paths: str) -> list[str]:
    result = run_cli("check", "--select", "PIN022", "--output-format", "json-lines", "-q", *(paths or (".",)), cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return _with_why(result.stdout)


def test_convention_handler_without_declarations(tmp_path: Path) -> None:
    write_files(tmp_path, {"app.py": CONNECT_IN_HANDLER.format(name="lambda_handler")})
    (finding,) = _findings(tmp_path)
    assert finding.startswith("app.py:5:12: PIN022 `psycopg2.connect()` runs on every invocation of handler")
    assert "named like a Lambda handler" in finding


def test_serverless_yml_declares_handlers_and_turns_the_convention_off(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "serverless.yml": (
                "service: orders\n"
                "provider:\n  name: aws\n  environment:\n    DB: ${ssm:/orders/db}\n"
                "functions:\n  create:\n    handler: src/orders.create_order\n"
            ),
            "src/orders.py": CONNECT_IN_HANDLER.format(name="create_order"),
            "src/other.py": CONNECT_IN_HANDLER.format(name="handler"),
        },
    )
    (finding,) = _findings(tmp_path)
    assert finding.startswith("src/orders.py:5:12: PIN022 ")
    assert "`create_order` is declared in serverless.yml line 8)" in finding


def test_sam_template_with_short_form_tags_globals_and_code_uri(tmp_path: Path) -> None:
    template = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Handler: app.lambda_handler
    Runtime: python3.12
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: orders/
      Environment:
        Variables:
          DB_HOST: !GetAtt Database.Endpoint.Address
          URL: !Sub "postgres://${Database.Endpoint.Address}/app"
  Reports:
    Type: AWS::Lambda::Function
    Properties:
      Handler: jobs.report.run
      Role: !Ref ReportsRole
      Code: !If [IsProd, {S3Bucket: a}, {S3Bucket: b}]
"""
    write_files(
        tmp_path,
        {
            "template.yaml": template,
            "orders/app.py": CONNECT_IN_HANDLER.format(name="lambda_handler"),
            "jobs/report.py": CONNECT_IN_HANDLER.format(name="run"),
        },
    )
    findings = _findings(tmp_path)
    assert [line.split(" ", 1)[0] for line in findings] == ["jobs/report.py:5:12:", "orders/app.py:5:12:"]
    assert "is declared in template.yaml line 19)" in findings[0]
    assert "is declared in template.yaml line 5)" in findings[1]


def test_json_template_and_configured_handlers(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "template.json": (
                '{"Resources": {"F": {"Type": "AWS::Lambda::Function",'
                ' "Properties": {"Handler": "main.entry", "Runtime": "python3.12"}}}}'
            ),
            "main.py": CONNECT_IN_HANDLER.format(name="entry"),
            "pyproject.toml": '[tool.pinlint]\nhandlers = ["tasks/worker.py:process"]\n',
            "tasks/worker.py": CONNECT_IN_HANDLER.format(name="process"),
        },
    )
    findings = _findings(tmp_path)
    assert [line.split(" ", 1)[0] for line in findings] == ["main.py:5:12:", "tasks/worker.py:5:12:"]
    assert "is declared in template.json line 1)" in findings[0]  # JSON keeps its lines too
    assert "`handlers` in" in findings[1]


def test_unreadable_declaration_file_is_a_warning(tmp_path: Path) -> None:
    write_files(
        tmp_path, {"serverless.yml": "functions: [unclosed\n", "app.py": CONNECT_IN_HANDLER.format(name="handler")}
    )
    result = run_cli("check", "--select", "PIN022", "--output-format", "concise", ".", cwd=tmp_path)
    assert "pinlint: warning: serverless.yml: cannot read handler declarations" in result.stderr
    assert "Traceback" not in result.stderr
    assert "app.py:5:12: PIN022" in result.stdout  # nothing declared, so the convention applies


def test_chalice_routes_are_handlers(tmp_path: Path) -> None:
    source = """from chalice import Chalice
import asyncpg

app = Chalice(app_name="orders")


@app.route("/orders")
def list_orders():
    return asyncpg.connect(dsn="postgres://db/app")


def helper():
    return asyncpg.connect(dsn="postgres://db/app")
"""
    write_files(tmp_path, {"app.py": source})
    (finding,) = _findings(tmp_path)
    assert finding.startswith(
        "app.py:9:12: PIN022 `asyncpg.connect()` runs on every invocation of handler `list_orders`"
    )
    assert 'a Chalice `@app.route("/orders")` function, line 7' in finding


@pytest.mark.parametrize(
    ("body", "flagged"),
    [
        # direct, through import aliases
        ("import psycopg2 as pg\n\ndef handler(event, context):\n    pg.connect()\n", True),
        ("from psycopg2 import connect\n\ndef handler(event, context):\n    connect()\n", True),
        ("import psycopg_pool\n\ndef handler(event, context):\n    psycopg_pool.ConnectionPool('')\n", True),
        (
            "from sqlalchemy.ext.asyncio import create_async_engine\n\nasync def handler(event, context):\n"
            "    create_async_engine(URL)\n",
            True,
        ),
        # a nested function the handler calls, and one it never calls
        (
            "import psycopg2\n\ndef handler(event, context):\n    def get():\n        return psycopg2.connect()\n"
            "    return get()\n",
            True,
        ),
        (
            "import psycopg2\n\ndef handler(event, context):\n    def get():\n        return psycopg2.connect()\n"
            "    return get\n",
            False,
        ),
        # two levels of module functions
        (
            "import psycopg2\n\ndef a():\n    return psycopg2.connect()\n\ndef b():\n    return a()\n\n"
            "def handler(event, context):\n    return b()\n",
            True,
        ),
        # module scope, global cache, module-level dict, lru_cache: created once
        ("import psycopg2\n\nconn = psycopg2.connect()\n\ndef handler(event, context):\n    return conn\n", False),
        (
            "import psycopg2\n\nconn = None\n\ndef handler(event, context):\n    global conn\n    if conn is None:\n"
            "        conn = psycopg2.connect()\n    return conn\n",
            False,
        ),
        (
            "import psycopg2\n\n_cache = {}\n\ndef handler(event, context):\n    if 'c' not in _cache:\n"
            "        _cache['c'] = psycopg2.connect()\n    return _cache['c']\n",
            False,
        ),
        (
            "import functools\nimport psycopg2\n\n@functools.lru_cache(maxsize=1)\ndef get():\n"
            "    return psycopg2.connect()\n\ndef handler(event, context):\n    return get()\n",
            False,
        ),
        (
            "from functools import cache\nimport psycopg2\n\n@cache\ndef get():\n    return psycopg2.connect()\n\n"
            "def handler(event, context):\n    return get()\n",
            False,
        ),
        # a local named like the global is not a cache
        (
            "import psycopg2\n\nconn = None\n\ndef handler(event, context):\n    conn = None\n    if conn is None:\n"
            "        conn = psycopg2.connect()\n    return conn\n",
            True,
        ),
        # a method call is not a module function call; a non-handler function is not a handler
        (
            "import psycopg2\n\ndef connect():\n    return psycopg2.connect()\n\nclass Db:\n    def handler(self):\n"
            "        return self.connect()\n\ndef handler(event, context):\n    return Db().handler()\n",
            False,
        ),
        ("import psycopg2\n\ndef handler(event):\n    return psycopg2.connect()\n", False),
        # not a database factory
        ("import socket\n\ndef handler(event, context):\n    socket.create_connection(('db', 5432))\n", False),
    ],
)
def test_what_counts_as_per_invocation(tmp_path: Path, body: str, flagged: bool) -> None:
    write_files(tmp_path, {"fn.py": body})
    assert bool(_findings(tmp_path)) is flagged


# --- declarations pinlint cannot map to source ------------------------------------------------

FOR_EACH_TF = """locals {
  lambda_functions = {
    get = { handler = "handlers.get.lambda_handler" }
  }
}

data "archive_file" "bundle" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/bundle.zip"
}

resource "aws_lambda_function" "this" {
  for_each      = local.lambda_functions
  function_name = each.key
  handler       = %s
  filename      = data.archive_file.bundle.output_path
}
"""


def _check_handlers(root: Path) -> tuple[list[str], list[str]]:
    result = run_cli("check", "--select", "PIN022", "--output-format", "json-lines", "-q", ".", cwd=root)
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
    return _with_why(result.stdout), result.stderr.splitlines()


@pytest.mark.parametrize("handler", ["each.value.name", "var.handler", "local.handlers.get", '"${var.handler}"'])
def test_a_terraform_handler_expression_is_a_warning_and_keeps_the_convention(tmp_path: Path, handler: str) -> None:
    """A handler expression pinlint cannot read is no declaration: the convention still finds the handler."""
    (tmp_path / ".git").mkdir()  # the repository root, where Terraform files are looked for
    write_files(
        tmp_path,
        {
            "infra/main.tf": FOR_EACH_TF % handler,
            "infra/src/handlers/get.py": CONNECT_IN_HANDLER.format(name="lambda_handler"),
        },
    )
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == ["infra/src/handlers/get.py:5:12:"]
    assert stderr == [
        f"pinlint: warning: infra/main.tf:16: cannot map the handler `{handler}` to source (an expression, not"
        " a string: only literal `for_each` maps and module inputs are followed); it is not analysed, and the"
        " lambda_handler(event, context) convention stays on"
    ]


def test_a_mapped_terraform_handler_claims_its_code_directory_only(tmp_path: Path) -> None:
    """A main.tf two folders away no longer switches the convention off for the whole tree."""
    (tmp_path / ".git").mkdir()
    write_files(
        tmp_path,
        {
            "infra/main.tf": FOR_EACH_TF % '"handlers.get.run" # the GET route',
            "infra/src/handlers/get.py": CONNECT_IN_HANDLER.format(name="run"),
            "infra/src/handlers/other.py": CONNECT_IN_HANDLER.format(name="lambda_handler"),  # in the claimed code
            "services/orders/app.py": CONNECT_IN_HANDLER.format(name="lambda_handler"),  # claimed by nothing
        },
    )
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == [
        "infra/src/handlers/get.py:5:12:",
        "services/orders/app.py:5:12:",
    ]
    assert "is declared in infra/main.tf line 16)" in stdout[0]
    assert "named like a Lambda handler" in stdout[1]
    assert stderr == []


def test_a_declared_handler_whose_module_is_not_there_is_a_warning(tmp_path: Path) -> None:
    """serverless-wsgi's `wsgi_handler.handler` is installed at deploy time: nothing here claims app.py."""
    write_files(
        tmp_path,
        {
            "serverless.yml": "functions:\n  api:\n    handler: wsgi_handler.handler\n",
            "app.py": CONNECT_IN_HANDLER.format(name="lambda_handler"),
        },
    )
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == ["app.py:5:12:"]
    assert stderr == [
        "pinlint: warning: serverless.yml:3: cannot map the handler `wsgi_handler.handler` to source (it names"
        " wsgi_handler.py, which is not there); it is not analysed, and the lambda_handler(event, context)"
        " convention stays on"
    ]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "serverless.yml",
            "functions:\n  api:\n    handler: ${self:custom.handler}\n",
            "serverless.yml:3: cannot map the handler `${self:custom.handler}` to source (a `${...}` variable)",
        ),
        (
            "serverless.yml",
            "functions:\n  api:\n    image: 123.dkr.ecr.eu-west-1.amazonaws.com/api:latest\n",
            "serverless.yml:3: cannot map an image function to source (its handler is the image's CMD, and no"
            " Lambda base image's Dockerfile declares one)",
        ),
        (
            "template.yaml",
            "Resources:\n  Api:\n    Type: AWS::Serverless::Function\n    Properties:\n      PackageType: Image\n",
            "template.yaml:5: cannot map an image function to source (neither `ImageConfig.Command` nor a"
            " Dockerfile CMD in `Metadata.DockerContext` names it)",
        ),
        (
            "main.tf",
            'resource "aws_lambda_function" "api" {\n  package_type = "Image"\n  image_uri = var.image\n}\n',
            "main.tf:1: cannot map an image function to source (its handler is the image's CMD, and no Lambda"
            " base image's Dockerfile declares one)",
        ),
    ],
)
def test_other_unmappable_declarations_are_warnings(tmp_path: Path, name: str, text: str, expected: str) -> None:
    write_files(tmp_path, {name: text, "app.py": CONNECT_IN_HANDLER.format(name="lambda_handler")})
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == ["app.py:5:12:"]
    assert stderr == [f"pinlint: warning: {expected}; {NOT_FOLLOWED}"]


def test_a_cdk_function_with_a_computed_handler_is_a_warning(tmp_path: Path) -> None:
    stack = """from aws_cdk import aws_lambda as lambda_

HANDLER = "app.run"


def build(self):
    lambda_.Function(self, "Api", handler=HANDLER, code=lambda_.Code.from_asset("src"))
"""
    write_files(
        tmp_path,
        {"cdk.json": "{}", "infra/stack.py": stack, "src/app.py": CONNECT_IN_HANDLER.format(name="lambda_handler")},
    )
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == ["src/app.py:5:12:"]
    assert stderr == [
        "pinlint: warning: infra/stack.py:7: cannot map the handler of `aws_lambda.Function` to source (`handler`"
        " is not a string literal); " + NOT_FOLLOWED
    ]


def test_a_cdk_function_built_from_a_docker_image_says_so(tmp_path: Path) -> None:
    """veda-backend: `handler` is a literal, `code` a Docker build: the warning names the code, not the handler."""
    stack = """from aws_cdk import aws_lambda as lambda_


def build(self):
    lambda_.Function(
        self, "Api", handler="handler.handler", code=lambda_.Code.from_docker_build(path=".", file="Dockerfile")
    )
"""
    write_files(
        tmp_path, {"cdk.json": "{}", "infra/stack.py": stack, "app.py": CONNECT_IN_HANDLER.format(name="handler")}
    )
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == ["app.py:5:12:"]
    assert stderr == [
        "pinlint: warning: infra/stack.py:5: cannot map the handler of `aws_lambda.Function` to source (`code` is"
        ' `Code.from_docker_build(...)`, not `Code.from_asset("dir")`); ' + NOT_FOLLOWED
    ]


def test_a_handler_in_a_code_zip_is_the_module_beside_the_zip(tmp_path: Path) -> None:
    stack = """from aws_cdk import aws_lambda as lambda_


def build(self):
    lambda_.Function(self, "Api", handler="app.run", code=lambda_.Code.from_asset("src/deploy.zip"))
"""
    write_files(
        tmp_path, {"cdk.json": "{}", "infra/stack.py": stack, "src/app.py": CONNECT_IN_HANDLER.format(name="run")}
    )
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == ["src/app.py:5:12:"]
    assert "is declared in infra/stack.py line 5)" in stdout[0]
    assert stderr == []


# --- entry points: framework routes, image functions, Terraform forms --------------------------------

ROUTE_APP = """import psycopg2
from flask import Flask

app = Flask(__name__)


@app.route("/items")
def items():
    return psycopg2.connect("host=db")
"""


def test_a_flask_app_nothing_serves_on_lambda_has_no_handlers(tmp_path: Path) -> None:
    """A Flask route is a Lambda handler only when an adapter or a declaration serves its app."""
    write_files(tmp_path, {"app.py": ROUTE_APP})
    assert _findings(tmp_path) == []
    write_files(tmp_path, {"wsgi.py": "import serverless_wsgi\nfrom app import app\n"})  # another module: not followed
    assert _findings(tmp_path) == []
    write_files(
        tmp_path,
        {"app.py": ROUTE_APP + "\n\ndef handler(event, context):\n    return awsgi.response(app, event, context)\n"},
    )
    (tmp_path / "app.py").write_text("import awsgi\n" + (tmp_path / "app.py").read_text(), encoding="utf-8")
    (finding,) = _findings(tmp_path)
    assert finding.startswith("app.py:10:12: PIN022 ")
    assert '`items` is a Flask `@app.route("/items")` route, line 8, behind `aws-wsgi(app)`, line 14)' in finding


def test_an_app_served_by_a_declared_adapter_in_another_module(tmp_path: Path) -> None:
    """serverless.yml declares `handler.main`, which is `Mangum(app)` of an app imported from api/app.py."""
    write_files(
        tmp_path,
        {
            "serverless.yml": "service: s\nfunctions:\n  api:\n    handler: handler.main\n",
            "handler.py": "from mangum import Mangum\nfrom api.app import app\n\nmain = Mangum(app)\n",
            "api/__init__.py": "",
            "api/app.py": ROUTE_APP.replace("flask import Flask", "fastapi import FastAPI")
            .replace("Flask(__name__)", "FastAPI()")
            .replace("@app.route", "@app.get"),
        },
    )
    (finding,) = _findings(tmp_path)
    assert finding.startswith("api/app.py:9:12: PIN022 ")
    assert "served behind `Mangum(app)`, handler.py line 4" in finding


PUBLISHER = """import psycopg


class Publisher:
    def ingest(self, dsn):
        with psycopg.connect(dsn, prepare_threshold=None) as conn:
            conn.execute("SELECT 1")
"""
ROUTES_WITHOUT_A_DRIVER = """from fastapi import FastAPI
from db.publisher import Publisher

app = FastAPI()
publisher = Publisher()


@app.post("/items")
def publish_item(dsn: str):
    publisher.ingest(dsn)
"""


def test_routes_that_connect_only_through_another_module_are_followed(tmp_path: Path) -> None:
    """veda-backend's shape: the routes module names no driver and no handler; its route calls a
    method of a module-level instance whose class (in another module) connects."""
    write_files(
        tmp_path,
        {
            "handler.py": "from mangum import Mangum\nfrom api.main import app\n\nhandler = Mangum(app)\n",
            "api/__init__.py": "",
            "api/main.py": ROUTES_WITHOUT_A_DRIVER,
            "db/__init__.py": "",
            "db/publisher.py": PUBLISHER,
        },
    )
    (finding,) = _findings(tmp_path)
    assert finding.startswith("api/main.py:10:5: PIN022 `psycopg.connect()` in db/publisher.py:6 ")
    assert "handler `publish_item`, through `Publisher.ingest()`. Each invocation" in finding
    assert finding.endswith("served behind `Mangum(app)`, handler.py line 4)")


def test_a_served_app_that_connects_only_through_another_module_is_followed(tmp_path: Path) -> None:
    """One module holds the routes and `Mangum(app)`, and nothing in it connects."""
    write_files(
        tmp_path,
        {
            "main.py": ROUTES_WITHOUT_A_DRIVER + "\n\nfrom mangum import Mangum\n\nhandler = Mangum(app)\n",
            "db/__init__.py": "",
            "db/publisher.py": PUBLISHER,
        },
    )
    (finding,) = _findings(tmp_path)
    assert finding.startswith("main.py:10:5: PIN022 `psycopg.connect()` in db/publisher.py:6 ")


def test_terraform_for_each_over_a_literal_map_declares_each_handler(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write_files(
        tmp_path,
        {
            "infra/main.tf": FOR_EACH_TF % "each.value.handler",
            "infra/src/handlers/get.py": CONNECT_IN_HANDLER.format(name="lambda_handler"),
            "infra/src/handlers/other.py": CONNECT_IN_HANDLER.format(
                name="lambda_handler"
            ),  # claimed code: no convention
        },
    )
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == ["infra/src/handlers/get.py:5:12:"]
    assert "`lambda_handler` is declared in infra/main.tf line 16)" in stdout[0]
    assert stderr == []


def test_a_one_file_run_still_finds_the_terraform_declaration_elsewhere_in_the_repository(tmp_path: Path) -> None:
    """A pre-commit run names one file: the .tf files are then looked for in the repository."""
    (tmp_path / ".git").mkdir()
    write_files(
        tmp_path,
        {
            "deploy/main.tf": FOR_EACH_TF.replace("${path.module}/src", "../src") % '"handlers.get.run"',
            "src/handlers/get.py": CONNECT_IN_HANDLER.format(name="run"),
        },
    )
    (finding,) = _findings(tmp_path, "src/handlers/get.py")
    assert "`run` is declared in deploy/main.tf line 16)" in finding


def test_a_sam_image_function_reads_its_command_or_its_dockerfile(tmp_path: Path) -> None:
    template = """Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
%s    Metadata:
      DockerContext: ./api
"""
    dockerfile = 'FROM public.ecr.aws/lambda/python:3.12\nCOPY app/ ${LAMBDA_TASK_ROOT}\nCMD ["main.handle"]\n'
    write_files(
        tmp_path,
        {
            "template.yaml": template % '      ImageConfig:\n        Command: ["main.run"]\n',
            "api/Dockerfile": dockerfile,
            "api/app/main.py": CONNECT_IN_HANDLER.format(name="run")
            + "\n\n"
            + CONNECT_IN_HANDLER.format(name="handle"),
        },
    )
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == ["api/app/main.py:5:12:"]  # the command wins
    assert "`run` is the image's command, template.yaml line 7)" in stdout[0]
    write_files(tmp_path, {"template.yaml": template % ""})
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == ["api/app/main.py:13:12:"]  # the Dockerfile's CMD
    assert "`handle` is the image's command, api/Dockerfile line 3)" in stdout[0]
    assert stderr == []


def test_show_settings_lists_each_handler_with_what_declared_it() -> None:
    from conftest import FIXTURES

    result = run_cli("check", "--show-settings", ".", cwd=FIXTURES / "framework-routes-app")
    handlers = [line for line in result.stdout.splitlines() if line.startswith("# handler:")]
    assert '# handler: powertools/app.py:orders (a Powertools `@app.get("/orders")` route, line 16)' in handlers
    assert "# handler: zappa/api.py:nightly (declared in zappa/zappa_settings.json line 6)" in handlers
    assert any(line.startswith("# handler: fastapi-mangum/main.py:count (a FastAPI") for line in handlers)
    assert not any("jobs.py:handler" in line for line in handlers)  # the module call names `run`


def test_a_lambda_image_that_copies_one_module_into_the_task_root(tmp_path: Path) -> None:
    """COPY lambda/lambda_code.py ${LAMBDA_TASK_ROOT}, then CMD ["lambda_code.handler"]."""
    dockerfile = (
        'ARG ARCH="arm64"\nFROM public.ecr.aws/lambda/python:3.12-${ARCH}\n'
        "COPY lambda/lambda_code.py ${LAMBDA_TASK_ROOT}\n"
        'CMD ["lambda_code.handler"]\n'
    )
    write_files(
        tmp_path,
        {"Dockerfile": dockerfile, "lambda/lambda_code.py": CONNECT_IN_HANDLER.format(name="handler")},
    )
    stdout, stderr = _check_handlers(tmp_path)
    assert stdout == [
        "lambda/lambda_code.py:5:12: PIN022 `psycopg2.connect()` runs on every invocation of handler `handler`"
        f"{WHY} (`handler` is the image's command, Dockerfile line 4)"
    ]
    assert stderr == []


def test_a_dockerfile_that_is_not_a_lambda_image_declares_nothing(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {"Dockerfile": 'FROM python:3.12\nCMD ["app.handler"]\n', "app.py": CONNECT_IN_HANDLER.format(name="run")},
    )
    assert _check_handlers(tmp_path) == ([], [])


def test_a_terraform_function_on_s3_finds_its_code_through_the_archive_hash(tmp_path: Path) -> None:
    main = """data "archive_file" "zip" {
  type        = "zip"
  source_dir  = "${path.module}/code"
  output_path = "${path.module}/build/app.zip"
}

resource "aws_lambda_function" "app" {
  s3_bucket        = "deploys"
  s3_key           = "app.zip"
  handler          = "app.run"
  source_code_hash = data.archive_file.zip.output_base64sha256
}
"""
    (tmp_path / ".git").mkdir()
    write_files(tmp_path, {"main.tf": main, "code/app.py": CONNECT_IN_HANDLER.format(name="run")})
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == ["code/app.py:5:12:"]
    assert "`run` is declared in main.tf line 10)" in stdout[0]
    assert stderr == []


def test_a_one_file_run_reads_only_the_terraform_that_can_declare_it(tmp_path: Path) -> None:
    """Pre-commit names one file: Terraform that names neither it nor its directory is not parsed,
    so its warnings belong to the run over the whole project."""
    (tmp_path / ".git").mkdir()
    unrelated = 'resource "aws_lambda_function" "f" {\n  handler = var.handler\n}\n'
    write_files(tmp_path, {"infra/other.tf": unrelated, "app/x.py": CONNECT_IN_HANDLER.format(name="lambda_handler")})
    one = run_cli("check", "--select", "PIN022", "--output-format", "concise", "-q", "app/x.py", cwd=tmp_path)
    assert one.stdout.startswith("app/x.py:5:12: PIN022 ") and one.stderr == ""
    whole = run_cli("check", "--select", "PIN022", "--output-format", "concise", "-q", ".", cwd=tmp_path)
    assert whole.stdout == one.stdout
    assert "infra/other.tf:2: cannot map the handler `var.handler`" in whole.stderr


def test_zappa_django_settings_are_followed_to_the_function_views(tmp_path: Path) -> None:
    """Zappa's `django_settings` -> ROOT_URLCONF -> urlpatterns (and their include()s) -> views."""
    view = (
        "import psycopg2\n\n\ndef report(request):\n    return psycopg2.connect('host=db')\n\n\n"
        "def unrouted(request):\n    return psycopg2.connect('host=db')\n"
    )
    write_files(
        tmp_path,
        {
            "zappa_settings.json": '{"prod": {"django_settings": "site_conf.settings", "s3_bucket": "b"}}',
            "site_conf/__init__.py": "",
            "site_conf/settings.py": 'ROOT_URLCONF = "site_conf.urls"\n',
            "site_conf/urls.py": (
                "from django.urls import include, path\n\nurlpatterns = [path('reports/', include('reports.urls'))]\n"
            ),
            "reports/__init__.py": "",
            "reports/urls.py": (
                "from django.urls import path\nfrom reports import views\nfrom reports.views import Detail\n\n"
                "urlpatterns = [\n    path('', views.report),\n    path('<int:pk>/', Detail.as_view()),\n]\n"
            ),
            "reports/views.py": view,
        },
    )
    stdout, stderr = _check_handlers(tmp_path)
    assert stdout == [
        "reports/views.py:5:12: PIN022 `psycopg2.connect()` runs on every invocation of handler `report`"
        f"{WHY} (`report` is a Django view in `urlpatterns`, reports/urls.py line 6)"
    ]
    assert stderr == []


def test_a_configured_handler_may_be_an_app_whose_routes_are_the_handlers(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[tool.pinlint]\nhandlers = ["web.py:app"]\n',
            "web.py": ROUTE_APP.replace("@app.route", "@app.get"),
        },
    )
    (finding,) = _findings(tmp_path)
    assert finding.startswith("web.py:9:12: PIN022 ")
    assert '`items` is a Flask `@app.get("/items")` route, line 7, declared in `handlers` in' in finding


def test_a_nested_sam_application_declares_its_functions(tmp_path: Path) -> None:
    parent = (
        "Resources:\n  Etl:\n    Type: AWS::Serverless::Application\n    Properties:\n      Location: './etl.yaml'\n"
    )
    nested = (
        "Resources:\n  Load:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: ./src/load\n      Handler: app.load.run\n"
    )
    write_files(
        tmp_path,
        {
            "template.yaml": parent,
            "etl.yaml": nested,
            "src/load/app/load.py": CONNECT_IN_HANDLER.format(name="run"),
            "src/other/app.py": CONNECT_IN_HANDLER.format(name="lambda_handler"),  # declared nowhere, and covered
        },
    )
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == ["src/load/app/load.py:5:12:"]
    assert "`run` is declared in etl.yaml line 6)" in stdout[0]
    assert stderr == []


def test_a_serverless_image_function_with_a_command_is_declared(tmp_path: Path) -> None:
    serverless = "service: s\nfunctions:\n  api:\n    image:\n      name: api\n      command:\n        - app.main\n"
    write_files(tmp_path, {"serverless.yml": serverless, "app.py": CONNECT_IN_HANDLER.format(name="main")})
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == ["app.py:5:12:"]
    assert "`main` is the image's command, serverless.yml line 6)" in stdout[0]
    assert stderr == []


def test_a_module_input_wins_over_the_variables_default(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    module = (
        'variable "handler" {\n  default = "jobs.default_entry"\n}\n\n'
        'resource "aws_lambda_function" "f" {\n  handler = var.handler\n}\n'
    )
    jobs = CONNECT_IN_HANDLER.format(name="run") + "\n\n" + CONNECT_IN_HANDLER.format(name="default_entry")
    write_files(
        tmp_path,
        {
            "main.tf": 'module "jobs" {\n  source  = "./modules/jobs"\n  handler = "jobs.run"\n}\n',
            "modules/jobs/main.tf": module,
            "modules/jobs/jobs.py": jobs,
        },
    )
    stdout, stderr = _check_handlers(tmp_path)
    assert [line.split(" ", 1)[0] for line in stdout] == ["modules/jobs/jobs.py:5:12:"]
    assert "`run` is declared in modules/jobs/main.tf line 6, given in main.tf line 3)" in stdout[0]
    assert stderr == []


def test_flask_restful_resources_of_a_served_app_are_handlers(tmp_path: Path) -> None:
    """`api.add_resource(Cls, ...)` on the Api of a served app: Cls's HTTP methods are handlers."""
    app = """import awsgi
import psycopg2
from flask import Flask
from flask_restful import Api, Resource

app = Flask(__name__)
api = Api(app)


class Items(Resource):
    def get(self):
        return psycopg2.connect("host=db")

    def helper(self):
        return psycopg2.connect("host=db")


api.add_resource(Items, "/items")


def handler(event, context):
    return awsgi.response(app, event, context)
"""
    write_files(tmp_path, {"app.py": app, "plain.py": app.replace("import awsgi\n", "").split("\n\ndef handler")[0]})
    stdout, stderr = _check_handlers(tmp_path)
    assert stdout == [
        "app.py:12:16: PIN022 `psycopg2.connect()` runs on every invocation of handler `Items.get`"
        f"{WHY} (`Items.get` is the `get` method of resource `Items`, added by"
        " `api.add_resource(Items, ...)`, line 18, behind `aws-wsgi(app)`, line 22)"
    ]
    assert stderr == []


def test_an_undeclared_entry_module_that_adapts_an_imported_app(tmp_path: Path) -> None:
    """wsgi.py's convention handler hands `app` (from web.py) to serverless-wsgi: web.py's routes
    are handlers. A wsgi.py that only mentions the adapter serves nothing."""
    wsgi = (
        "import serverless_wsgi\nfrom web import app\n\n\n"
        "def handler(event, context):\n    return serverless_wsgi.handle_request(app, event, context)\n"
    )
    write_files(tmp_path, {"wsgi.py": wsgi, "web.py": ROUTE_APP})
    (finding,) = _findings(tmp_path)
    assert finding.startswith("web.py:9:12: PIN022 ")
    assert "served behind `serverless-wsgi(app)`, wsgi.py line 6" in finding
    write_files(tmp_path, {"wsgi.py": "# serverless_wsgi.handle_request(app, event, context)\nfrom web import app\n"})
    assert _findings(tmp_path) == []


@pytest.mark.parametrize(
    ("module", "factory"),
    [
        ("pymysql", "pymysql.Connection"),
        ("mysql.connector", "mysql.connector.MySQLConnection"),
        ("mysql.connector", "mysql.connector.CMySQLConnection"),
    ],
)
def test_connection_classes_the_drivers_export_are_factories(tmp_path: Path, module: str, factory: str) -> None:
    """lambda-rds-proxy-python instantiates the driver's connection class instead of calling connect()."""
    write_files(
        tmp_path,
        {"app.py": f"import {module}\n\n\ndef lambda_handler(event, context):\n    return {factory}(host='db')\n"},
    )
    (finding,) = _findings(tmp_path)
    assert finding.startswith(f"app.py:5:12: PIN022 `{factory}()` runs on every invocation of handler `lambda_handler`")
