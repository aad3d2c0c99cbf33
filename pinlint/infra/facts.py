"""What a stack declares about its databases, whatever the flavour it is written in.

A stack is one CloudFormation/SAM template (or serverless.yml), or one Terraform module (the
``.tf`` files of a directory). Its Aurora clusters and its RDS Proxy pools (a proxy's target group,
with the clusters it targets) are read here from either flavour's property names, so that each
check is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pinlint.infra.model import Document, Ref, Resource, Span, Value

# property paths per flavour: (CloudFormation, Terraform)
_CLUSTER = ("AWS::RDS::DBCluster", "aws_rds_cluster")
_PROXY = ("AWS::RDS::DBProxy", "aws_db_proxy")
_POOL_SETTINGS = {
    "borrow_timeout": ("ConnectionBorrowTimeout", "connection_borrow_timeout"),
    "max_connections": ("MaxConnectionsPercent", "max_connections_percent"),
    "max_idle": ("MaxIdleConnectionsPercent", "max_idle_connections_percent"),
    "filters": ("SessionPinningFilters", "session_pinning_filters"),
    "init_query": ("InitQuery", "init_query"),
}


@dataclass
class Cluster:
    resource: Resource
    min_capacity: Value | None
    engine: str


@dataclass
class Pool:
    """One RDS Proxy's connection pool: its target group, the proxy, and the clusters it targets."""

    resource: Resource  # the target group (or the proxy target when no target group is declared)
    proxy: Resource | None
    proxy_label: str  # the proxy's resource name, else the name the target group gives it
    engine_family: str
    settings: dict[str, Value | None]
    clusters: list[tuple[Cluster, Span]] = field(default_factory=list)  # and where the target is declared


@dataclass
class Stack:
    clusters: list[Cluster] = field(default_factory=list)
    pools: list[Pool] = field(default_factory=list)

    def pools_targeting(self, cluster: Cluster) -> list[tuple[Pool, Span]]:
        return [(pool, span) for pool in self.pools for target, span in pool.clusters if target is cluster]


def stack_facts(documents: list[Document]) -> Stack:
    resources = [resource for document in documents if not document.error for resource in document.resources]
    by_name = {resource.name: resource for resource in resources}
    stack = Stack()
    clusters: dict[str, Cluster] = {}
    for resource in resources:
        if resource.kind in _CLUSTER:
            terraform = resource.kind == _CLUSTER[1]
            scaling = resource.properties.get(
                "serverlessv2_scaling_configuration" if terraform else "ServerlessV2ScalingConfiguration"
            )
            minimum = scaling.get("min_capacity" if terraform else "MinCapacity") if scaling else None
            engine = resource.properties.get("engine" if terraform else "Engine")
            cluster = Cluster(resource, minimum, (engine.text() or "") if engine else "")
            stack.clusters.append(cluster)
            clusters[resource.name] = cluster
            identifier = resource.properties.get("cluster_identifier" if terraform else "DBClusterIdentifier")
            if identifier is not None and identifier.text():
                clusters.setdefault(f"literal:{identifier.text()}", cluster)

    def cluster_of(value: Value) -> Cluster | None:
        if isinstance(value.data, Ref):
            return clusters.get(value.data.target)
        text = value.text()
        return clusters.get(f"literal:{text}") if text else None

    proxies = {name: resource for name, resource in by_name.items() if resource.kind in _PROXY}
    literal_proxies = {}
    for resource in proxies.values():
        named = resource.properties.get("name" if resource.kind == _PROXY[1] else "DBProxyName")
        if named is not None and named.text():
            literal_proxies[named.text()] = resource

    def proxy_of(value: Value | None) -> Resource | None:
        if value is None:
            return None
        if isinstance(value.data, Ref):
            return proxies.get(value.data.target)
        text = value.text()
        return literal_proxies.get(text) if text else None

    pools_by_proxy: dict[str, Pool] = {}
    for resource in resources:
        if resource.kind == "AWS::RDS::DBProxyTargetGroup":
            named = resource.properties.get("DBProxyName")
            pool = _pool(
                resource, proxy_of(named), named, resource.properties.get("ConnectionPoolConfigurationInfo"), 0
            )
            for item in (resource.properties.get("DBClusterIdentifiers") or Value([], resource.span)).items():
                targeted = cluster_of(item)
                if targeted is not None:
                    pool.clusters.append((targeted, item.span))
            stack.pools.append(pool)
        elif resource.kind == "aws_db_proxy_default_target_group":
            named = resource.properties.get("db_proxy_name")
            proxy = proxy_of(named)
            pool = _pool(resource, proxy, named, resource.properties.get("connection_pool_config"), 1)
            stack.pools.append(pool)
            if proxy is not None:
                pools_by_proxy[proxy.name] = pool
    for resource in resources:
        if resource.kind == "aws_db_proxy_target":
            named = resource.properties.get("db_proxy_name")
            proxy = proxy_of(named)
            target = resource.properties.get("db_cluster_identifier")
            targeted = cluster_of(target) if target is not None else None
            if targeted is None or target is None:
                continue
            if proxy is not None and proxy.name in pools_by_proxy:
                pools_by_proxy[proxy.name].clusters.append((targeted, target.span))
            else:  # the proxy's pool is not declared (defaults): the target still counts
                pool = _pool(resource, proxy, named, None, 1)
                pool.clusters.append((targeted, target.span))
                stack.pools.append(pool)
    return stack


def _pool(resource: Resource, proxy: Resource | None, named: Value | None, config: Value | None, flavour: int) -> Pool:
    settings = {key: config.get(names[flavour]) if config else None for key, names in _POOL_SETTINGS.items()}
    family = ""
    if proxy is not None:
        value = proxy.properties.get("engine_family" if flavour else "EngineFamily")
        family = (value.text() or "").upper() if value else ""
    if proxy is not None:
        label = proxy.name
    elif named is not None and isinstance(named.data, Ref):
        label = ".".join(part for part in (named.data.target, named.data.attribute) if part)
    else:
        label = (named.text() if named is not None else None) or resource.name
    return Pool(resource, proxy, label, family, settings)
