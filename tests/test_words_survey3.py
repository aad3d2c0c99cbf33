"""Words the real-code survey (survey3) found confusing: PIN014 on an `UNLISTEN *` clean-up, and
the declaration warnings for image functions whose Dockerfile or build context pinlint cannot
use, which now say why."""

from __future__ import annotations

from pathlib import Path

from conftest import lint, run_cli


def test_unlisten_is_not_described_as_listening() -> None:
    [finding] = lint('cur.execute("UNLISTEN *")\n')
    assert finding.code == "PIN014"
    assert finding.message == "`UNLISTEN` changes which notifications one database session receives"
    assert "UNLISTEN there drops the subscriptions of whichever client" in finding.consequence
    assert "clean-up" in finding.fix


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


HANDLER = "import psycopg\n\n\ndef handler(event, context):\n    return psycopg.connect(event['dsn'])\n"


def test_a_src_layout_image_says_where_its_module_is(tmp_path: Path) -> None:
    """eoapi-cdk's stac-loader: `CMD ["loader.handler.handler"]` of a package `pip install .` puts
    in the image; the module is under src/, and --show-settings shows the warning too."""
    _write(
        tmp_path,
        {
            "runtime/Dockerfile": (
                "FROM public.ecr.aws/lambda/python:3.12\nCOPY runtime/src/ ./src/\n"
                'RUN pip install . --target /asset\nCMD ["loader.handler.handler"]\n'
            ),
            "runtime/src/loader/__init__.py": "",
            "runtime/src/loader/handler.py": HANDLER,
        },
    )
    result = run_cli("check", "--no-cache", "--output-format", "concise", ".", cwd=tmp_path)
    assert (
        "it names runtime/loader/handler.py, which is not there; runtime/src/loader/handler.py is, in a `src/`"
        " layout the image installs as a package" in result.stderr
    )
    assert "runtime/src/loader/handler.py:5:12: PIN022" in result.stdout  # the convention still finds it
    shown = run_cli("check", "--no-cache", "--show-settings", ".", cwd=tmp_path).stdout
    assert "# handler: runtime/src/loader/handler.py:handler" in shown
    assert "# warning: runtime/Dockerfile:4: cannot map the handler `loader.handler.handler`" in shown


def test_a_module_that_is_nowhere_is_still_just_not_there(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {"Dockerfile": 'FROM public.ecr.aws/lambda/python:3.12\nCMD ["app.handler"]\n', "tools/other.py": HANDLER},
    )
    result = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert "it names app.py, which is not there);" in result.stderr


SAM = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
    Metadata:
      DockerContext: .staging
      Dockerfile: Dockerfile
"""


def test_a_docker_context_made_by_the_build_is_named(tmp_path: Path) -> None:
    """public-cloud-info-service: `.staging` is made by the Makefile before `sam build`."""
    _write(tmp_path, {"template.yaml": SAM, "serverless_app.py": HANDLER})
    result = run_cli("check", "--no-cache", "--output-format", "concise", ".", cwd=tmp_path)
    assert (
        "template.yaml:7: cannot map an image function to source (`Metadata.DockerContext` `.staging` (line 9)"
        " is not in the project: made by the build? Set `ImageConfig.Command`" in result.stderr
    )
    (tmp_path / ".staging").mkdir()
    result = run_cli("check", "--no-cache", "--output-format", "concise", ".", cwd=tmp_path)
    assert "`Metadata.DockerContext` `.staging` (line 9) holds no `Dockerfile`: made by the build?" in result.stderr
