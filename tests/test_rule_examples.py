"""Every rule's documented examples: each bad one fires at its `at`, each good one stays clean."""

from __future__ import annotations

import os

import pytest

from conftest import CATALOG, lint
from pinlint.catalog import Example, Rule
from pinlint.declarations import Declarations
from pinlint.kinds.base import DatabaseEntryKind


def _cases(bad: bool) -> list[tuple[Rule, Example]]:
    return [(rule, example) for rule in CATALOG for example in (rule.bad if bad else rule.good)]


def _lint(rule: Rule, example: Example):
    """An example is read in its rule's first dialect unless its code names a driver; the example
    of a rule on the settings of a Django project served on Lambda is such a settings module."""
    served = None
    if isinstance(rule.kind, DatabaseEntryKind) and rule.kind.lambda_served:
        served = Declarations(lambda_settings={os.path.abspath(example.path): "served on Lambda by wsgi.py"})
    return lint(example.source, example.path, all_rules=True, declarations=served, dialect=rule.dialects[0])


@pytest.mark.parametrize(("rule", "example"), _cases(bad=True), ids=lambda value: getattr(value, "code", ""))
def test_bad_example_fires_exactly_at_documented_places(rule: Rule, example: Example) -> None:
    """The rule's findings on its bad example are exactly the documented ones: no fewer, no more."""
    found = sorted((f.line, f.column) for f in _lint(rule, example) if f.code == rule.code)
    assert found == sorted(example.at), f"{rule.code} fired at {found}, documented at {list(example.at)}"


@pytest.mark.parametrize(("rule", "example"), _cases(bad=False), ids=lambda value: getattr(value, "code", ""))
def test_good_example_is_not_flagged_by_its_rule(rule: Rule, example: Example) -> None:
    found = [(f.code, f.line, f.column) for f in _lint(rule, example) if f.code == rule.code]
    assert found == []


def test_every_rule_has_bad_and_good_examples() -> None:
    oversized = ("statement-size", "data-api-call")  # a bad example would be a line of 16 or 64 KiB: tested apart
    missing = [rule.code for rule in CATALOG if not rule.good or (not rule.bad and rule.kind.name not in oversized)]
    assert missing == []


def test_oversized_statement_fires_over_16_kib_and_not_at_it() -> None:
    values = ", ".join(f"({n}, 'item {n}')" for n in range(2000))
    big = f"INSERT INTO items (id, name) VALUES {values};"
    assert len(big.encode()) > 16384
    assert [f.code for f in lint(big, "big.sql")] == ["PIN020"]
    exact = "SELECT '" + "x" * (16384 - len("SELECT '';")) + "';"
    assert len(exact.encode()) == 16384
    assert lint(exact, "exact.sql") == []


def test_oversized_statement_counts_dynamic_parts_as_zero_bytes() -> None:
    filler = "a" * 16000
    source = f"cur.execute(f\"SELECT {{col}} FROM t WHERE note = '{filler}' AND x = {{value}}\")\n"
    assert lint(source) == []
    bigger = "a" * 16400
    source = f"cur.execute(f\"SELECT {{col}} FROM t WHERE note = '{bigger}'\")\n"
    assert [f.code for f in lint(source)] == ["PIN020"]
