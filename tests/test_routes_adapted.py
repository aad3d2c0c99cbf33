"""An app adapted inside a handler of the `handler(event, context)` convention, in a module not
named like an entry point, is served on Lambda; and an adapted `module.app` (`app` an imported
module of the project) is that module's app."""

from __future__ import annotations

from pathlib import Path

from conftest import handler_connections, run_cli, write_files


def _findings(root: Path) -> list[tuple[str, str]]:
    """(path:line:column, handler) of each PIN022 finding."""
    return [
        (where, item["message"].split("handler `", 1)[1].split("`", 1)[0]) for where, item in handler_connections(root)
    ]


FLASK_APP = """\
import psycopg2
from flask import Flask

app = Flask(__name__)
other = Flask("other")


@app.route("/images")
def images():
    return psycopg2.connect("dbname=pint")


@other.route("/unserved")
def unserved():
    return psycopg2.connect("dbname=pint")
"""


def test_an_app_adapted_by_a_convention_handler_is_served(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "serverless_app.py": (
                "import serverless_wsgi\n\nfrom pkg.app import app\n\n\n"
                "def handler(event, context):\n    return serverless_wsgi.handle_request(app, event, context)\n"
            ),
            "pkg/__init__.py": "",
            "pkg/app.py": FLASK_APP,
        },
    )
    assert _findings(tmp_path) == [("pkg/app.py:10:12", "images")]


def test_an_adapted_module_attribute_is_the_app_of_that_module(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "serverless_app.py": (
                "import serverless_wsgi\n\nfrom pkg import app\n\n\n"
                "def handler(event, context):\n    return serverless_wsgi.handle_request(app.app, event, context)\n"
            ),
            "pkg/__init__.py": "",
            "pkg/app.py": FLASK_APP,
        },
    )
    assert _findings(tmp_path) == [("pkg/app.py:10:12", "images")]


def test_an_adapter_outside_a_handler_of_an_undeclared_module_serves_nothing(tmp_path: Path) -> None:
    # a script that adapts the app for a local run, neither named like an entry point nor a handler
    write_files(
        tmp_path,
        {
            "tools/serve_local.py": (
                "import serverless_wsgi\n\nfrom pkg import app\n\n\n"
                "def run(event):\n    return serverless_wsgi.handle_request(app.app, event, None)\n"
            ),
            "pkg/__init__.py": "",
            "pkg/app.py": FLASK_APP,
        },
    )
    assert _findings(tmp_path) == []


def test_a_convention_handler_under_a_declaration_is_not_taken_for_one(tmp_path: Path) -> None:
    # serverless.yml declares another handler here: the convention is off, so is the adapter module
    write_files(
        tmp_path,
        {
            "serverless.yml": "service: s\nfunctions:\n  jobs:\n    handler: jobs.run\n",
            "jobs.py": "def run(event, context):\n    return 1\n",
            "serverless_app.py": (
                "import serverless_wsgi\n\nfrom pkg import app\n\n\n"
                "def handler(event, context):\n    return serverless_wsgi.handle_request(app.app, event, context)\n"
            ),
            "pkg/__init__.py": "",
            "pkg/app.py": FLASK_APP,
        },
    )
    assert _findings(tmp_path) == []


def _cached_findings(root: Path, cache: Path) -> list[str]:
    result = run_cli(
        "check", "--cache-dir", str(cache), "--select", "PIN022", "--output-format", "concise", "-q", ".", cwd=root
    )
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    return [line.split(" ", 1)[0] for line in result.stdout.splitlines()]


def test_a_warm_run_sees_a_convention_handler_start_and_stop_adapting_the_app(tmp_path: Path) -> None:
    """The search for convention handlers that adapt an app is answered from the cache for an
    unchanged module, and read again when the module changes (both ways)."""
    project, cache = tmp_path / "project", tmp_path / "cache"
    adapting = (
        "import serverless_wsgi\n\nfrom pkg.app import app\n\n\n"
        "def handler(event, context):\n    return serverless_wsgi.handle_request(app, event, context)\n"
    )
    quiet = "from pkg.app import app\n\n\ndef handler(event, context):\n    return None\n"
    write_files(project, {"serverless_app.py": quiet, "pkg/__init__.py": "", "pkg/app.py": FLASK_APP})
    assert _cached_findings(project, cache) == []
    assert _cached_findings(project, cache) == []  # (warm)
    entry = project / "serverless_app.py"
    entry.write_text(adapting + "\n", encoding="utf-8")  # another size: seen as changed whatever the clock
    assert _cached_findings(project, cache) == ["pkg/app.py:10:12:"]
    assert _cached_findings(project, cache) == ["pkg/app.py:10:12:"]  # (warm, from the note)
    entry.write_text(quiet, encoding="utf-8")
    assert _cached_findings(project, cache) == []


def test_the_cache_answers_a_question_of_an_unchanged_file_without_reading_it_again(tmp_path: Path) -> None:
    import os
    import time

    from pinlint.cache import Cache

    module = tmp_path / "mod.py"
    module.write_text("def handler(event, context): ...\n", encoding="utf-8")
    old = time.time_ns() - 10**10  # (a modification time outside the racy window)
    os.utime(module, ns=(old, old))
    asked: list[bytes] = []

    def test(data: bytes) -> bool:
        asked.append(data)
        return b"handler" in data

    first = Cache(tmp_path / "cache", tmp_path)
    assert first.noted(module, test) is True
    first.save()
    second = Cache(tmp_path / "cache", tmp_path)
    assert second.noted(module, test) is True
    assert len(asked) == 1  # answered from the note
    module.write_text("x = 1\n", encoding="utf-8")
    os.utime(module, ns=(old, old))
    assert second.noted(module, test) is False and len(asked) == 2  # another size: read again
    assert second.noted(tmp_path / "missing.py", test) is None
