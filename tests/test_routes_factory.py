"""Flask and FastAPI apps built by an application factory (`app = create_app()`): the app the
factory returns is the served app, so its nested routes and the resources and blueprints it adds,
in its module or imported from others, are Lambda handlers."""

from __future__ import annotations

from pathlib import Path

from conftest import handler_connections, write_files


def _findings(root: Path) -> list[tuple[str, str]]:
    """(path:line:column, handler) of each PIN022 finding."""
    return [
        (where, item["message"].split("handler `", 1)[1].split("`", 1)[0]) for where, item in handler_connections(root)
    ]


SERVERLESS = """\
service: s
provider:
  name: aws
  runtime: python3.11
custom:
  wsgi:
    app: handler.app
functions:
  api:
    handler: handler.handler
plugins:
  - serverless-wsgi
"""

HANDLER = """\
import serverless_wsgi

from app import create_app

app = create_app()


def handler(event, context):
    return serverless_wsgi.handle_request(app, event, context)
"""

FACTORY = """\
from flask import Flask
from flask_restful import Api

from .db import connect
from .orders import orders


def create_app():
    app = Flask(__name__)
    settings = connect()
    api = Api(app)
    from app.resources import UserResource
    api.add_resource(UserResource, "/users")
    app.register_blueprint(orders)

    @app.route("/hello")
    def hello():
        connect()
        return "hi"

    def not_a_route():
        connect()

    return app


def make_other():
    other = Flask("other")

    @other.route("/x")
    def unused():
        connect()

    return other
"""

DB = """\
import psycopg2


def connect():
    return psycopg2.connect("dbname=x")
"""

RESOURCES = """\
from flask_restful import Resource

from app.db import connect


class UserResource(Resource):
    def get(self):
        return connect()


class NotAdded(Resource):
    def get(self):
        return connect()
"""

ORDERS = """\
from flask import Blueprint

from .db import connect

orders = Blueprint("orders", __name__)


@orders.get("/orders")
def list_orders():
    return connect()
"""


def test_routes_resources_and_blueprints_of_a_factory_app_are_handlers(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "serverless.yml": SERVERLESS,
            "handler.py": HANDLER,
            "app/__init__.py": FACTORY,
            "app/db.py": DB,
            "app/resources.py": RESOURCES,
            "app/orders.py": ORDERS,
        },
    )
    # the connect at build time (`settings = connect()`, run once at import), the nested function
    # that is no route, the app of another factory nobody serves and the resource nobody adds stay quiet
    assert sorted(_findings(tmp_path)) == [
        ("app/__init__.py:18:9", "create_app.hello"),
        ("app/orders.py:10:12", "list_orders"),
        ("app/resources.py:8:16", "UserResource.get"),
    ]


def test_a_factory_in_the_served_module_builds_the_served_app(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "main.py": """\
import psycopg2
from fastapi import FastAPI
from mangum import Mangum


def build():
    app = FastAPI()

    @app.get("/items")
    def items():
        return psycopg2.connect("dbname=x")

    return app


def build_unserved():
    app = FastAPI()

    @app.get("/other")
    def other():
        return psycopg2.connect("dbname=x")

    return app


app = build()
spare = build_unserved()
handler = Mangum(app)
""",
        },
    )
    assert _findings(tmp_path) == [("main.py:11:16", "build.items")]


def test_a_factory_app_nobody_serves_makes_no_handler(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "serverless.yml": SERVERLESS.replace("custom:\n  wsgi:\n    app: handler.app\n", ""),
            "handler.py": HANDLER.replace("serverless_wsgi.handle_request(app, event, context)", "1"),
            "app/__init__.py": FACTORY,
            "app/db.py": DB,
            "app/resources.py": RESOURCES,
            "app/orders.py": ORDERS,
        },
    )
    assert _findings(tmp_path) == []


def test_a_blueprint_made_in_the_factory_and_registered_on_its_app_is_served(tmp_path: Path) -> None:
    factory = """\
import psycopg2
from flask import Blueprint, Flask
from mangum import Mangum


def create_app():
    app = Flask(__name__)
    api = Blueprint("api", __name__)
    spare = Blueprint("spare", __name__)

    @api.get("/orders")
    def orders():
        return psycopg2.connect("dbname=x")

    @spare.get("/unused")
    def unused():
        return psycopg2.connect("dbname=x")

    app.register_blueprint(api)
    return app


app = create_app()
handler = Mangum(app)
"""
    write_files(tmp_path, {"main.py": factory})
    assert _findings(tmp_path) == [("main.py:13:16", "create_app.orders")]  # `spare` is never registered
