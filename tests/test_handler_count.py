"""One PIN022 at a connection call that several handlers of the module reach names the handler
with the shortest path and says how many others reach it."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

ZAPPA = '{"dev": {"app_function": "api.app"}}\n'
API = """\
import psycopg2
from flask import Flask

app = Flask(__name__)


class Database:
    def get_db_conn(self):
        return psycopg2.connect("dbname=dbd")

    def get_db(self):
        return self.get_db_conn()


def user_exists(name):
    return Database().get_db()


@app.route("/register", methods=["POST"])
def register_user():
    return str(user_exists("x"))


@app.route("/player")
def get_player():
    return Database().get_db()


@app.route("/character")
def characters():
    return Database().get_db()


@app.route("/audit")
def audit():
    return psycopg2.connect("dbname=audit")
"""


def _messages(root: Path) -> list[str]:
    result = run_cli("check", "--no-cache", "--select", "PIN022", "--output-format", "concise", "-q", ".", cwd=root)
    assert result.stderr == ""
    return result.stdout.splitlines()


def test_a_call_many_handlers_reach_names_the_nearest_and_counts_the_others(tmp_path: Path) -> None:
    (tmp_path / "zappa_settings.json").write_text(ZAPPA, encoding="utf-8")
    (tmp_path / "api.py").write_text(API, encoding="utf-8")
    assert _messages(tmp_path) == [
        "api.py:9:16: PIN022 `psycopg2.connect()` runs on every invocation of handler `get_player` and 2 other"
        " handlers, through `Database.get_db()` -> `Database.get_db_conn()`",
        # reached by one handler only: no count
        "api.py:36:12: PIN022 `psycopg2.connect()` runs on every invocation of handler `audit`",
    ]


def test_one_other_handler_is_counted_in_the_singular(tmp_path: Path) -> None:
    (tmp_path / "zappa_settings.json").write_text(ZAPPA, encoding="utf-8")
    (tmp_path / "api.py").write_text(API.split('@app.route("/character")')[0], encoding="utf-8")
    assert _messages(tmp_path)[0].endswith(
        "`get_player` and 1 other handler, through `Database.get_db()` -> `Database.get_db_conn()`"
    )
