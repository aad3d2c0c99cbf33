"""Class-based views as Lambda handlers: Django views and DRF ViewSets in the `urlpatterns` of a
Django app served on Lambda, and Flask `MethodView`s (and function views) added with
`add_url_rule` to an app or blueprint served on Lambda. Their request methods are the handlers."""

from __future__ import annotations

from pathlib import Path

from conftest import handler_connections, write_files


def _findings(root: Path) -> list[tuple[str, str]]:
    """(path:line:column, the handler and why) of each PIN022 finding."""
    return [(where, item["consequence"].split(" (", 1)[1]) for where, item in handler_connections(root)]


DJANGO_URLS = """\
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from reports import views
from reports.views import Detail, ItemViewSet

router = DefaultRouter()
router.register(r"items", ItemViewSet, basename="item")
unused = DefaultRouter()
unused.register(r"hidden", views.Hidden)

urlpatterns = [
    path("<int:pk>/", Detail.as_view()),
    path("summary/", views.Summary.as_view()),
    path("api/", include(router.urls)),
]
"""

DJANGO_VIEWS = """\
import psycopg2
from django.views import View
from rest_framework import viewsets
from rest_framework.decorators import action


class Base(View):
    def dispatch(self, request, *args, **kwargs):
        self.conn = psycopg2.connect("host=db")
        return super().dispatch(request, *args, **kwargs)


class Detail(View):
    def get(self, request, pk):
        return psycopg2.connect("host=db")

    def helper(self):
        return psycopg2.connect("host=db")


class Summary(Base):
    def get(self, request):
        return None


class Unrouted(View):
    def get(self, request):
        return psycopg2.connect("host=db")


class Hidden(viewsets.ViewSet):
    def list(self, request):
        return psycopg2.connect("host=db")


class ItemViewSet(viewsets.ViewSet):
    def list(self, request):
        return psycopg2.connect("host=db")

    @action(detail=False)
    def recent(self, request):
        return psycopg2.connect("host=db")

    def helper(self):
        return psycopg2.connect("host=db")
"""


def _django(root: Path, zappa: bool = True) -> Path:
    files = {
        "site_conf/__init__.py": "",
        "site_conf/settings.py": 'ROOT_URLCONF = "reports.urls"\n',
        "reports/__init__.py": "",
        "reports/urls.py": DJANGO_URLS,
        "reports/views.py": DJANGO_VIEWS,
    }
    if zappa:
        files["zappa_settings.json"] = '{"prod": {"django_settings": "site_conf.settings", "s3_bucket": "b"}}'
    return write_files(root, files)


def test_django_class_based_views_and_viewsets_are_handlers(tmp_path: Path) -> None:
    found = _findings(_django(tmp_path))
    assert found == [
        (
            "reports/views.py:9:21",
            "`Base.dispatch` is the `dispatch` method of view `Summary`, a Django view in `urlpatterns`,"
            " reports/urls.py line 14)",
        ),
        (
            "reports/views.py:15:16",
            "`Detail.get` is the `get` method of view `Detail`, a Django view in `urlpatterns`,"
            " reports/urls.py line 13)",
        ),
        (
            "reports/views.py:38:16",
            "`ItemViewSet.list` is the `list` method of view `ItemViewSet`, a Django view in `urlpatterns`,"
            " reports/urls.py line 8)",
        ),
        (
            "reports/views.py:42:16",
            "`ItemViewSet.recent` is the `recent` method of view `ItemViewSet`, a Django view in `urlpatterns`,"
            " reports/urls.py line 8)",
        ),
    ]  # not: helpers, the unrouted view, the ViewSet of a router whose urls nobody includes


def test_django_views_of_an_app_not_served_on_lambda_are_no_handlers(tmp_path: Path) -> None:
    assert _findings(_django(tmp_path, zappa=False)) == []


FLASK_APP = """\
import psycopg2
from flask import Flask
from flask.views import MethodView
from mangum import Mangum

from views import bp

app = Flask(__name__)


class Items(MethodView):
    def get(self):
        return psycopg2.connect("host=db")

    def _helper(self):
        return psycopg2.connect("host=db")


def ping():
    return psycopg2.connect("host=db")


def unrouted():
    return psycopg2.connect("host=db")


app.add_url_rule("/items", view_func=Items.as_view("items"))
app.add_url_rule("/ping", "ping", ping)
app.register_blueprint(bp)
handler = Mangum(app)
"""

FLASK_BLUEPRINT = """\
import psycopg2
from flask import Blueprint
from flask.views import MethodView

from lib import Reports

bp = Blueprint("bp", __name__)


class Orders(MethodView):
    def post(self):
        return psycopg2.connect("host=db")


bp.add_url_rule("/orders", view_func=Orders.as_view("orders"))
bp.add_url_rule("/reports", view_func=Reports.as_view("reports"))
"""

FLASK_LIB = """\
import psycopg2
from flask.views import MethodView


class Reports(MethodView):
    def get(self):
        return psycopg2.connect("host=db")
"""


def test_flask_method_views_and_url_rules_of_a_served_app_are_handlers(tmp_path: Path) -> None:
    write_files(tmp_path, {"app.py": FLASK_APP, "views.py": FLASK_BLUEPRINT, "lib.py": FLASK_LIB})
    found = _findings(tmp_path)
    assert [where for where, _ in found] == ["app.py:13:16", "app.py:20:12", "lib.py:7:16", "views.py:12:16"]
    assert found[0][1] == (
        "`Items.get` is the `get` method of view `Items`, added by"
        " `app.add_url_rule(..., view_func=Items.as_view('items'))`, line 27, behind `Mangum(app)`, line 30)"
    )
    assert found[1][1].startswith("`ping` is a Flask view added by `app.add_url_rule(..., view_func=ping)`, line 28")
    assert "included by `app.register_blueprint(bp)`, app.py line 29" in found[3][1]


def test_flask_method_views_of_an_app_nothing_serves_on_lambda_are_no_handlers(tmp_path: Path) -> None:
    served = FLASK_APP.replace("from mangum import Mangum\n", "").replace("handler = Mangum(app)\n", "")
    write_files(tmp_path, {"web.py": served, "views.py": FLASK_BLUEPRINT, "lib.py": FLASK_LIB})
    assert _findings(tmp_path) == []
