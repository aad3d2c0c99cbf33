"""A PIN028/PIN032 finding placed on an import that reaches the engine's module only through other
modules names them (survey3b, shortener's `from ..utils import get_db`): the user sees why that
import line leads to the engine. An import of the engine's module itself names no chain."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

SERVERLESS = "service: s\nprovider:\n  name: aws\nfunctions:\n  orders:\n    handler: handler.create\n"
ENGINE = "from sqlalchemy import create_engine\n\nengine = create_engine(URL)\n"


def _pin032(root: Path, files: dict[str, str]) -> list[str]:
    for name, text in {"serverless.yml": SERVERLESS, "app/__init__.py": "", "app/db.py": ENGINE, **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    result = run_cli("check", "--no-cache", "--select", "PIN032", "--output-format", "concise", "-q", ".", cwd=root)
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    return result.stdout.splitlines()


def test_an_import_two_steps_from_the_engine_names_the_module_between(tmp_path: Path) -> None:
    found = _pin032(
        tmp_path,
        {
            "handler.py": "from app.utils import get_db\n\n\ndef create(event, context):\n    return get_db()\n",
            "app/utils.py": "from .db import engine\n\n\ndef get_db():\n    return engine.connect()\n",
        },
    )
    assert found == [
        "handler.py:1:23: PIN032 `sqlalchemy.create_engine()` in app/db.py:3 (through app/utils.py) keeps"
        " connections without `pool_pre_ping=True` in a module loaded by handler `create`"
    ]


def test_an_import_of_the_engine_module_itself_names_no_chain(tmp_path: Path) -> None:
    found = _pin032(
        tmp_path, {"handler.py": "from app.db import engine\n\n\ndef create(event, context):\n    return engine\n"}
    )
    assert [line.split(" ", 1)[0] for line in found] == ["handler.py:1:20:"]
    assert "through" not in found[0]
