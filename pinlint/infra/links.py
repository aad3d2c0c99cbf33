"""Which of a stack's resources a Lambda function's environment wires it to: the endpoint of an
RDS Proxy, or of a database cluster or instance (``!GetAtt OrdersProxy.Endpoint``, ``${X.Endpoint}``
in a ``!Sub``, ``aws_db_proxy.x.endpoint``, CDK ``proxy.endpoint``). Read by ``--target auto``
(pinlint.targets) and by the checks that follow a function to its database (pinlint.infra.checks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pinlint.infra.model import Ref, Unknown

PROXY = "rds-proxy"
DIRECT = "direct"
PROXY_KINDS = ("AWS::RDS::DBProxy", "AWS::RDS::DBProxyEndpoint", "aws_db_proxy", "aws_db_proxy_endpoint")
DATABASE_KINDS = (
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "aws_rds_cluster",
    "aws_rds_cluster_instance",
    "aws_db_instance",
)
ENDPOINT_ATTRIBUTE_RE = re.compile(
    r"^(endpoint|reader_endpoint|address|Endpoint(\.Address)?|ReadEndpoint(\.Address)?"
    r"|(cluster|cluster_read|instance)_endpoint(\.hostname|\.socket_address)?|db_instance_endpoint_address)$"
)


def linked_resources(environment: Any, resources: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(``rds-proxy`` or ``direct``, the proxy or database resource, the environment Value) for
    each variable that names a proxy's or a database's endpoint in the stack (``!GetAtt X.Endpoint``,
    ``${X.Endpoint}`` in a ``!Sub``, ``aws_db_proxy.x.endpoint``, CDK ``proxy.endpoint``)."""
    found = []
    for _, value in variables(environment):
        data = value.data
        names: list[tuple[str, str]] = []
        if isinstance(data, Ref):
            names.append((data.target, data.attribute))
        else:
            text = data.text if isinstance(data, Unknown) else data if isinstance(data, str) else ""
            for name in re.findall(r"\$\{([^}]+)\}", text):
                referenced = reference(name.strip(), resources)
                if referenced is not None:
                    names.append((referenced[0].name, referenced[1]))
        for target, attribute in names:
            resource = resources.get(target)
            if resource is None:
                continue
            if resource.kind in PROXY_KINDS and (not attribute or attribute.lower().startswith("endpoint")):
                found.append((PROXY, resource, value))
            elif resource.kind in DATABASE_KINDS and ENDPOINT_ATTRIBUTE_RE.match(attribute):
                found.append((DIRECT, resource, value))
    return found


def reference(name: str, resources: dict[str, Any]) -> tuple[Any, str] | None:
    """``OrdersProxy.Endpoint`` or ``aws_db_proxy.orders.endpoint`` -> (resource, attribute)."""
    parts = name.split(".")
    for size in (2, 1):
        if len(parts) > size and ".".join(parts[:size]) in resources:
            return resources[".".join(parts[:size])], ".".join(parts[size:])
    return None


def variables(environment: Any) -> Iterable[tuple[str, Any]]:
    """An environment's variables: a dict Value, or a list of them, the function's own first
    (SAM Globals, serverless.yml's provider): a variable the function sets hides the default's."""
    if environment is None:
        return []
    pairs: list[tuple[str, Any]] = []
    seen: set[str] = set()
    sources = environment.data if isinstance(environment.data, list) else [environment]
    for source in sources:
        data = source.data
        if isinstance(data, list) and len(data) == 1:  # a Terraform block given once
            data = data[0].data
        if isinstance(data, dict):
            pairs.extend((key, value) for key, value in data.items() if key not in seen)
            seen.update(data)
    return pairs
