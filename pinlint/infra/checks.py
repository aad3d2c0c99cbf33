"""The checks of the ``infrastructure`` kind (pinlint.kinds.infrastructure): a rule names one
check and configures it.

``[match]`` of such a rule::

    kind = "infrastructure"
    check = "session-pinning-filters"  # one of CHECKS
    engine-families = ["POSTGRESQL"]   # that check's settings (SETTINGS says which, of what type)

Each check reads a stack's facts (pinlint.infra.facts) and yields the Value to report (a finding
lands on that property) with the captures its rule's message names.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pinlint.infra.code import (
    SERVICE_CALLS,
    PoolUse,
    pool_uses,
    pools_in_text,
    python_files,
    secret_reads,
)
from pinlint.infra.facts import Cluster, Function, Pool, Stack, stack_facts
from pinlint.infra.iamauth import iam_required_but_password_code
from pinlint.infra.links import linked_resources
from pinlint.infra.model import Document, Resource, Span, Unknown, Value

if TYPE_CHECKING:
    from pinlint.pymodel import PythonModule

Captures = dict[str, str]
CheckResult = Iterator[tuple[Value, Captures]]


@dataclass(frozen=True)
class InfraHit:
    """A check fired: the rule, the span of the property, the message's captures."""

    rule: Any  # pinlint.catalog.Rule (not imported: the catalog imports this module)
    span: Span
    captures: Captures


def validate_settings(check: str, settings: dict[str, Any]) -> None:
    """ValueError when ``settings`` are not the settings of ``check`` (a rule's [match] table)."""
    allowed = SETTINGS.get(check, {})
    for key in settings:
        if key not in allowed:
            raise ValueError(f"`{key}` is not a setting of check {check}")
    for key, value in settings.items():
        if allowed.get(key) is dict and not all(
            isinstance(item, int | float) and not isinstance(item, bool) for item in value.values()
        ):
            raise ValueError(f"`{key}`: every value must be a number")
    if "regex" in settings:
        try:
            re.compile(settings["regex"])
        except re.error as error:
            raise ValueError(f"`regex`: {error}") from error


def check_documents(rules: tuple[Any, ...], documents: list[Document], stack: Stack | None = None) -> list[InfraHit]:
    """The hits of the infrastructure ``rules`` on one stack (its facts, when already read),
    less those a `# noqa: CODE` silences."""
    stack = stack if stack is not None else stack_facts(documents)
    noqa = {document.path: document.noqa for document in documents}
    hits = []
    for rule in rules:
        for value, captures in rule.kind.run(stack):
            span = value.span
            silenced = noqa.get(span.path, {})
            if any(rule.code in silenced.get(line, ()) for line in {span.line, span.end_line}):
                continue
            hits.append(InfraHit(rule, span, captures))
    return hits


# ---------------------------------------------------------------------------- the checks
def _short(path: str) -> str:
    return path.replace(chr(92), "/").rsplit("/", 1)[-1]


def _where(span: Span) -> str:
    return f"{_short(span.path)} line {span.line}"


def _shown(value: Value) -> str:
    data = value.data
    shown = data.text if isinstance(data, Unknown) else repr(data) if isinstance(data, str) else str(data)
    if isinstance(data, float) and data.is_integer():
        shown = str(int(data)) if value.number() is not None else shown
    return f"{shown} (from {value.origin})" if value.origin else shown


def _pool_name(pool: Pool) -> str:
    return pool.proxy_label


def min_capacity_zero_with_proxy(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    for cluster in stack.clusters:
        minimum = cluster.min_capacity
        if minimum is None or minimum.number() != 0:
            continue
        targets = stack.pools_targeting(cluster)
        if targets:
            pool, span = targets[0]
            yield (
                minimum,
                {
                    "cluster": cluster.resource.name,
                    "proxy": _pool_name(pool),
                    "target": _where(span),
                    "value": _shown(minimum),
                },
            )


def min_capacity_zero_below_auto_pause(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    """Minimum 0 on an engine version without auto-pause (versions from the rule's settings)."""
    written = {
        _version(text): text for text in [*settings.get("postgres-minimums", []), settings.get("mysql-minimum", "")]
    }
    postgres = [_version(text) for text in settings.get("postgres-minimums", [])]
    mysql = _version(settings.get("mysql-minimum", "")) if settings.get("mysql-minimum") else None
    for cluster in stack.clusters:
        minimum = cluster.min_capacity
        if minimum is None or minimum.number() != 0 or not cluster.engine_version:
            continue
        running = _version(cluster.engine_version.rsplit("mysql_aurora.", 1)[-1])
        if len(running) < 2:
            continue  # "16": a major version alone does not say which minor deploys
        needed: tuple[int, ...] | None = None
        if cluster.engine == "aurora-postgresql" and postgres:
            line = [version for version in postgres if version[0] == running[0]]
            needed = line[0] if line else min(postgres) if running < min(postgres) else None
        elif cluster.engine == "aurora-mysql" and mysql:
            needed = mysql
        if needed is not None and running < needed:
            yield (
                minimum,
                {
                    "cluster": cluster.resource.name,
                    "engine": "Aurora PostgreSQL" if cluster.engine == "aurora-postgresql" else "Aurora MySQL",
                    "version": cluster.engine_version,
                    "needed": written.get(needed, ".".join(str(part) for part in needed)),
                },
            )


def min_capacity_zero_never_pauses(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    """Minimum 0 on a cluster that cannot pause: logical replication (``rds.logical_replication``
    on), binary log replication (a ``binlog_format`` other than OFF), or a global database."""
    for cluster in stack.clusters:
        minimum = cluster.min_capacity
        if minimum is None or minimum.number() != 0:
            continue
        reason = _never_pauses(cluster.parameters, cluster.parameter_group, cluster.global_cluster)
        if not reason and cluster.integration is not None:
            reason = f"it is the source of a zero-ETL integration ({_where(cluster.integration.span)})"
        if reason:
            yield minimum, {"cluster": cluster.resource.name, "reason": reason}


def _never_pauses(parameters: dict[str, Value], group: str, global_cluster: Value | None) -> str:
    logical = parameters.get("rds.logical_replication")
    if logical is not None and str(logical.data).strip().lower() in ("1", "on", "true"):
        setting = f"`rds.logical_replication = {logical.data}`, {_where(logical.span)}"
        return f"its parameter group `{group}` turns logical replication on ({setting})"
    binlog = parameters.get("binlog_format")
    if binlog is not None and isinstance(binlog.data, str) and binlog.data.strip().upper() not in ("", "OFF"):
        setting = f"`binlog_format = {binlog.data}`, {_where(binlog.span)}"
        return f"its parameter group `{group}` turns binary logging on ({setting})"
    if global_cluster is not None:
        return f"it is part of a global database ({_where(global_cluster.span)})"
    return ""


# ------------------------------------------------------------------ functions and their database
def _links(stack: Stack, function: Function) -> list[tuple[str, Resource, Value]]:
    return linked_resources(function.environment, stack.resources)


def _function_files(function: Function) -> tuple[str, ...]:
    files: list[str] = []
    for path, recursive in function.code:
        files.extend(python_files(path, recursive) if os.path.isdir(path) else [path] if path.endswith(".py") else [])
    if not files and function.code_root and os.path.isdir(function.code_root):
        files.extend(python_files(function.code_root))
    return tuple(files)


def _function_pools(function: Function) -> list[PoolUse]:
    """The client pools the function's code creates: in its files, or in its inline code."""
    found = pool_uses(_function_files(function))
    inline = function.inline.text() if function.inline is not None else None
    if function.inline is not None and inline:
        found.extend(pools_in_text(inline, function.inline.span.path, function.inline.span.line + 1))
    return found


def _direct_database(stack: Stack, function: Function) -> tuple[Resource, Value] | None:
    """The database a function connects to directly: its environment names a cluster's or an
    instance's endpoint and no proxy's."""
    links = _links(stack, function)
    if any(target == "rds-proxy" for target, _, _ in links):
        return None
    direct = [(resource, value) for target, resource, value in links if target == "direct"]
    return direct[0] if direct else None


def direct_connection_without_reserved_concurrency(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    """A function that connects to its database directly (no proxy) with no reserved concurrency."""
    for function in stack.functions:
        found = _direct_database(stack, function)
        if found is None or function.reserved is not None:
            continue
        database, value = found
        yield value, {"function": function.resource.name, "database": database.name}


# AWS: Aurora PostgreSQL's max_connections is LEAST(DBInstanceClassMemory/9531392, 5000); a
# Serverless v2 instance's memory follows its maximum capacity, about 2 GiB per ACU; with a
# minimum capacity of 0 or 0.5 ACUs it is capped at 2,000.
_PG_MEMORY_DIVISOR = 9531392
_MYSQL_MEMORY_DIVISOR = 12582880  # RDS for MySQL and MariaDB: DBInstanceClassMemory/12582880
_ACU_BYTES = 2 * 1024**3
_GIB = 1024**3
_INSTANCE_KINDS = ("AWS::RDS::DBInstance", "aws_db_instance", "aws_rds_cluster_instance")


def _postgres_max_connections(cluster: Cluster) -> tuple[int, str] | None:
    maximum = cluster.max_capacity.number() if cluster.max_capacity is not None else None
    minimum = cluster.min_capacity.number() if cluster.min_capacity is not None else None
    if cluster.engine != "aurora-postgresql" or maximum is None or maximum <= 0:
        return None
    connections = min(int(maximum * _ACU_BYTES / _PG_MEMORY_DIVISOR), 5000)
    said = (
        f"about {connections:,} (AWS's formula for Aurora PostgreSQL, LEAST(memory / 9,531,392, 5,000),"
        f" with MaxCapacity {maximum:g} ACUs of 2 GiB each"
    )
    if minimum is not None and minimum <= 0.5 and connections > 2000:
        connections = 2000
        said = (
            f"2,000 (AWS caps Aurora PostgreSQL Serverless v2 at 2,000 connections with a minimum of {minimum:g} ACUs"
        )
    return connections, said + ")"


def _mysql_serverless_max_connections(cluster: Cluster, settings: dict[str, Any]) -> tuple[int, str] | None:
    """Aurora MySQL Serverless v2: AWS's table of max_connections by maximum ACUs (the rule's
    settings); a maximum between two rows takes the higher row's figure (the limit is at most that)."""
    maximum = cluster.max_capacity.number() if cluster.max_capacity is not None else None
    rows = settings.get("mysql-serverless-v2-connections", {})
    table = sorted((float(acus), int(limit)) for acus, limit in rows.items())
    if cluster.engine != "aurora-mysql" or maximum is None or maximum <= 0 or not table:
        return None
    row = next(((acus, limit) for acus, limit in table if acus >= maximum), table[-1])
    return row[1], (
        f"{row[1]:,} (AWS's table for Aurora MySQL Serverless v2 at {row[0]:g} ACUs, with MaxCapacity {maximum:g})"
    )


def _instance_class(resource: Resource) -> str:
    terraform = not resource.kind.startswith("AWS")
    value = resource.properties.get("instance_class" if terraform else "DBInstanceClass")
    return (value.text() or "").strip('"') if value is not None else ""


def _engine_of(resource: Resource) -> str:
    value = resource.properties.get("engine" if not resource.kind.startswith("AWS") else "Engine")
    return (value.text() or "").strip('"').lower() if value is not None else ""


def _class_max_connections(engine: str, klass: str, settings: dict[str, Any]) -> tuple[int, str] | None:
    """The default max_connections of a provisioned instance of ``klass`` running ``engine``."""
    if engine == "aurora-mysql":
        limit = settings.get("aurora-mysql-connections", {}).get(klass)
        if limit is None:
            return None
        return int(limit), f"{int(limit):,} (AWS's default for Aurora MySQL on {klass})"
    memory = settings.get("instance-memory-gib", {}).get(klass)
    if memory is None:
        return None
    if engine in ("postgres", "aurora-postgresql"):
        connections = min(int(float(memory) * _GIB / _PG_MEMORY_DIVISOR), 5000)
        formula = "LEAST(memory / 9,531,392, 5,000)"
    elif engine in ("mysql", "mariadb"):
        connections = int(float(memory) * _GIB / _MYSQL_MEMORY_DIVISOR)
        formula = "memory / 12,582,880"
    else:
        return None
    return connections, f"about {connections:,} (AWS's default for {engine}, {formula}, with {klass}'s {memory:g} GiB)"


def _cluster_instances(stack: Stack, cluster: Cluster) -> list[Resource]:
    """The instances of the stack that belong to ``cluster`` (DBClusterIdentifier / cluster_identifier)."""
    members = []
    for resource in stack.resources.values():
        if resource.kind not in ("AWS::RDS::DBInstance", "aws_rds_cluster_instance"):
            continue
        named = resource.properties.get("cluster_identifier" if resource.kind.islower() else "DBClusterIdentifier")
        if named is None:
            continue
        ref = named.data
        if (getattr(ref, "target", None) == cluster.resource.name) or (
            cluster.identifier and named.text() == cluster.identifier
        ):
            members.append(resource)
    return members


def _max_connections(stack: Stack, database: Resource, settings: dict[str, Any]) -> tuple[int, str] | None:
    """The default max_connections of the database a function connects to, and what pinlint
    assumed to get it; None when the stack does not say (an unknown class, engine or capacity)."""
    clusters = {cluster.resource.name: cluster for cluster in stack.clusters}
    cluster = clusters.get(database.name)
    if cluster is None and database.kind in _INSTANCE_KINDS:
        owner = [found for found in stack.clusters if database in _cluster_instances(stack, found)]
        if not owner:  # a standalone RDS instance
            return _class_max_connections(_engine_of(database), _instance_class(database), settings)
        cluster, members = owner[0], [database]
    elif cluster is not None:
        members = _cluster_instances(stack, cluster)
    else:
        return None
    classes = {_instance_class(member) for member in members}
    if cluster.max_capacity is not None and (not classes or classes == {"db.serverless"}):
        if cluster.engine == "aurora-mysql":
            return _mysql_serverless_max_connections(cluster, settings)
        return _postgres_max_connections(cluster)
    if not classes or "db.serverless" in classes:
        return None
    limits = [_class_max_connections(cluster.engine, klass, settings) for klass in sorted(classes)]
    known = [limit for limit in limits if limit is not None]
    if len(known) != len(limits):
        return None  # a class pinlint does not know: quiet
    return max(known)  # the writer may be any of them: the largest errs towards no finding


def concurrency_exceeds_max_connections(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    """Reserved concurrency x the connections each environment opens above the database's
    max_connections, for a function that connects directly to a database of the stack whose
    default max_connections the stack shows (an Aurora Serverless v2 maximum capacity, or a
    provisioned instance class the rule's settings know)."""
    for function in stack.functions:
        found = _direct_database(stack, function)
        reserved = function.reserved.number() if function.reserved is not None else None
        if found is None or function.reserved is None or reserved is None:
            continue
        limit = _max_connections(stack, found[0], settings)
        if limit is None:
            continue
        pools = _function_pools(function)
        widest: PoolUse | None = max(pools, key=lambda use: use.connections, default=None)
        per_environment = widest.connections if widest is not None else 1
        if reserved * per_environment <= limit[0]:
            continue
        opened = (
            f"{widest.call} ({widest.connections_said}, {_display(widest.path)} line {widest.line})"
            if widest is not None
            else "one connection (no pool found in its code)"
        )
        yield (
            function.reserved,
            {
                "function": function.resource.name,
                "reserved": f"{reserved:g}",
                "per_environment": str(per_environment),
                "opened": opened,
                "total": f"{reserved * per_environment:,.0f}",
                "database": found[0].name,
                "limit": limit[1],
            },
        )


def client_idle_above_proxy_timeout(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    """A client pool in a function's code that keeps idle connections longer than the
    IdleClientTimeout of the RDS Proxy the function goes through (default 1,800 s)."""
    reported: set[tuple[str, str]] = set()
    for function in stack.functions:
        for target, proxy, link in _links(stack, function):
            if target != "rds-proxy" or proxy.kind not in ("AWS::RDS::DBProxy", "aws_db_proxy"):
                continue
            setting = proxy.properties.get(
                "IdleClientTimeout" if proxy.kind.startswith("AWS") else "idle_client_timeout"
            )
            timeout = setting.number() if setting is not None else 1800.0
            if timeout is None:
                continue
            for use in _function_pools(function):
                if use.idle_seconds is None or use.idle_seconds <= timeout or (proxy.name, use.path) in reported:
                    continue
                reported.add((proxy.name, use.path))
                where = setting if setting is not None else link
                yield (
                    where,
                    {
                        "proxy": proxy.name,
                        "timeout": f"{timeout:g}",
                        "timeout_said": f"{_where(setting.span)}" if setting is not None else "the default",
                        "call": use.call,
                        "idle": use.idle_said,
                        "place": f"{_display(use.path)} line {use.line}",
                        "function": function.resource.name,
                    },
                )


def borrow_timeout_not_below_function_timeout(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    """A proxy's explicit borrow timeout at least the timeout of a function whose environment
    names the proxy (``DB_HOST: !GetAtt OrdersProxy.Endpoint``, ``aws_db_proxy.orders.endpoint``)."""
    reported: set[int] = set()
    for function in stack.functions:
        if function.environment is None:
            continue
        targets = {ref.target for ref in function.environment.refs()}
        for pool in stack.pools:
            timeout = pool.settings["borrow_timeout"]
            seconds = timeout.number() if timeout is not None else None
            if pool.proxy is None or pool.proxy.name not in targets or timeout is None or seconds is None:
                continue
            if seconds >= function.timeout and id(pool) not in reported:
                reported.add(id(pool))
                yield (
                    timeout,
                    {
                        "proxy": _pool_name(pool),
                        "borrow": f"{seconds:g}",
                        "function": function.resource.name,
                        "timeout": f"{function.timeout:g}",
                    },
                )


def auto_pause_without_min_zero(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    """SecondsUntilAutoPause on a cluster whose minimum capacity is set and is not 0."""
    for cluster in stack.clusters:
        minimum, pause = cluster.min_capacity, cluster.auto_pause
        if pause is None or minimum is None or minimum.number() is None or minimum.number() == 0:
            continue
        yield pause, {"cluster": cluster.resource.name, "minimum": _shown(minimum), "where": _where(minimum.span)}


def proxies_share_over_hundred(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    """Several proxies on one cluster whose MaxConnectionsPercent (100 when unset) add up over
    100: in this stack, or with the pools of other stacks of the run that target the same cluster
    identifier (reported once, at the last pool in path order, by the stack that declares it)."""
    for cluster in stack.clusters:
        if cluster.identifier in stack.elsewhere:
            continue  # judged with the other stacks' pools below
        targets = stack.pools_targeting(cluster)
        pools = list({id(pool): (pool, span) for pool, span in targets}.values())
        found = _over_hundred(pools, cluster.resource.name)
        if found is not None:
            yield found
    own = {id(pool) for pool in stack.pools}
    for identifier, others in sorted(stack.elsewhere.items()):
        local = [
            (pool, span) for pool in stack.pools for named, span in pool.targeted_identifiers() if named == identifier
        ]
        pools = list({id(pool): (pool, span) for pool, span in [*local, *others]}.values())
        pools.sort(key=lambda item: (item[1].path, item[1].line, item[1].column))
        if pools and id(pools[-1][0]) in own:
            found = _over_hundred(pools, identifier)
            if found is not None:
                yield found


def _over_hundred(pools: list[tuple[Pool, Span]], cluster: str) -> tuple[Value, Captures] | None:
    if len(pools) < 2:
        return None
    shares = []
    for pool, span in pools:
        value = pool.settings["max_connections"]
        number = value.number() if value is not None else 100.0
        if number is None:
            return None  # a share pinlint cannot read: the sum is unknown
        shares.append((pool, value, span, number))
    total = sum(share for _, _, _, share in shares)
    if total <= 100:
        return None
    pool, value, span, _ = shares[-1]
    listed = ", ".join(
        f"`{_pool_name(item)}` {share:g}%{'' if setting is not None else ' (the default)'}"
        + ("" if where.path == span.path else f" ({_display(where.path)})")
        for item, setting, where, share in shares
    )
    return (value if value is not None else Value(None, span)), {
        "cluster": cluster,
        "total": f"{total:g}",
        "shares": listed,
    }


def _version(text: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", text)
    return tuple(int(part) for part in parts)


def proxy_borrow_timeout_zero(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    for pool in stack.pools:
        timeout = pool.settings["borrow_timeout"]
        if timeout is not None and timeout.number() == 0:
            yield timeout, {"proxy": _pool_name(pool), "value": _shown(timeout)}


def proxy_idle_above_max(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    for pool in stack.pools:
        idle, maximum = pool.settings["max_idle"], pool.settings["max_connections"]
        idle_number = idle.number() if idle is not None else None
        if idle is None or idle_number is None:
            continue
        if maximum is None:
            limit, said = 100.0, "100% (the default)"
        else:
            number = maximum.number()
            if number is None:
                continue
            limit, said = number, f"{_shown(maximum)}% ({_where(maximum.span)})"
        if idle_number > limit:
            yield idle, {"proxy": _pool_name(pool), "idle": _shown(idle), "max": said}


def proxy_session_pinning_filters(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    families = {family.upper() for family in settings.get("engine-families", [])}
    wanted = set(settings.get("filters", []))
    for pool in stack.pools:
        filters = pool.settings["filters"]
        if filters is None or pool.engine_family not in families:
            continue
        named = [item.data for item in filters.items() if isinstance(item.data, str)]
        chosen = [name for name in named if not wanted or name in wanted]
        if chosen:
            yield filters, {"proxy": _pool_name(pool), "filters": ", ".join(chosen), "family": pool.engine_family}


def init_query_matches(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    pattern = re.compile(settings.get("regex", r"(?!x)x"), re.IGNORECASE)
    for pool in stack.pools:
        query = pool.settings["init_query"]
        if query is None:
            continue
        text = query.data.text if isinstance(query.data, Unknown) else query.text()
        found = pattern.search(text or "")
        if found:
            yield query, {"proxy": _pool_name(pool), "match": found.group(0)}


_SERVICE_NAMES = {"secretsmanager": "Secrets Manager", "ssm": "Systems Manager (Parameter Store)"}


def vpc_function_reads_secrets_without_endpoint(stack: Stack, settings: dict[str, Any]) -> CheckResult:
    """A function in a VPC that reads one of ``services`` at run time (Secrets Manager, SSM
    Parameter Store) with no interface endpoint for that service in the stack."""
    services = settings.get("services", ["secretsmanager"])
    layer_marker = settings.get("layer", "Parameters-and-Secrets-Lambda-Extension")
    if any(service is None for service in stack.endpoint_services):
        return  # an endpoint whose service pinlint cannot read: it may be any of them
    missing = [name for name in services if not any(name in service for service in stack.endpoint_services if service)]
    for function in stack.functions:
        if function.vpc is None:
            continue
        for service in missing:
            use = _service_use(function, service, layer_marker)
            if use is None:
                continue
            route = (
                "the call goes through the stack's NAT gateway, billed per hour and per GB"
                if stack.nat
                else "without a NAT gateway the call hangs until the function times out, and with one it is billed"
                " per GB"
            )
            captures = {"function": function.resource.name, "use": use, "route": route, "service": service}
            yield function.vpc, {**captures, "service_name": _SERVICE_NAMES.get(service, service)}
            break  # one finding per function, at its VPC configuration


def _service_use(function: Function, service: str, layer_marker: str) -> str | None:
    """How the function reads ``service`` at run time, with where it shows, or None (the
    Parameters and Secrets extension layer counts for Secrets Manager)."""
    if service == "secretsmanager":
        for layer in function.layers:
            text = layer.data.text if isinstance(layer.data, Unknown) else layer.text()
            if text and layer_marker in text:
                return f"lists the AWS Parameters and Secrets extension layer ({_where(layer.span)})"
    pattern = SERVICE_CALLS[service]
    if function.inline is not None:
        text = function.inline.text() or ""
        found = pattern.search(text)
        if found and (service != "ssm" or "ssm" in text):
            line = function.inline.span.line + text.count("\n", 0, found.start()) + 1
            return f"calls `{found.group(1)}()` in its inline code ({_short(function.inline.span.path)} line {line})"
    files: list[str] = []
    for path, recursive in function.code:
        files.extend(python_files(path, recursive) if os.path.isdir(path) else [path] if path.endswith(".py") else [])
    call = secret_reads(tuple(files), service)
    if call is None:
        return None
    return f"calls `{call.what}` ({_display(call.path)} line {call.line})"


def _display(path: str) -> str:
    return os.path.relpath(path).replace(os.sep, "/") if not os.path.isabs(path) else path


CHECKS: dict[str, Callable[[Stack, dict[str, Any]], CheckResult]] = {
    "min-capacity-zero-behind-proxy": min_capacity_zero_with_proxy,
    "borrow-timeout-zero": proxy_borrow_timeout_zero,
    "idle-percent-above-max": proxy_idle_above_max,
    "session-pinning-filters": proxy_session_pinning_filters,
    "init-query-matches": init_query_matches,
    "vpc-function-reads-secrets-without-endpoint": vpc_function_reads_secrets_without_endpoint,
    "min-capacity-zero-below-auto-pause": min_capacity_zero_below_auto_pause,
    "proxies-share-over-hundred": proxies_share_over_hundred,
    "auto-pause-without-min-zero": auto_pause_without_min_zero,
    "borrow-timeout-not-below-function-timeout": borrow_timeout_not_below_function_timeout,
    "iam-required-but-password-code": iam_required_but_password_code,
    "min-capacity-zero-never-pauses": min_capacity_zero_never_pauses,
    "direct-database-unreserved": direct_connection_without_reserved_concurrency,
    "reserved-concurrency-times-pool-above-max-connections": concurrency_exceeds_max_connections,
    "client-idle-above-proxy-timeout": client_idle_above_proxy_timeout,
}
# The checks whose facts a CDK app gives (pinlint.infra.cdk reads clusters and proxies only).
CDK_CHECKS = frozenset(
    {
        "min-capacity-zero-behind-proxy",
        "borrow-timeout-zero",
        "idle-percent-above-max",
        "session-pinning-filters",
        "init-query-matches",
        "min-capacity-zero-below-auto-pause",
        "proxies-share-over-hundred",
        "auto-pause-without-min-zero",
        "min-capacity-zero-never-pauses",
        "borrow-timeout-not-below-function-timeout",
        "direct-database-unreserved",
        "reserved-concurrency-times-pool-above-max-connections",
        "client-idle-above-proxy-timeout",
        "vpc-function-reads-secrets-without-endpoint",
        "iam-required-but-password-code",
    }
)
# The checks that judge only what a function's code does: Terraform has no inline code, so their
# Terraform case needs the code's files beside the module (tests/test_infra.py, the fixtures).
READS_FUNCTION_CODE = frozenset({"client-idle-above-proxy-timeout"})
SETTINGS: dict[str, dict[str, type]] = {
    "session-pinning-filters": {"engine-families": list, "filters": list},
    "init-query-matches": {"regex": str},
    "vpc-function-reads-secrets-without-endpoint": {"services": list, "layer": str},
    "min-capacity-zero-below-auto-pause": {"postgres-minimums": list, "mysql-minimum": str},
    "reserved-concurrency-times-pool-above-max-connections": {
        "instance-memory-gib": dict,
        "aurora-mysql-connections": dict,
        "mysql-serverless-v2-connections": dict,
    },
}


@dataclass
class FileHits:
    """One infrastructure file of a run: why it could not be read, or the hits on it."""

    path: str
    error: str = ""
    hits: list[InfraHit] = field(default_factory=list)


def lint_stacks(rules: tuple[Any, ...], sources: dict[str, str | bytes]) -> list[FileHits]:
    """Read ``sources`` (path -> contents) as stacks and run ``rules`` on each; one entry per file
    that is infrastructure (a YAML file that is not a template gives none)."""
    from pinlint.infra.files import decode, read_documents

    results: dict[str, FileHits] = {}
    texts: dict[str, str] = {}
    for path, source in sources.items():
        text, problem = decode(source)
        if problem:
            results[path] = FileHits(path, problem)
        else:
            texts[path] = text
    seen: set[tuple[str, Span]] = set()  # a module read alone and as a call instantiates it
    stacks = read_documents(texts)
    facts = [stack_facts(documents) for documents in stacks]
    _share_databases(facts)
    for stack, stack_fact in zip(stacks, facts, strict=True):
        for document in stack:
            results.setdefault(document.path, FileHits(document.path, document.error))
        for hit in check_documents(rules, stack, stack_fact):
            if (hit.rule.code, hit.span) not in seen:
                seen.add((hit.rule.code, hit.span))
                results[hit.span.path].hits.append(hit)
    return sorted(results.values(), key=lambda item: item.path)


def _share_databases(stacks: list[Stack]) -> None:
    """Tell each stack the pools of the other stacks that target a cluster identifier its own
    pools target (a database that several stacks put proxies on)."""
    by_identifier: dict[str, list[tuple[int, Pool, Span]]] = {}
    for index, stack in enumerate(stacks):
        for pool in stack.pools:
            for identifier, span in pool.targeted_identifiers():
                by_identifier.setdefault(identifier, []).append((index, pool, span))
    for identifier, entries in by_identifier.items():
        holders = {index for index, _, _ in entries}
        if len(holders) < 2:
            continue
        for index in holders:
            stacks[index].elsewhere[identifier] = [(pool, span) for other, pool, span in entries if other != index]


def lint_paths(rules: tuple[Any, ...], paths: list[str]) -> list[FileHits]:
    """The infrastructure files a walk found (pinlint.discover), read and checked; one too large
    to be a template is passed over (pinlint.infra.files.small_enough)."""
    from pinlint.infra.files import read_text, small_enough

    sources: dict[str, str | bytes] = {}
    unreadable = []
    for path in paths:
        if not small_enough(path):
            continue
        text, problem = read_text(path)
        if problem:
            unreadable.append(FileHits(path, problem))
        else:
            sources[path] = text
    return sorted([*lint_stacks(rules, sources), *unreadable], key=lambda item: item.path)


def cdk_app_root(path: str) -> str:
    """The directory of the cdk.json above a CDK app's file (asset paths are relative to it), else
    the file's own directory."""
    from pinlint.paths import nearest_ancestor

    directory = os.path.dirname(os.path.abspath(path))
    found = nearest_ancestor(directory, ("cdk.json",), holds=os.path.isfile)
    return str(found) if found is not None else directory


def lint_cdk_source(
    rules: tuple[Any, ...], text: str, path: str, model: Callable[[], PythonModule | None], *, apply_noqa: bool
) -> list[InfraHit]:
    """The hits of the infrastructure ``rules`` on a CDK app in Python (one file, one stack);
    nothing for a module that defines no database construct. ``model`` gives the file's one
    model (parsed only for a file that looks like a CDK app); a file that does not parse is
    reported by the Python pass, not here. Without ``apply_noqa`` the caller applies the file's
    ``# noqa`` comments (the engine's Python suppressions, which also track unused ones)."""
    from pinlint.infra.cdk import looks_like_cdk, read_app

    if not rules or not looks_like_cdk(text):
        return []
    parsed = model()
    if parsed is None:
        return []
    document = read_app(path, parsed, cdk_app_root(path))
    if not apply_noqa:
        document.noqa = {}
    return [] if document.error else check_documents(rules, [document])
