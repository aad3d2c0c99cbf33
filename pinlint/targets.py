"""``--target auto``: which pooler each function's connections go through, and so which targets
its files' findings are reported for.

A *route* is one way a function reaches its database, with what showed it: RDS Proxy (an
environment value wired to a proxy's endpoint, ``DB_HOST: !GetAtt OrdersProxy.Endpoint``,
``aws_db_proxy.orders.endpoint``, CDK ``proxy.endpoint``, or a ``.proxy-`` host), PgBouncer or a
PgBouncer-like pooler (a Neon ``-pooler.`` host, Supabase's ``pooler.supabase.com`` or port 6543,
port 6432, a ``pgbouncer`` service of docker-compose), a direct endpoint (a cluster's or
instance's endpoint), or the RDS Data API (no host, and the code creates an ``rds-data`` client).

Routes are read from the project's infrastructure (pinlint.infra: SAM/CloudFormation,
serverless.yml, Terraform, CDK apps), docker-compose files, and the ``per-path-target``
configuration (which wins). A function's routes apply to the files of its code: its handler
module, and every module under its code root (SAM ``CodeUri``, the serverless.yml service,
Terraform's archive ``source_dir``, CDK ``Code.from_asset``): a module imported by a handler
lives there. A file under the code roots of several functions gets the union of their routes;
when any of them is unknown, the file is unknown, and unknown means every target (as
``--target all``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pinlint.catalog import TARGETS
from pinlint.globs import config_spec
from pinlint.infra.links import DATABASE_KINDS, DIRECT, ENDPOINT_ATTRIBUTE_RE, PROXY_KINDS, reference, variables
from pinlint.paths import relative_to_root

DATA_API = "data-api"
ROUTE_TARGETS = (*TARGETS, DIRECT, DATA_API)
# What a finding's consequence must be for it to matter on a direct connection (no pooler): the
# connections themselves, not what a pooler does with session state.
CONNECTION_CONSEQUENCES = frozenset({"churns", "wastes"})
_NAMES = {
    "rds-proxy": "RDS Proxy",
    "pgbouncer": "PgBouncer (transaction mode)",
    "proxysql": "ProxySQL",
    DATA_API: "the RDS Data API",
}
_HOST_PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"\.proxy-[\w.-]*\.rds\.amazonaws\.com", re.IGNORECASE), "rds-proxy", "an RDS Proxy host"),
    (re.compile(r"-pooler\.[\w.-]*neon\.tech", re.IGNORECASE), "pgbouncer", "Neon's pooled (`-pooler`) host"),
    (re.compile(r"pooler\.supabase\.com(?!:5432\b)", re.IGNORECASE), "pgbouncer", "Supabase's pooler host"),
    (re.compile(r"pooler\.supabase\.com:5432\b", re.IGNORECASE), DIRECT, "Supabase's pooler in session mode"),
    (re.compile(r"[\w@/.-]:6543\b"), "pgbouncer", "port 6543 (Supabase's transaction pooler)"),
    (re.compile(r"[\w@/.-]:6432\b"), "pgbouncer", "port 6432 (PgBouncer's)"),
    (
        re.compile(r"\.cluster-(?:ro-)?[\w.-]*\.rds\.amazonaws\.com", re.IGNORECASE),
        DIRECT,
        "an Aurora cluster endpoint",
    ),
    (re.compile(r"\.neon\.tech", re.IGNORECASE), DIRECT, "Neon's direct (unpooled) host"),
    (re.compile(r"db\.[\w-]+\.supabase\.co\b", re.IGNORECASE), DIRECT, "Supabase's direct host"),
)
_POOLER_PORTS = {6432: "port 6432 (PgBouncer's)", 6543: "port 6543 (Supabase's transaction pooler)"}
_DATA_API_RE = re.compile(r"""client\(\s*["']rds-data["']""")
_DRIVER_RE = re.compile(
    r"^\s*(?:import|from)\s+(psycopg2?|psycopg_pool|asyncpg|pg8000|pymysql|MySQLdb|mysql\.connector|aiomysql|sqlalchemy)\b",
    re.MULTILINE,
)
COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")


@dataclass(frozen=True)
class Route:
    """One target a function's connections go through, and what showed it."""

    target: str  # one of ROUTE_TARGETS
    reason: str  # "DB_HOST: !GetAtt OrdersProxy.Endpoint (template.yaml line 26)"

    @property
    def text(self) -> str:
        if self.target == DIRECT:
            return f"direct to the database, no pooler: {self.reason}"
        return f"through {_NAMES[self.target]}: {self.reason}"


@dataclass(frozen=True)
class CodeRoutes:
    """The routes of one function, and the files they cover."""

    root: str  # absolute directory (its files and those below it), or a file
    handler: str  # absolute path of the handler module ("" when not known)
    routes: tuple[Route, ...]  # empty: not known


@dataclass
class TargetMap:
    """Every function's routes in a project, asked per file."""

    functions: list[CodeRoutes] = field(default_factory=list)
    configured: list[tuple[str, str]] = field(default_factory=list)  # per-path-target: (glob, target)
    config_root: Path = field(default_factory=Path.cwd)
    _decided: dict[str, tuple[Route, ...]] = field(default_factory=dict, repr=False, compare=False)

    def for_file(self, path: str | os.PathLike[str]) -> tuple[Route, ...]:
        """The routes of ``path``'s function(s); empty when not known (every target)."""
        if not self.functions and not self.configured:
            return ()
        key = os.fspath(path)
        if key not in self._decided:
            self._decided[key] = self._decide(path)
        return self._decided[key]

    def _decide(self, path: str | os.PathLike[str]) -> tuple[Route, ...]:
        if self.configured:
            relative = relative_to_root(path, self.config_root)
            for glob, target in self.configured:
                if _glob(glob).match_file(relative):
                    return (
                        () if target == "all" else (Route(target, f"`per-path-target` `{glob}` in the configuration"),)
                    )
        absolute = os.path.abspath(path)
        own = [function for function in self.functions if function.handler == absolute]
        covering = own or [function for function in self.functions if _covers(function.root, absolute)]
        if not covering or any(not function.routes for function in covering):
            return ()
        chosen: dict[str, Route] = {}
        for function in covering:
            for route in function.routes:
                chosen.setdefault(route.target, route)
        return tuple(chosen[target] for target in ROUTE_TARGETS if target in chosen)

    def key(self, path: str | os.PathLike[str]) -> list[list[str]]:
        """The decision for ``path`` as the result cache keys it."""
        return [[route.target, route.reason] for route in self.for_file(path)]


@lru_cache(maxsize=64)
def _glob(glob: str) -> Any:
    return config_spec([glob])


def _covers(root: str, absolute: str) -> bool:
    return absolute == root or absolute.startswith(os.path.join(root, ""))


# ------------------------------------------------------------------ routes of one function
def host_routes(strings: Iterable[tuple[str, int]], path: str) -> tuple[Route, ...]:
    """The routes that host names in a module's own string constants show (``(text, line)``;
    a module that connects to ``orders.proxy-abc.us-east-1.rds.amazonaws.com``): what decides
    a file that no infrastructure or configuration does."""
    found: dict[str, Route] = {}
    for text, line in strings:
        if "." not in text or len(text) > 2000:
            continue
        for pattern, target, what in _HOST_PATTERNS:
            match = pattern.search(text)
            if match is not None:
                shown = text if len(text) <= 80 else text[:77] + "..."
                found.setdefault(target, Route(target, f"`{shown}` ({_short(path)} line {line}), {what}"))
                break
    return tuple(found[target] for target in ROUTE_TARGETS if target in found)


def routes_of(environment: Any, resources: dict[str, Any], lines: dict[str, list[str]]) -> list[Route]:
    """The routes an environment (a dict Value, or a list of them: the function's own variables
    and its defaults') shows. ``resources`` maps a stack's names to its Resources; ``lines`` a
    file's lines (for the reason's text)."""
    from pinlint.infra.model import Ref, Unknown

    found: dict[str, Route] = {}
    pending_port: list[tuple[str, Route]] = []

    def add(target: str, value: Any, what: str = "") -> None:
        reason = source_line(value.span, lines) + (f", {what}" if what else "")
        found.setdefault(target, Route(target, reason))

    for key, value in variables(environment):
        data = value.data
        if isinstance(data, Ref):
            resource = resources.get(data.target)
            if resource is None:
                continue
            if resource.kind in PROXY_KINDS and (not data.attribute or data.attribute.lower().startswith("endpoint")):
                add("rds-proxy", value)
            elif resource.kind in DATABASE_KINDS and ENDPOINT_ATTRIBUTE_RE.match(data.attribute):
                add(DIRECT, value)
            continue
        text = data.text if isinstance(data, Unknown) else data if isinstance(data, str) else None
        number = value.number() if isinstance(data, int | str) and not isinstance(data, bool) else None
        if "port" in key.lower() and number is not None and int(number) in _POOLER_PORTS:
            pending_port.append(
                (key, Route("pgbouncer", f"{source_line(value.span, lines)}, {_POOLER_PORTS[int(number)]}"))
            )
            continue
        if text is None:
            continue
        for name in re.findall(r"\$\{([^}]+)\}", text):  # !Sub "${OrdersProxy.Endpoint}", "${aws_db_proxy.x.endpoint}"
            referenced = reference(name.strip(), resources)
            if referenced is not None:
                resource, attribute = referenced
                if resource.kind in PROXY_KINDS and attribute.lower().startswith("endpoint"):
                    add("rds-proxy", value)
                elif resource.kind in DATABASE_KINDS and ENDPOINT_ATTRIBUTE_RE.match(attribute):
                    add(DIRECT, value)
        for pattern, target, what in _HOST_PATTERNS:
            if pattern.search(text):
                add(target, value, what)
                break
    if pending_port and not found.keys() - {DIRECT}:
        # a pooler's port with a host that is no pooler's (or none): the port decides
        found.pop(DIRECT, None)
        for _, route in pending_port:
            found.setdefault(route.target, route)
    return [found[target] for target in ROUTE_TARGETS if target in found]


def source_line(span: Any, lines: dict[str, list[str]]) -> str:
    """``DB_HOST: !GetAtt OrdersProxy.Endpoint (template.yaml line 26)``: the property as written."""
    text = lines.get(span.path, [])
    written = text[span.line - 1].strip().rstrip(",") if 0 < span.line <= len(text) else ""
    written = re.sub(r"\s+", " ", written)
    if len(written) > 120:
        written = written[:117] + "..."
    return f"{written} ({_short(span.path)} line {span.line})"


def _short(path: str) -> str:
    return os.path.relpath(path).replace(os.sep, "/") if os.path.isabs(path) else path.replace(os.sep, "/")


def data_api_route(files: tuple[str, ...]) -> Route | None:
    """The Data API, when the function's code creates an ``rds-data`` client and imports no
    database driver (a function that has both is not known: it may connect either way)."""
    from pinlint.infra.code import read_small

    found: tuple[str, int] | None = None
    for path in files:
        text = read_small(path)
        if text is None:
            continue
        if _DRIVER_RE.search(text):
            return None
        match = _DATA_API_RE.search(text)
        if match is not None and found is None:
            found = (path, text.count("\n", 0, match.start()) + 1)
    if found is None:
        return None
    return Route(
        DATA_API, f"its code creates an `rds-data` client ({_short(found[0])} line {found[1]}) and names no host"
    )
