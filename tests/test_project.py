"""Project-wide settings that settle a finding made in another file (Django's
DISABLE_SERVER_SIDE_CURSORS and QuerySet.iterator())."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import run_cli
from pinlint.project import ProjectCondition, sets_key

DISABLE = ProjectCondition("DISABLE_SERVER_SIDE_CURSORS", "True", "manage.py")

VIEW = """from django.http import JsonResponse
from shop.models import Order


def export(request):
    ids = [order.id for order in Order.objects.filter(paid=True).iterator()]
    return JsonResponse({"ids": ids})
"""


def _project(root: Path, settings: str) -> Path:
    (root / "manage.py").write_text("import django\n")
    (root / "mysite").mkdir()
    (root / "mysite" / "settings.py").write_text(settings)
    (root / "shop").mkdir()
    view = root / "shop" / "views.py"
    view.write_text(VIEW)
    return view


@pytest.mark.parametrize(
    ("settings", "line"),
    [
        (
            'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "DISABLE_SERVER_SIDE_CURSORS": True}}',
            1,
        ),
        ('DATABASES = {}\nDATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True', 2),
        (
            "import dj_database_url\n"
            "DATABASES = {'default': dj_database_url.config(\n disable_server_side_cursors=True)}",
            3,
        ),
    ],
)
def test_each_way_of_writing_the_setting_is_read(settings: str, line: int) -> None:
    assert sets_key(ast.parse(settings), DISABLE) == line


@pytest.mark.parametrize(
    "settings",
    [
        'DATABASES = {"default": {"DISABLE_SERVER_SIDE_CURSORS": False}}',
        'DATABASES = {"default": {"DISABLE_SERVER_SIDE_CURSORS": env("DISABLE")}}',
        '# "DISABLE_SERVER_SIDE_CURSORS": True\nDATABASES = {}',
    ],
)
def test_false_dynamic_or_commented_settings_do_not_count(settings: str) -> None:
    assert sets_key(ast.parse(settings), DISABLE) == 0


def test_settings_elsewhere_in_the_project_settle_a_one_file_run(tmp_path: Path) -> None:
    """The pre-commit case: only the view is passed, the settings module is found from manage.py."""
    view = _project(tmp_path, 'DATABASES = {"default": {"DISABLE_SERVER_SIDE_CURSORS": True}}\n')
    result = run_cli("check", "--no-cache", "--output-format", "concise", str(view), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PIN039" not in result.stdout


def test_without_the_setting_the_finding_says_where_pinlint_looked(tmp_path: Path) -> None:
    view = _project(tmp_path, 'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}\n')
    result = run_cli("check", "--no-cache", "--output-format", "concise", "shop/views.py", cwd=tmp_path)
    assert result.returncode == 1
    assert "shop/views.py:6:" in result.stdout and "PIN039" in result.stdout
    assert "no Python file under `.` sets `DISABLE_SERVER_SIDE_CURSORS = True`" in result.stdout
    assert view.read_text() == VIEW


def test_a_cached_finding_is_settled_too(tmp_path: Path) -> None:
    """The setting is added after a run that cached the view's finding: the next run drops it."""
    _project(tmp_path, "DATABASES = {}\n")
    first = run_cli("check", "--output-format", "concise", "shop", cwd=tmp_path)
    assert "PIN039" in first.stdout
    (tmp_path / "mysite" / "settings.py").write_text('DATABASES = {"default": {"DISABLE_SERVER_SIDE_CURSORS": True}}\n')
    second = run_cli("check", "--output-format", "concise", "shop", cwd=tmp_path)
    assert second.returncode == 0 and "PIN039" not in second.stdout


def test_a_root_the_run_linted_whole_is_answered_from_the_linted_files(tmp_path: Path) -> None:
    from pinlint.config import Settings
    from pinlint.project import ProjectFacts

    _project(tmp_path, 'DATABASES = {"default": {"DISABLE_SERVER_SIDE_CURSORS": True}}\n')
    settings_file = str(tmp_path / "mysite" / "settings.py")
    covered = (str(tmp_path) + "/",)
    known = ProjectFacts(Settings(root=tmp_path), {settings_file: [DISABLE.label]}, covered)
    assert known.where_set(tmp_path, DISABLE) == settings_file
    # linted whole and no linted file made the setting: the tree is not searched again
    assert ProjectFacts(Settings(root=tmp_path), {}, covered).where_set(tmp_path, DISABLE) == ""
    # not linted whole (a one-file run): the files under the root are searched
    searched = ProjectFacts(Settings(root=tmp_path), {}, ()).where_set(tmp_path, DISABLE)
    assert searched.endswith("mysite/settings.py:1")


def test_whole_project_run_settles_from_the_settings_it_linted(tmp_path: Path) -> None:
    _project(tmp_path, 'DATABASES = {"default": {"DISABLE_SERVER_SIDE_CURSORS": True}}\n')
    result = run_cli("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert result.returncode == 0 and "PIN039" not in result.stdout
    again = run_cli("check", "--output-format", "concise", ".", cwd=tmp_path)  # from the cache
    assert again.returncode == 0 and "PIN039" not in again.stdout
