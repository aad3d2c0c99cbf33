"""Text every output format can write: lone surrogates escaped the same way everywhere.

A lone surrogate reaches a finding from a ``"\\ud800"`` escape in a Python string, and from a
file name that is not UTF-8 (``os.fsdecode`` keeps each undecodable byte as U+DC80-U+DCFF). It
cannot be encoded as UTF-8, so ``printable`` writes it as Python's ``backslashreplace`` does
(``\\ud800``, ``\\udce9``), which is also how Python prints it on stderr.
"""

from __future__ import annotations

import dataclasses
import re

from pinlint.model import Finding

_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with each lone surrogate written as Python's ``backslashreplace`` writes it
    (``\\ud800``, ``\\udce9``), so that it can be encoded as UTF-8; other text is unchanged."""
    if _SURROGATE_RE.search(text) is None:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def printable_finding(finding: Finding) -> Finding:
    """``finding`` with every text field ``printable``."""
    texts = (
        finding.path,
        finding.message,
        finding.fix,
        finding.sql,
        finding.name,
        finding.dialect_reason,
        finding.consequence,
    )
    if not any(_SURROGATE_RE.search(text) for text in texts):
        return finding
    path, message, fix, sql, name, reason, consequence = map(printable, texts)
    return dataclasses.replace(
        finding,
        path=path,
        message=message,
        fix=fix,
        sql=sql,
        name=name,
        dialect_reason=reason,
        consequence=consequence,
    )


def explained(finding: Finding) -> str:
    """The message and, after it, what happens on the poolers: for formats that show one text."""
    if not finding.consequence:
        return finding.message
    return f"{finding.message}. {finding.consequence.rstrip('.')}"
