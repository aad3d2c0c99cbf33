"""What a stack declares about its databases, whatever the flavour it is written in.

A stack is one CloudFormation/SAM template (or serverless.yml), or one Terraform module (the
``.tf`` files of a directory). Its Aurora clusters and its RDS Proxy pools (a proxy's target group,
with the clusters it targets) are read here from either flavour's property names, so that each
check is written once.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from pinlint.infra.cloudformation import SERVERLESS_FUNCTION
from pinlint.infra.model import Document, Ref, Resource, Span, Unknown, Value

# What a file must mention for its stack to be worth reading (a stack without any of these
# declares nothing the checks read): resource types, as prefixes of the full type names.
TEMPLATE_MARKERS = ("AWS::RDS::", "VpcConfig", "vpc:")
TERRAFORM_MARKERS = ("aws_rds_cluster", "aws_db_instance", "aws_db_proxy", "vpc_config")
_FUNCTIONS = ("AWS::Serverless::Function", "AWS::Lambda::Function", SERVERLESS_FUNCTION)

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
    engine: str  # aurora-postgresql, aurora-mysql, "" when not known
    engine_version: str = ""  # 16.4, 8.0.mysql_aurora.3.08.0, "" when not known
    auto_pause: Value | None = None  # SecondsUntilAutoPause
    parameters: dict[str, Value] = field(default_factory=dict)  # its cluster parameter group's, by name
    parameter_group: str = ""  # that group's name in the stack
    global_cluster: Value | None = None  # GlobalClusterIdentifier / global_cluster_identifier
    max_capacity: Value | None = None
    identifier: str = ""  # its literal DBClusterIdentifier / cluster_identifier
    integration: Value | None = None  # the source of a zero-ETL integration (where it is declared)


@dataclass
class Pool:
    """One RDS Proxy's connection pool: its target group, the proxy, and the clusters it targets."""

    resource: Resource  # the target group (or the proxy target when no target group is declared)
    proxy: Resource | None
    proxy_label: str  # the proxy's resource name, else the name the target group gives it
    engine_family: str
    settings: dict[str, Value | None]
    clusters: list[tuple[Cluster, Span]] = field(default_factory=list)  # and where the target is declared
    identifiers: list[tuple[str, Span]] = field(default_factory=list)  # targets not in the stack, by identifier

    def targeted_identifiers(self) -> list[tuple[str, Span]]:
        """Every cluster identifier this pool targets, in the stack or not."""
        own = [(cluster.identifier, span) for cluster, span in self.clusters if cluster.identifier]
        return [*own, *self.identifiers]


@dataclass
class Function:
    """A Lambda function: the property that puts it in a VPC, its layers, and where its code is."""

    resource: Resource
    vpc: Value | None  # VpcConfig / vpc / vpc_config, when it names subnets
    layers: list[Value]
    code: list[tuple[str, bool]]  # (file or directory, read the directory recursively)
    inline: Value | None = None  # AWS::Lambda::Function Code.ZipFile
    environment: Value | None = None  # its environment variables (a dict of Values)
    timeout: float = 3.0  # seconds (Lambda's default is 3, the Serverless Framework's 6)
    reserved: Value | None = None  # ReservedConcurrentExecutions (None: not set)
    code_root: str = ""  # the directory (or file) its deployment package is built from ("" unknown)
    handler_file: str = ""  # the module its handler names ("" unknown)


@dataclass
class Stack:
    resources: dict[str, Resource] = field(default_factory=dict)  # every resource, by name
    clusters: list[Cluster] = field(default_factory=list)
    pools: list[Pool] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    endpoint_services: list[str | None] = field(default_factory=list)  # None: a service pinlint cannot read
    nat: bool = False  # the stack declares a NAT gateway
    # pools of the other stacks of the run, by the cluster identifier they target (only the
    # identifiers some pool of this stack targets): a database several stacks put proxies on
    elsewhere: dict[str, list[tuple[Pool, Span]]] = field(default_factory=dict)

    def pools_targeting(self, cluster: Cluster) -> list[tuple[Pool, Span]]:
        return [(pool, span) for pool in self.pools for target, span in pool.clusters if target is cluster]


def stack_facts(documents: list[Document]) -> Stack:
    resources = [resource for document in documents if not document.error for resource in document.resources]
    by_name = {resource.name: resource for resource in resources}
    stack = Stack(resources=by_name)
    clusters: dict[str, Cluster] = {}
    for resource in resources:
        if resource.kind in _CLUSTER:
            terraform = resource.kind == _CLUSTER[1]
            scaling = resource.properties.get(
                "serverlessv2_scaling_configuration" if terraform else "ServerlessV2ScalingConfiguration"
            )
            minimum = scaling.get("min_capacity" if terraform else "MinCapacity") if scaling else None
            engine = resource.properties.get("engine" if terraform else "Engine")
            version = resource.properties.get("engine_version" if terraform else "EngineVersion")
            cluster = Cluster(
                resource,
                minimum,
                (engine.text() or "") if engine else "",
                str(version.data) if version is not None and isinstance(version.data, str | int | float) else "",
                scaling.get("seconds_until_auto_pause" if terraform else "SecondsUntilAutoPause") if scaling else None,
            )
            cluster.max_capacity = scaling.get("max_capacity" if terraform else "MaxCapacity") if scaling else None
            group = resource.properties.get(
                "db_cluster_parameter_group_name" if terraform else "DBClusterParameterGroupName"
            )
            group_resource = _named(group, by_name, _PARAMETER_GROUP)
            if group_resource is not None:
                cluster.parameter_group = group_resource.name
                cluster.parameters = _parameters(group_resource)
            identifier = resource.properties.get(
                "global_cluster_identifier" if terraform else "GlobalClusterIdentifier"
            )
            if identifier is not None and identifier.data not in (None, ""):
                cluster.global_cluster = identifier
            stack.clusters.append(cluster)
            clusters[resource.name] = cluster
            identifier = resource.properties.get("cluster_identifier" if terraform else "DBClusterIdentifier")
            if identifier is not None and identifier.text():
                cluster.identifier = identifier.text() or ""
                clusters.setdefault(f"literal:{identifier.text()}", cluster)

    def cluster_of(value: Value) -> Cluster | None:
        if isinstance(value.data, Ref):
            return clusters.get(value.data.target)
        text = value.text()
        return clusters.get(f"literal:{text}") if text else None

    for resource in resources:  # zero-ETL integrations: their source cluster never pauses
        if resource.kind in ("AWS::RDS::Integration", "aws_rds_integration"):
            source = resource.properties.get("SourceArn" if resource.kind.startswith("AWS") else "source_arn")
            found = cluster_of(source) if source is not None else None
            if found is not None and source is not None:
                found.integration = source

    _network_facts(documents, by_name, stack)
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
                elif item.text():  # a cluster of another stack, by its identifier
                    pool.identifiers.append((item.text() or "", item.span))
            stack.pools.append(pool)
        elif resource.kind == "aws_db_proxy_default_target_group":
            named = resource.properties.get("db_proxy_name")
            proxy = proxy_of(named)
            pool = _pool(resource, proxy, named, resource.properties.get("connection_pool_config"), 1)
            stack.pools.append(pool)
            key = proxy.name if proxy is not None else (named.text() if named is not None else None)
            if key:
                pools_by_proxy[key] = pool
    for resource in resources:
        if resource.kind == "aws_db_proxy_target":
            named = resource.properties.get("db_proxy_name")
            proxy = proxy_of(named)
            target = resource.properties.get("db_cluster_identifier")
            targeted = cluster_of(target) if target is not None else None
            if target is None or (targeted is None and not target.text()):
                continue
            key = proxy.name if proxy is not None else (named.text() if named is not None else None)
            if key and key in pools_by_proxy:
                pool = pools_by_proxy[key]
            else:  # the proxy's pool is not declared (defaults): the target still counts
                pool = _pool(resource, proxy, named, None, 1)
                stack.pools.append(pool)
            if targeted is not None:
                pool.clusters.append((targeted, target.span))
            else:  # a cluster of another stack, by its identifier
                pool.identifiers.append((target.text() or "", target.span))
    return stack


_PARAMETER_GROUP = ("AWS::RDS::DBClusterParameterGroup", "aws_rds_cluster_parameter_group")


def _named(value: Value | None, by_name: dict[str, Resource], kinds: tuple[str, ...]) -> Resource | None:
    """The resource of one of ``kinds`` that ``value`` names: by reference, or by its literal
    name (``name`` / ``DBClusterParameterGroupName`` of the resource)."""
    if value is None:
        return None
    if isinstance(value.data, Ref):
        found = by_name.get(value.data.target)
        return found if found is not None and found.kind in kinds else None
    text = value.text()
    if not text:
        return None
    for resource in by_name.values():
        if resource.kind in kinds:
            own = resource.properties.get("name") or resource.properties.get("DBClusterParameterGroupName")
            if own is not None and own.text() == text:
                return resource
    return None


def _parameters(group: Resource) -> dict[str, Value]:
    """A parameter group's parameters by name: CloudFormation's ``Parameters`` mapping, or
    Terraform's ``parameter { name, value }`` blocks (the Value of each is its ``value``, spanning
    the block)."""
    found: dict[str, Value] = {}
    mapping = group.properties.get("Parameters")
    if mapping is not None and isinstance(mapping.data, dict):
        found.update(mapping.data)
    blocks = group.properties.data.get("parameter") if isinstance(group.properties.data, dict) else None
    for block in blocks.items() if blocks is not None else []:
        name, value = block.get("name"), block.get("value")
        if name is not None and name.text() and value is not None:
            found[name.text() or ""] = Value(value.data, block.span, value.origin)
    return found


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


# ------------------------------------------------------------------ functions and the network
def _network_facts(documents: list[Document], by_name: dict[str, Resource], stack: Stack) -> None:
    for document in documents:
        if document.error:
            continue
        for resource in document.resources:
            if resource.kind in _FUNCTIONS:
                stack.functions.append(_template_function(resource, document))
            elif resource.kind == "aws_lambda_function":
                stack.functions.append(_terraform_function(resource, by_name))
            elif resource.kind in ("AWS::EC2::VPCEndpoint", "aws_vpc_endpoint"):
                service = resource.properties.get("ServiceName" if resource.kind.startswith("AWS") else "service_name")
                stack.endpoint_services.append(_service_name(service))
            elif resource.kind in ("AWS::EC2::NatGateway", "aws_nat_gateway"):
                stack.nat = True
            elif resource.kind == "module":
                _module_network(resource, stack)


def _text(value: Value | None) -> str | None:
    """A value's text: a literal string, or the source text of an interpolation or !Sub."""
    if value is None:
        return None
    if isinstance(value.data, Unknown):
        return value.data.text
    return value.text()


def _service_name(value: Value | None) -> str | None:
    """An endpoint's service name; None when it is computed in a way pinlint cannot read
    (``Fn::Join``, a function call): it may be any service."""
    text = _text(value)
    if value is None or text is None or (isinstance(value.data, Unknown) and "amazonaws" not in text):
        return None
    return text


def _module_network(module: Resource, stack: Stack) -> None:
    """A Terraform module call (terraform-aws-modules/vpc and its vpc-endpoints submodule): the
    endpoints and NAT gateways it is asked for, as far as its inputs show them."""
    texts = [text for value in _walk(module.properties) if (text := _text(value))]
    source = _text(module.properties.get("source")) or ""
    if "vpc-endpoints" in source or "endpoints" in (module.properties.data or {}):
        services = [text for text in texts if re.search(r"secretsmanager|ssm", text)]
        stack.endpoint_services.extend(services or [None])
    nat = module.properties.get("enable_nat_gateway")
    if nat is not None and nat.data is True:
        stack.nat = True


def _walk(value: Value) -> list[Value]:
    found, stack = [], [value]
    while stack:
        current = stack.pop()
        found.append(current)
        if isinstance(current.data, list):
            stack.extend(current.data)
        elif isinstance(current.data, dict):
            stack.extend(current.data.values())
    return found


def _in_vpc(config: Value | None, keys: tuple[str, ...]) -> Value | None:
    """``config`` when it gives the function subnets (an empty list means no VPC)."""
    if config is None:
        return None
    if isinstance(config.data, list) and len(config.data) == 1:  # a Terraform block given once
        config = Value(config.data[0].data, config.span)
    if not isinstance(config.data, dict):
        return None
    for key in keys:
        subnets = config.get(key)
        if subnets is not None and not (isinstance(subnets.data, list) and not subnets.data):
            return config
    return None


def _template_function(resource: Resource, document: Document) -> Function:
    serverless = resource.kind == SERVERLESS_FUNCTION
    own, defaults = resource.properties, document.function_defaults
    names = ("vpc", "layers", "handler") if serverless else ("VpcConfig", "Layers", "Handler")

    def prop(name: str) -> Value | None:
        value = own.get(name)
        return value if value is not None or defaults is None else defaults.get(name)

    vpc = _in_vpc(prop(names[0]), ("subnetIds", "SubnetIds") if serverless else ("SubnetIds",))
    layers = prop(names[1])
    base = os.path.dirname(document.path)
    handler = _text(prop(names[2])) or ""
    module = handler.rsplit(".", 1)[0] if "." in handler else ""
    code: list[tuple[str, bool]] = []
    code_root = ""
    if serverless and module:
        code.append((os.path.dirname(os.path.join(base, module + ".py")) or ".", False))
        code_root = base or "."  # the service directory is packaged
    elif not serverless:
        uri = _text(prop("CodeUri"))
        if uri is not None and "://" not in uri and "${" not in uri:
            code.append((os.path.join(base, uri), True))
            code_root = os.path.join(base, uri)
        elif prop("CodeUri") is None and own.get("InlineCode") is None and own.get("Code") is None:
            code_root = base or "."  # SAM's default CodeUri: the template's directory
    handler_file = _handler_file(code_root, module)
    inline = own.get("Code", "ZipFile") or own.get("InlineCode")
    # the function's own variables and the defaults' (SAM Globals and serverless.yml's provider merge them)
    keys = ("environment",) if serverless else ("Environment", "Variables")
    variables = [found for source in (own, defaults) if source is not None and (found := source.get(*keys))]
    environment = Value(variables, resource.span) if variables else None
    timeout = prop("timeout" if serverless else "Timeout")
    seconds = timeout.number() if timeout is not None else None
    return Function(
        resource,
        vpc,
        layers.items() if layers is not None else [],
        code,
        inline,
        environment,
        seconds if seconds is not None else 6.0 if serverless else 3.0,
        _reserved(prop("reservedConcurrency" if serverless else "ReservedConcurrentExecutions")),
        code_root,
        handler_file,
    )


def _reserved(value: Value | None) -> Value | None:
    """A reserved concurrency that is set (Terraform's -1 means unreserved)."""
    if value is None or (value.number() is not None and (value.number() or 0) < 0):
        return None
    return value


def _handler_file(code_root: str, module: str) -> str:
    """``pkg/mod`` or ``pkg.mod`` (the handler's module) under ``code_root``, as a path."""
    if not code_root or not module or "${" in module:
        return ""
    return os.path.normpath(os.path.join(code_root, (module if "/" in module else module.replace(".", "/")) + ".py"))


def _terraform_function(resource: Resource, by_name: dict[str, Resource]) -> Function:
    properties = resource.properties
    vpc = _in_vpc(properties.get("vpc_config"), ("subnet_ids",))
    layers = properties.get("layers")
    code: list[tuple[str, bool]] = []
    filename = properties.get("filename")
    archive = by_name.get(filename.data.target) if filename is not None and isinstance(filename.data, Ref) else None
    if archive is not None:
        base = os.path.dirname(resource.span.path)
        for key, recursive in (("source_dir", True), ("source_file", False)):
            source = _text(archive.properties.get(key))
            if not source:
                continue
            source = source.strip('"')
            if "${path.module}" in source or "${path.root}" in source:
                path = source.replace("${path.module}", base or ".").replace("${path.root}", base or ".")
            else:
                path = os.path.join(base, source)
            if "${" not in path:
                code.append((os.path.normpath(path), recursive))
    code_root = ""
    if code:
        path, recursive = code[0]
        code_root = path if recursive else os.path.dirname(path)
    handler = _text(properties.get("handler")) or ""
    timeout = properties.get("timeout")
    seconds = timeout.number() if timeout is not None else None
    return Function(
        resource,
        vpc,
        layers.items() if layers is not None else [],
        code,
        environment=properties.get("environment", "variables"),
        timeout=seconds if seconds is not None else 3.0,
        reserved=_reserved(properties.get("reserved_concurrent_executions")),
        code_root=code_root,
        handler_file=_handler_file(code_root, handler.rsplit(".", 1)[0] if "." in handler else ""),
    )
