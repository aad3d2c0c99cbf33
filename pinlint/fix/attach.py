"""Attach fixes to a file's findings: for each finding whose rule has an ``[autofix]`` table, the
action's edits (``pinlint.fix.sql`` for SQL, ``pinlint.fix.python`` for Python calls), stored as
``Finding.autofix``. A finding that no edit can fix exactly keeps ``autofix = None``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pinlint.catalog import Rule
from pinlint.fix.python import PYTHON_FIXERS, PythonSource
from pinlint.fix.schema import CACHE_CONNECTION
from pinlint.fix.sql import SQL_FIXERS, Fragments, locate
from pinlint.fix.text import FileText
from pinlint.model import Autofix, Finding, Fragment
from pinlint.pymodel import PythonModule


def fixable_rules(rules: Sequence[Rule]) -> dict[str, Rule]:
    """The rules with an ``[autofix]`` table, by code."""
    return {rule.code: rule for rule in rules if rule.autofix is not None}


def with_fixes(
    findings: list[Finding],
    rules: dict[str, Rule],
    text: str,
    fragments: Sequence[Fragment],
    *,
    sql: bool,
    model: PythonModule | None = None,
) -> list[Finding]:
    """``findings`` of one file (its ``text``, its SQL ``fragments``, for Python its ``model``),
    each fixable one with its fix."""
    if not any(finding.code in rules for finding in findings):
        return findings
    file = FileText(text, sql=sql)
    python = None if sql else PythonSource(file, model)
    places = Fragments(fragments)
    fixed = []
    for finding in findings:
        rule = rules.get(finding.code)
        spec = rule.autofix if rule is not None else None
        autofix: Autofix | None = None
        if spec is not None and spec.action in SQL_FIXERS:
            site = locate(places, finding.line, finding.column)
            if site is not None:
                site.python = python
                autofix = SQL_FIXERS[spec.action](spec, site, file)
        elif (
            spec is not None
            and spec.action in PYTHON_FIXERS
            and python is not None
            and (spec.action != CACHE_CONNECTION or _calls_a_factory(rule, finding, python))
        ):
            autofix = PYTHON_FIXERS[spec.action](spec, finding, python)
        fixed.append(replace(finding, autofix=autofix) if autofix is not None else finding)
    return fixed


def _calls_a_factory(rule: Rule | None, finding: Finding, python: PythonSource) -> bool:
    """Whether the call the finding is on is itself one of the rule's connection factories. A
    finding on a call of the project's own helper that connects in another module
    (``rows = db.fetch_all(...)``) is not: caching that call would keep its result (the rows)
    across invocations, not a connection."""
    factories = getattr(rule.kind, "functions", None) if rule is not None else None
    call = python.ast_call_at(finding.line, finding.column)
    if not factories or call is None or python.model is None:
        return False
    return python.model.qualify(call.func) in factories
