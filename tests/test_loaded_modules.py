"""PIN028 and PIN032 for a pool or engine made at import time of a project module that a handler's
module imports (pinlint.index.loads): reported at that import, in the handler's module, with the
call's file and line and the handler; quiet where no handler's module loads the module."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import FIXTURES, run_cli

HOUR = 3_600_000_000_000
SERVERLESS = "service: s\nprovider:\n  name: aws\nfunctions:\n  orders:\n    handler: handler.create\n"
HANDLER = "from app.db import engine\n\n\ndef create(event, context):\n    return engine\n"
ENGINE = "from sqlalchemy import create_engine\n\nengine = create_engine(URL{options})\n"


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"serverless.yml": SERVERLESS, "app/__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _age(root: Path) -> None:
    """Move every file's mtime an hour back, so that an edit in the test is always a new mtime."""
    for path in root.rglob("*"):
        if path.is_file():
            old = path.stat().st_mtime_ns - HOUR
            os.utime(path, ns=(old, old))


def _findings(root: Path, *paths: str, cache: bool = False) -> list[str]:
    options = () if cache else ("--no-cache",)
    result = run_cli(
        "check", *options, "--select", "PIN028,PIN032", "--output-format", "concise", "-q", *(paths or (".",)), cwd=root
    )
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    return result.stdout.splitlines()


def test_an_engine_made_in_an_imported_module_is_reported_at_the_import(tmp_path: Path) -> None:
    root = _project(tmp_path, {"handler.py": HANDLER, "app/db.py": ENGINE.format(options=", pool_size=5")})
    assert _findings(root) == [
        "handler.py:1:20: PIN028 `sqlalchemy.create_engine()` in app/db.py:3 sized for more than one connection"
        " (`pool_size` 5) in a module loaded by handler `create` (serverless.yml line 6)",
        "handler.py:1:20: PIN032 `sqlalchemy.create_engine()` in app/db.py:3 keeps connections without"
        " `pool_pre_ping=True` in a module loaded by handler `create` (serverless.yml line 6)",
    ]


def test_the_module_itself_gets_the_same_answer_alone_and_in_the_whole_run(tmp_path: Path) -> None:
    root = _project(tmp_path, {"handler.py": HANDLER, "app/db.py": ENGINE.format(options="")})
    whole = _findings(root)
    assert [line.split(" ", 1)[0] for line in whole] == ["handler.py:1:20:"]
    assert _findings(root, "app/db.py") == []  # what pre-commit runs after editing the engine's module
    assert _findings(root, "handler.py") == whole


def test_a_module_loaded_through_others_is_reported_at_the_import_that_leads_there(tmp_path: Path) -> None:
    handler = "import json\nfrom app.models import User\n\n\ndef create(event, context):\n    return User()\n"
    files = {
        "handler.py": handler,
        "app/models.py": "from app.session import Base\n\n\nclass User(Base):\n    pass\n",
        "app/session.py": "from app.db import engine\n\nBase = object\n",
        "app/db.py": ENGINE.format(options=""),
    }
    found = _findings(_project(tmp_path, files))
    assert [line.split(" PIN")[0] for line in found] == ["handler.py:2:24:"]
    assert "in app/db.py:3 (through app/models.py -> app/session.py) keeps connections" in found[0]


def test_a_direct_import_of_the_module_is_preferred_to_a_longer_way(tmp_path: Path) -> None:
    handler = (
        "from app.models import User\nfrom app.db import engine\n\n\ndef create(event, context):\n    return User\n"
    )
    files = {
        "handler.py": handler,
        "app/models.py": "from app.db import engine\n\n\nclass User:\n    pass\n",
        "app/db.py": ENGINE.format(options=""),
    }
    assert [line.split(" PIN")[0] for line in _findings(_project(tmp_path, files))] == ["handler.py:2:20:"]


def test_modules_no_handler_loads_at_import_time_stay_quiet(tmp_path: Path) -> None:
    handler = (
        "def create(event, context):\n"
        "    from app.db import engine  # imported when the handler runs: the engine is made once, at first use\n"
        "    return 1\n"
    )
    files = {
        "handler.py": handler,
        "app/db.py": ENGINE.format(options=""),
        "app/batch.py": ENGINE.format(options=", pool_size=8"),  # imported by nothing
        "scripts/report.py": "from app.db import engine\n\n\ndef main():\n    return engine\n",  # not a handler
    }
    assert _findings(_project(tmp_path, files)) == []


def test_look_alikes_in_a_loaded_module_stay_quiet(tmp_path: Path) -> None:
    db = (
        "from sqlalchemy import create_engine\n"
        "\n"
        "engine = create_engine(URL, pool_size=1, max_overflow=0, pool_pre_ping=True)\n"
        "\n"
        "\n"
        "def batch_engine():\n"
        "    return create_engine(URL, pool_size=8)  # made when called, not when loaded\n"
    )
    assert _findings(_project(tmp_path, {"handler.py": HANDLER, "app/db.py": db})) == []


def test_noqa_on_the_call_or_on_the_import_silences_it(tmp_path: Path) -> None:
    db = "from sqlalchemy import create_engine\n\nengine = create_engine(URL)  # noqa: PIN032\n"
    assert _findings(_project(tmp_path / "a", {"handler.py": HANDLER, "app/db.py": db})) == []
    handler = HANDLER.replace("import engine\n", "import engine  # noqa: PIN032\n", 1)
    files = {"handler.py": handler, "app/db.py": ENGINE.format(options="")}
    assert _findings(_project(tmp_path / "b", files)) == []


def test_a_warm_run_of_the_handler_sees_an_edit_of_the_module_it_loads(tmp_path: Path) -> None:
    root = _project(tmp_path, {"handler.py": HANDLER, "app/db.py": ENGINE.format(options="")})
    _age(root)
    assert len(_findings(root, "handler.py", cache=True)) == 1
    (root / "app" / "db.py").write_text(ENGINE.format(options=", pool_pre_ping=True"), encoding="utf-8")
    assert _findings(root, "handler.py", cache=True) == []


def test_an_open_transaction_at_import_is_judged_only_in_the_handler_module(tmp_path: Path) -> None:
    """PIN054's evidence ("nothing in the module commits") is the module's own text: a commit may
    sit in any module the handler uses, so a connection in a loaded module is not judged."""
    db = "import pymysql\n\nconn = pymysql.connect(host=HOST)\n"
    handler = "from app.db import conn\n\n\ndef create(event, context):\n    conn.commit()\n"
    root = _project(tmp_path, {"handler.py": handler, "app/db.py": db})
    result = run_cli("check", "--no-cache", "--select", "PIN054", "--output-format", "concise", "-q", ".", cwd=root)
    assert result.stdout == ""


def test_the_fixture_app_reports_its_engine_module_and_not_its_decoy(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "multi-module-app", app)
    found = _findings(app)
    assert [line.split(" ", 2)[:2] for line in found] == [
        ["handlers/catalog.py:4:27:", "PIN028"],
        ["handlers/catalog.py:4:27:", "PIN032"],
    ]
    assert "common/pool.py:7" in found[0] and "common/engine.py:7" in found[1]
    assert not any("batch_engine" in line for line in found)


def test_a_loaded_module_that_defines_a_handler_itself_reports_its_engine_there(tmp_path: Path) -> None:
    handler = "import app.db\n\n\ndef create(event, context):\n    return app.db.engine\n"
    db = ENGINE.format(options="") + "\n\ndef lambda_handler(event, context):\n    return engine\n"
    serverless = SERVERLESS + "  jobs:\n    handler: app/db.lambda_handler\n"
    root = _project(tmp_path, {"handler.py": handler, "app/db.py": db, "serverless.yml": serverless})
    assert [line.split(" PIN")[0] for line in _findings(root)] == ["app/db.py:3:10:"]


def test_an_import_for_type_checking_only_loads_nothing(tmp_path: Path) -> None:
    handler = (
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from app.db import engine\n\n\n"
        "def create(event, context):\n    return 1\n"
    )
    assert _findings(_project(tmp_path, {"handler.py": handler, "app/db.py": ENGINE.format(options="")})) == []


def test_the_packages_an_import_names_are_loaded_too(tmp_path: Path) -> None:
    files = {
        "handler.py": "from app.models.user import User\n\n\ndef create(event, context):\n    return User\n",
        "app/__init__.py": ENGINE.format(options=""),
        "app/models/__init__.py": "",
        "app/models/user.py": "class User:\n    pass\n",
    }
    found = _findings(_project(tmp_path, files))
    assert [line.split(" PIN")[0] for line in found] == ["handler.py:1:29:"]
    assert "in app/__init__.py:3" in found[0]


def test_a_relative_import_in_a_package_loads_its_module(tmp_path: Path) -> None:
    serverless = SERVERLESS.replace("handler: handler.create", "handler: app/api.create")
    files = {
        "serverless.yml": serverless,
        "app/api.py": "from . import db\n\n\ndef create(event, context):\n    return db.engine\n",
        "app/db.py": ENGINE.format(options=""),
    }
    found = _findings(_project(tmp_path, files))
    assert [line.split(" PIN")[0] for line in found] == ["app/api.py:1:15:"]
