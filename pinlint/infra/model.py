"""The data the infrastructure readers produce: values that keep where they were written.

A ``Value`` is a literal (str, int, float, bool, None), a list of Values, a dict of Values, or a
``Ref`` to another resource (``!Ref Cluster``, ``aws_rds_cluster.main.cluster_identifier``). Each
Value carries a ``Span``: for a property, from its name to the end of its value, so that a finding
lands on the property that is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Span:
    path: str
    line: int  # 1-based
    column: int  # 1-based
    end_line: int
    end_column: int  # 1-based, exclusive

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.line, self.column, self.end_line, self.end_column)


@dataclass(frozen=True)
class Ref:
    """A reference to a resource (its logical id or Terraform address) and one of its attributes."""

    target: str
    attribute: str = ""


@dataclass(frozen=True)
class Unknown:
    """A value computed at deploy or plan time (an intrinsic function, an interpolation...)."""

    text: str


@dataclass
class Value:
    data: Any
    span: Span
    origin: str = ""  # where a variable's value came from: "var.min_acu, variables.tf line 2"

    def get(self, *keys: str) -> Value | None:
        """The Value under ``keys`` in nested dicts (a Terraform block given once counts as a dict)."""
        current: Value | None = self
        for key in keys:
            if current is None:
                return None
            data = current.data
            if isinstance(data, list) and len(data) == 1 and isinstance(data[0].data, dict):
                data = data[0].data
            if not isinstance(data, dict):
                return None
            current = data.get(key)
        return current

    def number(self) -> float | None:
        """The value as a number, when it is one (a numeric string counts: CloudFormation accepts it)."""
        data = self.data
        if isinstance(data, bool):
            return None
        if isinstance(data, int | float):
            return float(data)
        if isinstance(data, str):
            try:
                return float(data)
            except ValueError:
                return None
        return None

    def text(self) -> str | None:
        return self.data if isinstance(self.data, str) else None

    def items(self) -> list[Value]:
        """A list's items; a single value as a one-item list."""
        return list(self.data) if isinstance(self.data, list) else [self]

    def refs(self) -> list[Ref]:
        """Every reference inside this value."""
        found: list[Ref] = []
        stack = [self]
        while stack:
            value = stack.pop()
            if isinstance(value.data, Ref):
                found.append(value.data)
            elif isinstance(value.data, list):
                stack.extend(value.data)
            elif isinstance(value.data, dict):
                stack.extend(value.data.values())
        return found


@dataclass
class Resource:
    kind: str  # CloudFormation type (AWS::RDS::DBCluster) or Terraform type (aws_rds_cluster)
    name: str  # logical id, or Terraform address (aws_rds_cluster.main)
    properties: Value
    span: Span  # where the resource is declared


@dataclass
class Document:
    """One infrastructure file as read: its resources, its suppression comments, or why it failed."""

    path: str
    flavour: str  # "cloudformation" or "terraform"
    resources: list[Resource] = field(default_factory=list)
    noqa: dict[int, set[str]] = field(default_factory=dict)  # line -> the codes its noqa comment names
    error: str = ""
    # properties every function of the file inherits: SAM ``Globals.Function``, serverless.yml ``provider``
    function_defaults: Value | None = None
    root: Value | None = None  # a template's first document as a whole (pinlint.declarations reads it)
