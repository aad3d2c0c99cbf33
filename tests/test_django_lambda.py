"""Django's DATABASES when a Lambda serves the project (PIN056-PIN058): connections per request,
persistent connections without health checks, and the psycopg pool's size; quiet for a Django
project nothing serves on Lambda and for values pinlint cannot read."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import run_cli

SETTINGS = 'DATABASES = {{\n    "default": {{\n        "ENGINE": "django.db.backends.postgresql",{extra}\n    }}\n}}\n'
WSGI = (
    "import os\n\nfrom django.core.wsgi import get_wsgi_application\n\n"
    'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\napplication = get_wsgi_application()\n'
)
SERVERLESS = (
    "service: site\nprovider:\n  name: aws\nplugins:\n  - serverless-wsgi\n"
    "custom:\n  wsgi:\n    app: mysite.wsgi.application\n"
    "functions:\n  web:\n    handler: wsgi_handler.handler\n"
)
ZAPPA = '{"production": {"django_settings": "mysite.settings", "s3_bucket": "b"}}\n'
ASGI = (
    "import os\n\nfrom django.core.asgi import get_asgi_application\nfrom mangum import Mangum\n\n"
    'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n'
    "application = get_asgi_application()\nhandler = Mangum(application)\n"
)


def _project(root: Path, settings: str, **files: str) -> Path:
    for name, text in {"manage.py": "", "mysite/__init__.py": "", "mysite/settings.py": settings, **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _findings(root: Path, *paths: str, cache: bool = False) -> list[str]:
    options = () if cache else ("--no-cache",)
    result = run_cli(
        "check",
        *options,
        "--select",
        "PIN056,PIN057,PIN058",
        "--output-format",
        "concise",
        "-q",
        *(paths or (".",)),
        cwd=root,
    )
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    return result.stdout.splitlines()


def test_settings_served_by_serverless_wsgi_connect_on_every_request(tmp_path: Path) -> None:
    root = _project(tmp_path, SETTINGS.format(extra=""), **{"mysite/wsgi.py": WSGI, "serverless.yml": SERVERLESS})
    expected = [
        "mysite/settings.py:2:5: PIN056 `DATABASES['default']['CONN_MAX_AGE']` is not set: Django connects again"
        " for every request (served on Lambda by mysite/wsgi.py)"
    ]
    assert _findings(root) == expected
    assert _findings(root, "mysite/settings.py") == expected  # what pre-commit runs after editing the settings
    shown = run_cli("check", "--show-settings", ".", cwd=root).stdout.splitlines()
    assert "# django settings: mysite/settings.py (served on Lambda by mysite/wsgi.py)" in shown


def test_zappa_and_mangum_serve_django_too(tmp_path: Path) -> None:
    settings = SETTINGS.format(extra='\n        "CONN_MAX_AGE": 0,')
    zappa = _project(tmp_path / "zappa", settings, **{"zappa_settings.json": ZAPPA})
    assert _findings(zappa) == [
        "mysite/settings.py:4:9: PIN056 `DATABASES['default']['CONN_MAX_AGE']` is 0: Django connects again"
        " for every request (served on Lambda by zappa_settings.json)"
    ]
    mangum = _project(tmp_path / "mangum", settings, **{"mysite/asgi.py": ASGI})
    assert [line.split(" ", 2)[:2] for line in _findings(mangum)] == [["mysite/settings.py:4:9:", "PIN056"]]


def test_a_django_project_no_lambda_serves_is_not_judged(tmp_path: Path) -> None:
    wsgi = WSGI  # gunicorn serves it: no adapter, no declaration
    root = _project(tmp_path, SETTINGS.format(extra=""), **{"mysite/wsgi.py": wsgi})
    assert _findings(root) == []


def test_settings_pinlint_cannot_read_stay_quiet(tmp_path: Path) -> None:
    served = {"zappa_settings.json": ZAPPA}
    assert _findings(_project(tmp_path / "control", SETTINGS.format(extra=""), **served))  # the same, plain
    cases = {
        "health": '\n        "CONN_MAX_AGE": 60,\n        "CONN_HEALTH_CHECKS": True,',
        "environment": '\n        "CONN_MAX_AGE": int(os.environ["CONN_MAX_AGE"]),',
        "splat": "\n        **BASE,",
        "pool": '\n        "OPTIONS": {"pool": {"min_size": 1, "max_size": 1}},',
        "pool-computed": '\n        "OPTIONS": {"pool": POOL},',
    }
    for name, extra in cases.items():
        assert _findings(_project(tmp_path / name, "import os\n" + SETTINGS.format(extra=extra), **served)) == [], name
    sqlite = SETTINGS.format(extra="").replace("postgresql", "sqlite3")
    made_by_code = 'import dj_database_url\n\nDATABASES = {"default": dj_database_url.config()}\n'
    updated = SETTINGS.format(extra="") + 'DATABASES["default"].update(EXTRA)\n'
    for name, settings in {"sqlite": sqlite, "dj-database-url": made_by_code, "updated": updated}.items():
        assert _findings(_project(tmp_path / name, settings, **served)) == [], name


def test_keys_set_after_the_literal_count(tmp_path: Path) -> None:
    served = {"zappa_settings.json": ZAPPA}
    later = SETTINGS.format(extra="") + 'DATABASES["default"]["CONN_MAX_AGE"] = 60\n'
    assert _findings(_project(tmp_path / "sixty", later, **served)) == []
    forever = SETTINGS.format(extra="") + 'DATABASES["default"]["CONN_MAX_AGE"] = None\n'
    assert _findings(_project(tmp_path / "none", forever, **served)) == [
        "mysite/settings.py:6:1: PIN057 `DATABASES['default']['CONN_MAX_AGE']` is None without"
        " `CONN_HEALTH_CHECKS = True` (served on Lambda by zappa_settings.json)"
    ]


def test_an_entry_inside_a_module_level_if_is_read(tmp_path: Path) -> None:
    settings = "import os\n\nif 'DB_NAME' in os.environ:\n" + "".join(
        f"    {line}\n" for line in SETTINGS.format(extra='\n        "CONN_MAX_AGE": 3600,').splitlines()
    )
    found = _findings(_project(tmp_path, settings, **{"zappa_settings.json": ZAPPA}))
    assert [line.split(" ", 2)[:2] for line in found] == [["mysite/settings.py:7:13:", "PIN057"]]


def test_the_pool_rule_reads_django_pool_options(tmp_path: Path) -> None:
    settings = SETTINGS.format(extra='\n        "OPTIONS": {"pool": {"min_size": 2}},')
    assert _findings(_project(tmp_path, settings, **{"zappa_settings.json": ZAPPA})) == [
        "mysite/settings.py:4:30: PIN058 Django's connection pool `DATABASES['default']['OPTIONS']['pool']['min_size']`"
        " (2) holds more than one connection (served on Lambda by zappa_settings.json)"
    ]


def test_a_warm_run_sees_the_lambda_declaration_go(tmp_path: Path) -> None:
    root = _project(tmp_path, SETTINGS.format(extra=""), **{"zappa_settings.json": ZAPPA})
    hour = 3_600_000_000_000
    for path in root.rglob("*"):
        stat = path.stat()
        os.utime(path, ns=(stat.st_mtime_ns - hour, stat.st_mtime_ns - hour))
    assert len(_findings(root, "mysite/settings.py", cache=True)) == 1
    (root / "zappa_settings.json").unlink()
    assert _findings(root, "mysite/settings.py", cache=True) == []
