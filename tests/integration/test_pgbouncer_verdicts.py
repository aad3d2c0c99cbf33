"""Every PgBouncer consequence pinlint states for a rule's examples, observed on a real PgBouncer.

For each rule with an ``[integration]`` table, each bad and good example (the ones the unit tests lint)
runs directly on PostgreSQL and through PgBouncer 1.18 and 1.25.2 in transaction mode, in the variants
that change verdicts (see servers.VARIANTS). What happened (leaked to another client, lost for the
client, refused, or nothing; see harness.py) must be the consequence pinlint gives that example on
that PgBouncer, with the matching `pgbouncer-version`, `max-prepared-statements` and
`track-extra-parameters` in its configuration.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

import drivers
import harness
import servers
from conftest import CATALOG, ROOT

pytestmark = pytest.mark.integration

CASES = harness.cases(CATALOG)


@pytest.fixture(scope="session")
def running() -> Iterator[servers.Servers]:
    why = servers.missing()
    if why:
        pytest.skip(f"{servers.HOW_TO_RUN} (missing: {why})")
    with servers.running() as started:
        yield started


_references: dict[str, tuple[harness.Reference, harness.Reference]] = {}


def _references_of(running: servers.Servers, case: harness.Case) -> tuple[harness.Reference, harness.Reference]:
    if case.id not in _references:
        _references[case.id] = (
            harness.reference(running.postgres, case, victim=True),
            harness.reference(running.postgres, case, victim=False),
        )
    return _references[case.id]


def _parameters() -> list[object]:
    chosen = []
    for case in CASES:
        for variant in servers.VARIANTS:
            if variant.only_startup and "options" not in case.connect:
                continue
            chosen.append(pytest.param(case, variant, id=f"{case.id}-{variant.name}"))
    return chosen


@pytest.mark.parametrize(("case", "variant"), _parameters())
def test_stated_consequence_is_observed(running: servers.Servers, case: harness.Case, variant: servers.Variant) -> None:
    if case.skip:
        pytest.skip(case.skip)
    if case.driver:
        observation = _driver_observation(running, case, variant)
    else:
        observation = _sql_observation(running, case, variant)
    stated, verdicts = harness.expected(case, CATALOG, variant.setup, harness.settings_for(variant.setup, ROOT))
    record = os.environ.get("PINLINT_OBSERVED_TABLE")  # a file outside the repo: one JSON line per case
    if record:
        with open(record, "a", encoding="utf-8") as table:
            row = {"case": case.id, "variant": variant.name, "observed": observation.summary, "stated": stated}
            table.write(json.dumps({**row, "rules": verdicts, "details": observation.details}) + "\n")
    assert observation.consequence == stated, (
        f"{case.id} on PgBouncer {variant.name}: pinlint says {stated} ({', '.join(verdicts) or 'no finding'}), "
        f"observed {observation.summary}: " + "; ".join(observation.details)
    )


def _driver_observation(running: servers.Servers, case: harness.Case, variant: servers.Variant) -> harness.Observation:
    bouncer = running.bouncer(variant)
    bouncer.fresh_servers("one")
    bouncer.fresh_servers("two")
    harness.prepare_database(running.postgres, case)
    try:
        if case.driver in drivers.PROBED_SCENARIOS:
            probed = drivers.PROBED_SCENARIOS[case.driver]
            return probed(running.postgres, bouncer, case.example.source, case.connect, case.probe)
        return drivers.SCENARIOS[case.driver](running.postgres, bouncer, case.example.source, case.connect)
    finally:
        bouncer.fresh_servers("one")
        bouncer.fresh_servers("two")


def _sql_observation(running: servers.Servers, case: harness.Case, variant: servers.Variant) -> harness.Observation:
    refs = _references_of(running, case)
    answers = zip(case.statements, refs[1].answers, strict=True)
    failed = [statement for statement, (state, _) in answers if state == "error"]
    if failed and not case.fails_directly:
        pytest.fail(f"{case.id} does not run on PostgreSQL as it stands ({failed[0]!r}): give it a runnable form")
    return harness.observe(running.postgres, running.bouncer(variant), case, refs)
