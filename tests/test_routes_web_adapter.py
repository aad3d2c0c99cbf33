"""Images that run a web server behind the AWS Lambda Web Adapter (an extension copied into
/opt/extensions): the app the image's command serves (`uvicorn main:app`, `gunicorn
'app:create_app()'`, `python manage.py runserver`) runs on every invocation, so its routes are
Lambda handlers; a command pinlint cannot map is a warning that says why."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli, write_files


def _check(root: Path) -> tuple[list[tuple[str, str]], str]:
    """(path:line:column, handler) of each PIN022 finding, and the warnings."""
    result = run_cli("check", "--no-cache", "--select", "PIN022", "--output-format", "json-lines", "-q", ".", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    found = []
    for line in result.stdout.splitlines():
        item = json.loads(line)
        handler = item["message"].split("handler `", 1)[1].split("`", 1)[0]
        found.append((f"{item['filename']}:{item['location']['row']}:{item['location']['column']}", handler))
    return found, result.stderr


ADAPTER = "COPY --from=public.ecr.aws/awsguru/aws-lambda-adapter:0.9.0 /lambda-adapter /opt/extensions/lambda-adapter\n"
TERRAFORM = """\
resource "aws_lambda_function" "app" {
  function_name = "orders"
  role          = "arn:aws:iam::123456789012:role/lambda"
  package_type  = "Image"
  image_uri     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:latest"
}
"""
FASTAPI = """\
import psycopg2
from fastapi import FastAPI

app = FastAPI()
admin = FastAPI()


@app.get("/orders")
def orders():
    return psycopg2.connect("dbname=shop")


@admin.get("/stats")
def stats():
    return psycopg2.connect("dbname=shop")
"""


def _image(command: str, adapter: str = ADAPTER) -> str:
    return f"FROM python:3.12-slim\n{adapter}WORKDIR /app\nCOPY src/ .\nCMD {command}\n"


def test_the_app_uvicorn_serves_behind_the_web_adapter_is_served(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "Dockerfile": _image('["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8080"]'),
            "src/main.py": FASTAPI,
            "terraform/main.tf": TERRAFORM,
        },
    )
    found, warnings = _check(tmp_path)
    assert found == [("src/main.py:10:12", "orders")]  # `admin`, which uvicorn does not run, stays quiet
    assert warnings == ""  # the image function is this image: no "cannot map" warning


def test_fastapi_run_behind_the_web_adapter_serves_the_app_of_its_module(tmp_path: Path) -> None:
    write_files(
        tmp_path, {"Dockerfile": _image('["fastapi", "run", "main.py", "--port", "8080"]'), "src/main.py": FASTAPI}
    )
    assert _check(tmp_path) == ([("src/main.py:10:12", "orders")], "")
    (tmp_path / "Dockerfile").write_text(_image('["fastapi", "run", "--app", "admin"]'), encoding="utf-8")
    assert _check(tmp_path) == ([("src/main.py:15:12", "stats")], "")  # main.py is the CLI's default module


def test_an_entrypoint_and_its_cmd_are_one_command(tmp_path: Path) -> None:
    dockerfile = _image('["main:app", "--port", "8080"]').replace("CMD", 'ENTRYPOINT ["uvicorn"]\nCMD')
    write_files(tmp_path, {"Dockerfile": dockerfile, "src/main.py": FASTAPI})
    assert _check(tmp_path) == ([("src/main.py:10:12", "orders")], "")


def test_a_gunicorn_factory_behind_the_web_adapter_is_the_app_it_returns(tmp_path: Path) -> None:
    factory = "import psycopg2\nfrom flask import Flask\n\n\ndef create_app():\n    app = Flask(__name__)\n\n"
    factory += '    @app.route("/x")\n    def x():\n        return psycopg2.connect("dbname=shop")\n\n    return app\n'
    write_files(
        tmp_path,
        {"Dockerfile": _image("gunicorn -b 0.0.0.0:8080 'web:create_app()'"), "src/web.py": factory},
    )
    assert _check(tmp_path) == ([("src/web.py:10:16", "create_app.x")], "")


def test_django_runserver_behind_the_web_adapter_serves_its_views(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "Dockerfile": _image('["python", "manage.py", "runserver", "0.0.0.0:8080"]'),
            "src/manage.py": (
                "import os\nimport sys\n\n\ndef main():\n"
                '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")\n'
                "    from django.core.management import execute_from_command_line\n\n"
                "    execute_from_command_line(sys.argv)\n"
            ),
            "src/core/__init__.py": "",
            "src/core/settings.py": 'ROOT_URLCONF = "core.urls"\n',
            "src/core/urls.py": (
                'from django.urls import path\n\nfrom core import views\n\nurlpatterns = [path("r/", views.report)]\n'
            ),
            "src/core/views.py": 'import psycopg2\n\n\ndef report(request):\n    return psycopg2.connect("dbname=x")\n',
        },
    )
    assert _check(tmp_path) == ([("src/core/views.py:5:12", "report")], "")
    shown = run_cli("check", "--show-settings", ".", cwd=tmp_path).stdout
    served = "# django settings: src/core/settings.py (served on Lambda by the Lambda Web Adapter, Dockerfile line 5)"
    assert served in shown.splitlines()


def test_a_web_server_image_without_the_adapter_serves_nothing_on_lambda(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "Dockerfile": _image('["uvicorn", "main:app"]', adapter=""),
            "src/main.py": FASTAPI,
            "terraform/main.tf": TERRAFORM,
        },
    )
    found, warnings = _check(tmp_path)
    assert found == []
    assert "terraform/main.tf:1: cannot map an image function" in warnings


def test_a_command_behind_the_adapter_that_cannot_be_mapped_says_why(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {"Dockerfile": _image('["flask", "run"]'), "src/main.py": FASTAPI, "terraform/main.tf": TERRAFORM},
    )
    found, warnings = _check(tmp_path)
    assert found == []
    assert warnings.splitlines() == [
        "pinlint: warning: Dockerfile:5: cannot map the app the Lambda Web Adapter serves to source (the image runs"
        " `flask run` behind the Lambda Web Adapter; pinlint reads `uvicorn`, `gunicorn`, `hypercorn`, `daphne` or"
        " `granian` `MODULE:APP`, `fastapi run` and `manage.py runserver`); it is not analysed, and the"
        " lambda_handler(event, context) convention stays on"
    ]


def test_an_empty_or_broken_command_behind_the_adapter_is_one_warning(tmp_path: Path) -> None:
    for command in ("[]", '["uvicorn", "main:app"'):
        write_files(tmp_path, {"Dockerfile": _image(command), "src/main.py": FASTAPI})
        found, warnings = _check(tmp_path)
        assert found == []
        assert warnings.splitlines() == [
            "pinlint: warning: Dockerfile:5: cannot map the app the Lambda Web Adapter serves to source (the image"
            " runs a web server behind the Lambda Web Adapter, and its command is empty or not valid JSON); it is"
            " not analysed, and the lambda_handler(event, context) convention stays on"
        ]


def test_a_quoted_shell_command_behind_the_adapter_is_read(tmp_path: Path) -> None:
    write_files(
        tmp_path, {"Dockerfile": _image('["sh", "-c", "uvicorn main:app --port $PORT"]'), "src/main.py": FASTAPI}
    )
    assert _check(tmp_path) == ([("src/main.py:10:12", "orders")], "")


URLS = 'from django.urls import path\n\nfrom core import views\n\nurlpatterns = [path("r/", views.report)]\n'
VIEWS = 'import psycopg2\n\n\ndef report(request):\n    return psycopg2.connect("dbname=x")\n'


def test_gunicorn_running_a_django_wsgi_module_behind_the_adapter_serves_its_views(tmp_path: Path) -> None:
    wsgi = (
        "import os\n\nfrom django.core.wsgi import get_wsgi_application\n\n"
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\napplication = get_wsgi_application()\n'
    )
    write_files(
        tmp_path,
        {
            "Dockerfile": _image('["gunicorn", "mysite.wsgi:application", "-w=1", "-b=0.0.0.0:8000"]'),
            "src/mysite/__init__.py": "",
            "src/mysite/wsgi.py": wsgi,
            "src/mysite/settings.py": 'ROOT_URLCONF = "mysite.urls"\n',
            "src/mysite/urls.py": URLS.replace("core", "mysite"),
            "src/mysite/views.py": VIEWS,
        },
    )
    assert _check(tmp_path) == ([("src/mysite/views.py:5:12", "report")], "")


def test_an_adapter_named_only_in_a_comment_does_not_make_a_lambda_image(tmp_path: Path) -> None:
    """survey3b fp2: an image for ECS or App Runner that keeps the adapter line commented out."""
    command = '["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8080"]'
    write_files(tmp_path, {"Dockerfile": _image(command, adapter=f"#{ADAPTER}# lambda-adapter: see docs\n")})
    write_files(tmp_path, {"src/main.py": FASTAPI})
    assert _check(tmp_path) == ([], "")


def test_the_adapter_stage_copied_on_continued_lines_or_configured_by_env_is_read(tmp_path: Path) -> None:
    command = '["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8080"]'
    staged = (
        "FROM public.ecr.aws/awsguru/aws-lambda-adapter:0.9.0 AS adapter\n"
        "# the web server\nCOPY \\\n    --from=adapter /lambda-adapter /opt/extensions/lambda-adapter\n"
    )
    configured = "ENV AWS_LWA_PORT=8080\n"
    for adapter in (staged, configured):
        write_files(tmp_path, {"Dockerfile": _image(command, adapter=adapter), "src/main.py": FASTAPI})
        assert _check(tmp_path)[0] == [("src/main.py:10:12", "orders")], adapter


def test_an_adapter_stage_that_nothing_copies_from_does_not_make_a_lambda_image(tmp_path: Path) -> None:
    """survey3c fp2: the adapter's image as a build stage whose `COPY --from` is commented out."""
    command = '["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8080"]'
    stage = "FROM public.ecr.aws/awsguru/aws-lambda-adapter:0.9.0 AS adapter\n"
    unused = "# COPY --from=adapter /lambda-adapter /opt/extensions/lambda-adapter\n"
    write_files(tmp_path, {"Dockerfile": stage + _image(command, adapter=unused), "src/main.py": FASTAPI})
    assert _check(tmp_path) == ([], "")
    write_files(tmp_path, {"Dockerfile": stage + _image(command, adapter=unused.lstrip("# "))})
    assert _check(tmp_path)[0] == [("src/main.py:10:12", "orders")]
