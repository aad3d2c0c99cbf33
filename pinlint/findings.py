"""Hits into Findings: a rule's message and fix filled from the hit's captures, placed where the
hit is in the file (through the fragment's source map for SQL in Python strings)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from pinlint.catalog import Rule
from pinlint.dialect import DialectChoice
from pinlint.infra.links import DIRECT
from pinlint.kinds.base import Hit
from pinlint.model import HOLE, Finding, Fragment
from pinlint.targets import CONNECTION_CONSEQUENCES, DATA_API, Route


def finding_from_hit(
    rule: Rule,
    fragment: Fragment,
    hit: Hit,
    sql: str,
    choice: DialectChoice | None = None,
    *,
    on_call: bool = False,  # the hit is in an argument of the call (not SQL that reaches it)
) -> Finding:
    """The finding of ``rule`` for a hit in ``fragment`` (offsets into its text); ``sql`` is the statement."""
    line, column = fragment.source_map.position(hit.start)
    end_line, end_column = fragment.call_end or fragment.source_map.position(
        _last_in_place(fragment, hit.start, max(hit.end - 1, hit.start))
    )  # (text another module's function returns: the whole call that gives it)
    message = fill(rule.message, hit.captures)
    if fragment.kind == "python" and fragment.sink:
        if fragment.returned_in and fragment.via_name:  # returned by a function another module defines
            verb = "is passed to" if on_call else "reaches"
            message += (
                f" (`{fragment.via_name}` returns it from {fragment.returned_in.removeprefix(' in ')}"
                f" and it {verb} `{fragment.sink}()` on line {fragment.sink_line})"
            )
        elif fragment.sink_place:  # sent by a wrapper another module defines
            subject = f"`{fragment.via_name}` " if fragment.via_name else ""
            verb = "is passed to" if on_call else "reaches"
            message += f" ({subject}{verb} `{fragment.sink}()`{fragment.sink_place})"
        elif fragment.via_name:
            verb = "is passed to" if on_call else "reaches"
            message += f" (`{fragment.via_name}` {verb} `{fragment.sink}()` on line {fragment.sink_line})"
        elif fragment.sink_line != line:
            verb = "passed to" if on_call else "reaches"
            message += f" ({verb} `{fragment.sink}()` on line {fragment.sink_line})"
    return Finding(
        code=rule.code,
        name=rule.name,
        message=message,
        path=fragment.path,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column + 1,
        severity=rule.severity,
        fix=fill(rule.fix, hit.captures),
        targets=dict(rule.targets),
        sql=sql.replace(HOLE, "{…}"),
        noqa_lines=tuple(sorted({line, end_line, *fragment.noqa_lines})),
        dialect=choice.name if choice else "",
        dialect_reason=choice.reason if choice else "",
        consequence=fill(rule.consequence, hit.captures),
    )


def _last_in_place(fragment: Fragment, start: int, last: int) -> int:
    """The last offset up to ``last`` that still lies in the literal where ``start`` is: text built
    from several literals (``fn = 'pg_'``, ``fn += 'advisory_lock'``) is reported at the first. Text
    the call itself spells (no name, no alternatives) may run on over the call's lines (an implicit
    concatenation), but not into a literal elsewhere (a format field filled from a name or a
    function's return)."""
    if fragment.kind != "python":
        return last
    position = fragment.source_map.position
    line, column = position(start)
    if not fragment.group and not fragment.via_name:
        end_line, end_column = position(last)
        if (line, column) <= (end_line, end_column) and end_line <= max(fragment.noqa_lines, default=line):
            return last  # (the call's and its literal's lines)
    for offset in range(start + 1, last + 1):
        next_line, next_column = position(offset)
        newline = fragment.text[offset - 1] in "\r\n"
        if not (next_line == line and next_column > column) and not (newline and next_line == line + 1):
            return offset - 1
        line, column = next_line, next_column
    return last


def finding_at(
    rule: Rule,
    captures: dict[str, str],
    path: str,
    span: tuple[int, int, int, int],
    noqa_lines: tuple[int, ...],
) -> Finding:
    """A finding of ``rule`` at ``span`` (line, column, end line, end column), its texts filled in."""
    line, column, end_line, end_column = span
    return Finding(
        code=rule.code,
        name=rule.name,
        message=fill(rule.message, captures),
        path=path,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        severity=rule.severity,
        fix=fill(rule.fix, captures),
        targets=dict(rule.targets),
        noqa_lines=noqa_lines,
        consequence=fill(rule.consequence, captures),
    )


_PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill(template: str, captures: dict[str, str]) -> str:
    """Fill ``{name}`` placeholders from ``captures``; any other brace stays as written."""

    def one(match: re.Match[str]) -> str:
        value = captures.get(match.group(1))
        return match.group() if value is None else value.replace(HOLE, "{…}")

    return _PLACEHOLDER_RE.sub(one, template)


def routed(finding: Finding, routes: Sequence[Route]) -> Finding | None:
    """``finding`` as it matters through ``routes`` (the poolers its file's function uses,
    ``--target auto``): its consequences on those poolers, with what decided them; None when it
    matters on none of them. On a direct connection only the connections themselves matter
    (churn, idle connections held); through the Data API every statement stands alone, so a
    finding about session state is kept as it is. A finding that is ``ok`` on every pooler (an
    unused suppression) is not about poolers and is kept unchanged."""
    if all(value == "ok" for value in finding.targets.values()):
        return finding  # about pinlint itself or no pooler's doing (PIN100): it matters whatever the route
    kept: dict[str, str] = {}
    reasons: list[str] = []
    for route in routes:
        if route.target == DATA_API:
            matters = {target: value for target, value in finding.targets.items() if value != "ok"}
        elif route.target == DIRECT:
            values = set(finding.targets.values()) & CONNECTION_CONSEQUENCES
            matters = {DIRECT: sorted(values)[0]} if values else {}
        else:
            consequence = finding.targets.get(route.target, "ok")
            matters = {route.target: consequence} if consequence != "ok" else {}
        if matters:
            kept.update(matters)
            reasons.append(route.text)
    if not kept:
        return None
    return replace(finding, targets=kept, pooler="; ".join(reasons))
