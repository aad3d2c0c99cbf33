"""Read an AWS CDK app in Python (aws-cdk-lib v2) from its syntax tree, never executing it, into
the same resources the templates give: what ``cdk synth`` would write for the constructs the
checks read, each property at the keyword argument that sets it.

Read: ``rds.DatabaseCluster(engine=..., serverless_v2_min_capacity=..., writer=...)``,
``rds.DatabaseInstance(engine=..., instance_type=...)``, ``rds.DatabaseProxy(proxy_target=
rds.ProxyTarget.from_cluster(cluster), ...)`` and ``cluster.add_proxy(...)`` with their pool settings
(``borrow_timeout``, ``max_connections_percent``, ``max_idle_connections_percent``,
``session_pinning_filters``, ``init_query``) and client authentication (``iam_auth``). A construct
is known by the name it is assigned to (``cluster = rds.DatabaseCluster(...)``, ``self.db = ...``).
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

from pinlint.infra.model import Document, Ref, Resource, Span, Unknown, Value
from pinlint.suppress import python_suppressions

RDS = "aws_cdk.aws_rds"
LAMBDA = "aws_cdk.aws_lambda"
EC2 = "aws_cdk.aws_ec2"
_DURATION_SECONDS = {"millis": 0.001, "seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_POOL_KEYWORDS = {
    "borrow_timeout": "ConnectionBorrowTimeout",
    "max_connections_percent": "MaxConnectionsPercent",
    "max_idle_connections_percent": "MaxIdleConnectionsPercent",
    "session_pinning_filters": "SessionPinningFilters",
    "init_query": "InitQuery",
}

if TYPE_CHECKING:
    from pinlint.pymodel import PythonModule


def looks_like_cdk(text: str) -> bool:
    databases = any(name in text for name in ("DatabaseCluster", "add_proxy", "DatabaseProxy", "DatabaseInstance"))
    return "aws_cdk" in text and (databases or ("Function(" in text and "vpc" in text))


def looks_like_cdk_functions(text: str) -> bool:
    """A CDK app that may declare Lambda functions (read for the pooler each one uses)."""
    return "aws_cdk" in text and "Function(" in text


def read_app(path: str, model: PythonModule, app_root: str = "") -> Document:
    """The database constructs of a CDK app, read from the file's one model (never run), and
    its Lambda functions (``aws_lambda.Function``, ``PythonFunction``), whose asset paths are
    relative to ``app_root`` (the directory of cdk.json; the file's own when not given)."""
    import os

    document = Document(path, "cdk")
    text, tree = model.source, model.tree
    reader = _Reader(path, text, model.imports)
    reader.app_root = app_root or os.path.dirname(path)
    calls: list[tuple[ast.Call, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.Expr) and isinstance(node.value, ast.Call):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            calls.append((node.value, _name(targets[0]) if targets and targets[0] is not None else None))
    calls.sort(key=lambda item: (item[0].lineno, item[0].col_offset))
    for call, name in calls:  # clusters first: a proxy takes its engine family from its target
        if reader.qualified(call.func).endswith(("DatabaseCluster", "ServerlessCluster")):
            reader.construct(call, name)
    for call, name in calls:
        if not reader.qualified(call.func).endswith(("DatabaseCluster", "ServerlessCluster")):
            reader.construct(call, name)
    document.resources = reader.resources
    suppressions = python_suppressions(text)
    document.noqa = {line: set(codes) for line, codes in suppressions.lines.items()}
    return document


def _name(node: ast.expr) -> str | None:
    """``cluster`` or ``self.cluster``: how the app refers to a construct."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _name(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


class _Reader:
    def __init__(self, path: str, text: str, aliases: dict[str, str]) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.aliases = aliases
        self.resources: list[Resource] = []
        self.engines: dict[str, str] = {}  # cluster name -> POSTGRESQL / MYSQL
        self.count = 0
        self.app_root = ""

    def qualified(self, node: ast.expr) -> str:
        dotted = _name(node) or ""
        head, _, rest = dotted.partition(".")
        if head in self.aliases:
            return f"{self.aliases[head]}.{rest}" if rest else self.aliases[head]
        if head == "aws_cdk":
            return dotted
        return dotted

    def span(self, node: ast.AST, start: ast.AST | None = None) -> Span:
        first = start or node
        line, column = first.lineno, first.col_offset  # type: ignore[attr-defined]
        end_line, end_column = node.end_lineno or line, node.end_col_offset or column  # type: ignore[attr-defined]
        return Span(self.path, line, self._column(line, column), end_line, self._column(end_line, end_column))

    def _column(self, line: int, offset: int) -> int:
        """ast counts UTF-8 bytes; a span counts characters."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(text.encode("utf-8")[:offset].decode("utf-8", errors="replace")) + 1

    def construct(self, call: ast.Call, name: str | None) -> None:
        callee = self.qualified(call.func)
        keywords = {keyword.arg: keyword for keyword in call.keywords if keyword.arg}
        identity = name or self._construct_id(call) or f"construct{self.count}"
        self.count += 1
        if callee in (f"{RDS}.DatabaseCluster", f"{RDS}.ServerlessCluster"):
            properties: dict[str, Value] = {}
            scaling: dict[str, Value] = {}
            for keyword, setting in (
                ("serverless_v2_min_capacity", "MinCapacity"),
                ("serverless_v2_auto_pause_duration", "SecondsUntilAutoPause"),
                ("serverless_v2_max_capacity", "MaxCapacity"),
            ):
                if keyword in keywords:
                    scaling[setting] = self.value(keywords[keyword])
            if scaling:
                properties["ServerlessV2ScalingConfiguration"] = Value(scaling, self.span(call))
            engine = keywords.get("engine")
            if engine is not None:
                text = ast.unparse(engine.value)
                self.engines[identity] = _engine_family(text)
                family = self.engines[identity]
                properties["Engine"] = Value(
                    {"POSTGRESQL": "aurora-postgresql", "MYSQL": "aurora-mysql"}.get(family, ""), self.span(engine)
                )
                version = re.search(r"VER_(\d+(?:_\d+)*)", text)  # AuroraPostgresEngineVersion.VER_16_4
                if version is not None:
                    properties["EngineVersion"] = Value(version.group(1).replace("_", "."), self.span(engine))
            parameters = keywords.get("parameters")
            if parameters is not None and isinstance(parameters.value, ast.Dict):
                group = f"{identity} (parameters)"
                self._parameter_group(group, parameters.value, self.span(parameters.value, start=parameters))
                properties["DBClusterParameterGroupName"] = Value(Ref(group), self.span(parameters.value))
            elif "parameter_group" in keywords:
                named = _name(keywords["parameter_group"].value)
                if named is not None:
                    properties["DBClusterParameterGroupName"] = Value(
                        Ref(named), self.span(keywords["parameter_group"])
                    )
            self.resources.append(
                Resource("AWS::RDS::DBCluster", identity, Value(properties, self.span(call)), self.span(call))
            )
            self._cluster_instances(identity, keywords)
        elif callee == f"{RDS}.DatabaseInstance":
            self._instance(call, identity, keywords)
        elif callee == f"{RDS}.ParameterGroup":
            parameters = keywords.get("parameters")
            if parameters is not None and isinstance(parameters.value, ast.Dict):
                self._parameter_group(identity, parameters.value, self.span(call))
        elif callee == f"{RDS}.DatabaseProxy":
            target = keywords.get("proxy_target")
            cluster = None
            if (
                target is not None
                and isinstance(target.value, ast.Call)
                and target.value.args
                and self.qualified(target.value.func).endswith("ProxyTarget.from_cluster")
            ):
                cluster = _name(target.value.args[0])
            self._proxy(call, identity, cluster, keywords)
        elif isinstance(call.func, ast.Attribute) and call.func.attr == "add_proxy":
            cluster = _name(call.func.value)
            self._proxy(call, identity, cluster, keywords)
        elif callee.endswith((f"{LAMBDA}.Function", "PythonFunction")):
            self._function(call, identity, keywords, python=callee.endswith("PythonFunction"))
        elif callee == f"{EC2}.Vpc":
            gateways = keywords.get("nat_gateways")
            none = gateways is not None and isinstance(gateways.value, ast.Constant) and gateways.value.value == 0
            if not none:  # CDK gives a VPC one NAT gateway per availability zone unless told otherwise
                span = self.span(gateways) if gateways is not None else self.span(call)
                self.resources.append(Resource("AWS::EC2::NatGateway", f"{identity} (NAT)", Value({}, span), span))
        elif callee == f"{EC2}.InterfaceVpcEndpoint" or (
            isinstance(call.func, ast.Attribute) and call.func.attr == "add_interface_endpoint"
        ):
            service = keywords.get("service")
            text = ast.unparse(service.value) if service is not None else ""
            listed = re.search(r"InterfaceVpcEndpointAwsService\.([A-Z0-9_]+)", text)
            span = self.span(call)
            service_name = (
                Value(f"com.amazonaws.region.{listed.group(1).lower().replace('_', '')}", span)
                if listed is not None
                else Value(Unknown(text), span)  # a service pinlint cannot read: it may be any
            )
            endpoint = Value({"ServiceName": service_name}, span)
            self.resources.append(Resource("AWS::EC2::VPCEndpoint", identity, endpoint, span))

    def _instance(self, call: ast.Call, identity: str, keywords: dict[str, ast.keyword]) -> None:
        """``rds.DatabaseInstance(engine=rds.DatabaseInstanceEngine.postgres(...), instance_type=
        ec2.InstanceType("t3.micro"))`` as an AWS::RDS::DBInstance with its Engine and DBInstanceClass
        (when pinlint can read them)."""
        span = self.span(call)
        properties: dict[str, Value] = {}
        engine = keywords.get("engine")
        if engine is not None:
            text = ast.unparse(engine.value)
            found = re.search(r"DatabaseInstanceEngine\.(postgres|mysql|maria_db|mariadb)\b", text)
            if found is not None:
                properties["Engine"] = Value(found.group(1).replace("_", ""), self.span(engine))
        kind = keywords.get("instance_type")
        klass = _instance_class(kind.value) if kind is not None else None
        if kind is not None and klass is not None:
            properties["DBInstanceClass"] = Value(klass, self.span(kind))
        self.resources.append(Resource("AWS::RDS::DBInstance", identity, Value(properties, span), span))

    def _cluster_instances(self, cluster: str, keywords: dict[str, ast.keyword]) -> None:
        """The cluster's instances as AWS::RDS::DBInstance members with their class: ``writer=`` and
        ``readers=[...]`` (``rds.ClusterInstance.provisioned(..., instance_type=...)``, or
        ``serverless_v2(...)``: db.serverless), or the older ``instance_props=rds.InstanceProps(
        instance_type=...)``."""
        made: list[tuple[ast.expr, str | None]] = []
        for keyword in ("writer", "readers"):
            if keyword not in keywords:
                continue
            node = keywords[keyword].value
            for item in node.elts if isinstance(node, ast.List | ast.Tuple) else [node]:
                if not isinstance(item, ast.Call) or not isinstance(item.func, ast.Attribute):
                    made.append((item, None))  # an instance pinlint cannot read: its class is unknown
                elif item.func.attr == "serverless_v2":
                    made.append((item, "db.serverless"))
                else:
                    kind = next((k.value for k in item.keywords if k.arg == "instance_type"), None)
                    made.append((item, _instance_class(kind) if kind is not None else None))
        props = keywords.get("instance_props")
        if not made and props is not None and isinstance(props.value, ast.Call):
            kind = next((k.value for k in props.value.keywords if k.arg == "instance_type"), None)
            made.append((props.value, _instance_class(kind) if kind is not None else None))
        for index, (node, klass) in enumerate(made):
            span = self.span(node)
            properties = {"DBClusterIdentifier": Value(Ref(cluster), span)}
            properties["DBInstanceClass"] = Value(klass if klass is not None else Unknown(ast.unparse(node)), span)
            name = f"{cluster} (instance {index + 1})"
            self.resources.append(Resource("AWS::RDS::DBInstance", name, Value(properties, span), span))

    def _parameter_group(self, name: str, mapping: ast.Dict, span: Span) -> None:
        """``parameters={"rds.logical_replication": "1"}`` as a cluster parameter group."""
        values: dict[str, Value] = {}
        for key, item in zip(mapping.keys, mapping.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                values[key.value] = Value(self._literal(item, span), self.span(item, start=key))
        properties = Value({"Parameters": Value(values, span)}, span)
        self.resources.append(Resource("AWS::RDS::DBClusterParameterGroup", name, properties, span))

    def _function(self, call: ast.Call, identity: str, keywords: dict[str, ast.keyword], *, python: bool) -> None:
        """A Lambda function as CloudFormation would have it: Handler, CodeUri (the asset
        directory, made absolute), Environment.Variables, Timeout."""
        import os

        span = self.span(call)
        properties: dict[str, Value] = {}
        code = keywords.get("entry" if python else "code")
        asset = code.value if code is not None else None
        if isinstance(asset, ast.Call) and asset.args and getattr(asset.func, "attr", "") == "from_asset":
            asset = asset.args[0]
        if isinstance(asset, ast.Call) and asset.args and getattr(asset.func, "attr", "") == "from_inline":
            inline = asset.args[0]
            if isinstance(inline, ast.Constant) and isinstance(inline.value, str):
                properties["InlineCode"] = Value(inline.value, self.span(inline))
        elif isinstance(asset, ast.Constant) and isinstance(asset.value, str):
            # relative to the app's file, as a template's CodeUri is to the template
            asset_path = os.path.join(os.path.abspath(self.app_root), asset.value)
            relative = os.path.relpath(asset_path, os.path.dirname(os.path.abspath(self.path)))
            properties["CodeUri"] = Value(relative, self.span(asset))
        handler = keywords.get("handler")
        if python:
            index = keywords.get("index")
            module = index.value.value if index is not None and isinstance(index.value, ast.Constant) else "index.py"
            function = (
                handler.value.value if handler is not None and isinstance(handler.value, ast.Constant) else "handler"
            )
            if isinstance(module, str) and isinstance(function, str):
                properties["Handler"] = Value(f"{module.removesuffix('.py')}.{function}", span)
        elif handler is not None:
            properties["Handler"] = self.value(handler)
        environment = keywords.get("environment")
        if environment is not None and isinstance(environment.value, ast.Dict):
            variables = {}
            for key, item in zip(environment.value.keys, environment.value.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    variables[key.value] = Value(self._reference(item), self.span(item, start=key))
            properties["Environment"] = Value({"Variables": Value(variables, span)}, self.span(environment.value))
        if "timeout" in keywords:
            properties["Timeout"] = self.value(keywords["timeout"])
        if "vpc" in keywords:  # the subnets CDK picks in that VPC
            vpc = keywords["vpc"]
            span = self.span(vpc.value, start=vpc)
            properties["VpcConfig"] = Value({"SubnetIds": Value(Unknown(ast.unparse(vpc.value)), span)}, span)
        if "layers" in keywords:
            properties["Layers"] = self.value(keywords["layers"])
        if "reserved_concurrent_executions" in keywords:
            properties["ReservedConcurrentExecutions"] = self.value(keywords["reserved_concurrent_executions"])
        self.resources.append(Resource("AWS::Lambda::Function", identity, Value(properties, span), span))

    def _reference(self, node: ast.expr) -> Any:
        """An environment value: a literal, or a construct's attribute (``self.proxy.endpoint``,
        ``cluster.cluster_endpoint.hostname``) as a Ref to that construct."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float):
            return node.value
        dotted = _name(node) or ""
        names = {resource.name for resource in self.resources}
        parts = dotted.split(".")
        for size in range(len(parts) - 1, 0, -1):
            if ".".join(parts[:size]) in names:
                return Ref(".".join(parts[:size]), ".".join(parts[size:]))
        return Unknown(ast.unparse(node))

    def _construct_id(self, call: ast.Call) -> str | None:
        """The construct's id: ``Construct(self, "Id", ...)``, or ``cluster.add_proxy("Id", ...)``."""
        index = 0 if isinstance(call.func, ast.Attribute) and call.func.attr == "add_proxy" else 1
        argument = call.args[index] if len(call.args) > index else None
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            return argument.value
        return None

    def _proxy(self, call: ast.Call, identity: str, cluster: str | None, keywords: dict[str, ast.keyword]) -> None:
        span = self.span(call)
        family = self.engines.get(cluster or "", "")
        proxy_properties = {"EngineFamily": Value(family, span)}
        if "idle_client_timeout" in keywords:
            proxy_properties["IdleClientTimeout"] = self.value(keywords["idle_client_timeout"])
        iam = keywords.get("iam_auth")
        if iam is not None and isinstance(iam.value, ast.Constant) and isinstance(iam.value.value, bool):
            # what cdk synth writes: Auth: [{AuthScheme: SECRETS, IAMAuth: REQUIRED | DISABLED, ...}]
            setting = Value("REQUIRED" if iam.value.value else "DISABLED", self.span(iam.value, start=iam))
            proxy_properties["Auth"] = Value([Value({"IAMAuth": setting}, setting.span)], setting.span)
        proxy = Resource("AWS::RDS::DBProxy", identity, Value(proxy_properties, span), span)
        pool = {
            setting: self.value(keywords[keyword]) for keyword, setting in _POOL_KEYWORDS.items() if keyword in keywords
        }
        properties: dict[str, Value] = {
            "DBProxyName": Value(Ref(identity), span),
            "ConnectionPoolConfigurationInfo": Value(pool, span),
        }
        if cluster is not None:
            properties["DBClusterIdentifiers"] = Value([Value(Ref(cluster), span)], span)
        self.resources.append(proxy)
        self.resources.append(
            Resource("AWS::RDS::DBProxyTargetGroup", f"{identity} (target group)", Value(properties, span), span)
        )

    def value(self, keyword: ast.keyword) -> Value:
        """A keyword argument's value, spanning the keyword (as a template spans the property)."""
        span = self.span(keyword.value, start=keyword)
        return Value(self._literal(keyword.value, span), span)

    def _literal(self, node: ast.expr, span: Span) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool):
            return node.value
        if isinstance(node, ast.List | ast.Tuple):
            return [Value(self._literal(item, span), span) for item in node.elts]
        if isinstance(node, ast.Attribute) and self.qualified(node).startswith(f"{RDS}.SessionPinningFilter."):
            return node.attr  # SessionPinningFilter.EXCLUDE_VARIABLE_SETS
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            unit = _DURATION_SECONDS.get(node.func.attr)
            argument = node.args[0]
            if (
                unit is not None
                and self.qualified(node.func.value).endswith("Duration")
                and isinstance(argument, ast.Constant)
                and isinstance(argument.value, int | float)
            ):
                return argument.value * unit
        return Unknown(ast.unparse(node))


def _engine_family(engine: str) -> str:
    """``rds.DatabaseClusterEngine.aurora_postgres(version=...)`` -> POSTGRESQL."""
    if "aurora_postgres" in engine or "AURORA_POSTGRESQL" in engine:
        return "POSTGRESQL"
    if "aurora_mysql" in engine or "AURORA_MYSQL" in engine:
        return "MYSQL"
    return ""


def _instance_class(node: ast.expr) -> str | None:
    """``ec2.InstanceType("t3.micro")`` or ``ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO)``
    -> ``db.t3.micro``; None for another form (a variable, an alias such as ``BURSTABLE3``)."""
    if not isinstance(node, ast.Call):
        return None
    named = [keyword.value for keyword in node.keywords if keyword.arg == "instance_type_identifier"]
    identifier = node.args[0] if node.args else named[0] if named else None
    if isinstance(identifier, ast.Constant) and isinstance(identifier.value, str):
        return f"db.{identifier.value}"
    if getattr(node.func, "attr", "") == "of" and len(node.args) == 2:
        family, size = (argument.attr if isinstance(argument, ast.Attribute) else "" for argument in node.args)
        if re.fullmatch(r"[A-Z]\d+[A-Z]*", family) and re.fullmatch(r"[A-Z0-9]+", size):
            multiple = re.fullmatch(r"XLARGE(\d+)", size)  # InstanceSize.XLARGE2 is 2xlarge
            return f"db.{family.lower()}.{multiple.group(1) + 'xlarge' if multiple else size.lower()}"
    return None
