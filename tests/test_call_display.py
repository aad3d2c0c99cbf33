"""How a finding names a callee reached through a chain of calls (a queryset's ``.iterator()``):
the chain as written, arguments elided, instead of ``….iterator()``."""

from __future__ import annotations

import ast

import pytest

from conftest import lint
from pinlint.extract.calls import call_display

PYCON = """from django.db import migrations


def forwards(apps, schema_editor):
    ScheduleItem = apps.get_model("schedule", "ScheduleItem")
    for item in (
        ScheduleItem.objects.filter(submission__isnull=False)
        .select_related("submission")
        .iterator()
    ):
        item.save()


class Migration(migrations.Migration):
    operations = [migrations.RunPython(forwards)]
"""


def test_a_chained_queryset_is_named_as_written() -> None:
    """pycon backend/schedule/migrations/0018_scheduleitem_languages.py:15 said `….iterator()`."""
    (finding,) = [finding for finding in lint(PYCON) if finding.code == "PIN040"]
    assert finding.message.startswith(
        "`ScheduleItem.objects.filter(…).select_related(…).iterator()` streams through a server-side cursor"
    )
    assert (finding.line, finding.column) == (7, 9)


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("Order.objects.filter(open=True).iterator", "Order.objects.filter(…).iterator"),
        ("rows[0].conn.cursor", "rows[…].conn.cursor"),
        (
            "Order.objects.filter(a=1).exclude(b=2).select_related('c').prefetch_related('d').order_by('e').iterator",
            "Order.objects.filter….iterator",
        ),
        ("[q for q in qs][0].iterator", "….iterator"),  # not a chain from a name
        ("get_queryset().iterator", "get_queryset(…).iterator"),
    ],
)
def test_call_display(source: str, shown: str) -> None:
    assert call_display(ast.parse(source, mode="eval").body) == shown
