"""Read Terraform (``.tf``) with tree-sitter's HCL grammar, keeping positions, and resolve references.

tree-sitter-hcl parses each file into a syntax tree whose every block and attribute carries its
line and column. Attribute values are read from that tree: literals become Python values,
``aws_rds_cluster.main.cluster_identifier`` becomes a ``Ref`` to the resource
``aws_rds_cluster.main``, and ``var.x`` / ``local.y`` (with any attribute path into an object
value) become the literal default or local value they name, with a note of where it was written.
Anything else (a function call, a conditional, an interpolated string) is an ``Unknown``: no rule
judges what it cannot know.

The files of one directory are one Terraform module: they are read together, so a reference from
``proxy.tf`` to a cluster in ``main.tf`` resolves.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from pinlint.infra.model import Document, Ref, Resource, Span, Unknown, Value
from pinlint.suppress import NOQA_RE, parse_codes

_TRAVERSAL_RE = re.compile(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])+$")


def looks_like_terraform(text: str) -> bool:
    return "resource" in text or "variable" in text or "locals" in text


@lru_cache(maxsize=1)
def _parser() -> Any:
    """tree-sitter's HCL parser, loaded only when a project has Terraform worth reading."""
    import tree_sitter
    import tree_sitter_hcl

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))


def read_module(
    sources: dict[str, str],
    inputs: dict[str, Value] | None = None,
    caller: str = "",
    kinds: frozenset[str] | None = None,
) -> list[Document]:
    """Read the ``.tf`` files of one directory (path -> text) as one module; with ``inputs``, as
    the module ``caller`` (``module.db``) instantiates it: its inputs replace the defaults of the
    variables they name; with ``kinds``, only the blocks of those kinds (``aws_lambda_function``,
    ``data.archive_file``, ``module``) become resources (variables and locals are always read)."""
    documents: list[Document] = []
    variables: dict[str, Value] = {}
    locals_: dict[str, Value] = {}
    pending: list[tuple[Document, _Reader, list[tuple[str, Any]]]] = []
    for path, text in sources.items():
        document = Document(path, "terraform")
        documents.append(document)
        data = text.encode("utf-8", errors="surrogateescape")
        tree = _parser().parse(data)
        reader = _Reader(path, data)
        if tree.root_node.has_error:
            document.error = f"cannot read as Terraform: {reader.first_error(tree.root_node)}; skipped"
            continue
        document.noqa = reader.noqa(tree.root_node)
        blocks = []
        for block in reader.blocks(tree.root_node):
            labels = reader.labels(block)
            if not labels:
                continue
            if labels[0] == "variable" and len(labels) == 2:
                default = reader.body(block).get("default")
                if default is not None:
                    variables[labels[1]] = default
            elif labels[0] == "locals":
                locals_.update(reader.body(block))
            elif labels[0] == "resource" and len(labels) == 3 and (kinds is None or labels[1] in kinds):
                blocks.append((f"{labels[1]}.{labels[2]}", block))
            elif labels[0] == "data" and len(labels) == 3 and (kinds is None or f"data.{labels[1]}" in kinds):
                blocks.append((f"data.{labels[1]}.{labels[2]}", block))
            elif labels[0] == "module" and len(labels) == 2 and (kinds is None or "module" in kinds):
                blocks.append((f"module.{labels[1]}", block))
        pending.append((document, reader, blocks))
    for name, value in (inputs or {}).items():
        written = value.span.path.replace("\\", "/")  # the caller's file, as the walk found it
        where = f"the input of {caller}, {written} line {value.span.line}"
        variables[name] = Value(value.data, value.span, where)
    for document, reader, blocks in pending:
        for name, block in blocks:
            properties = Value(reader.body(block), reader.span(block))
            _resolve(properties, variables, locals_)
            kind = name.rsplit(".", 1)[0] if name.startswith("data.") else name.split(".", 1)[0]
            document.resources.append(Resource(kind, name, properties, reader.span(block)))
    return documents


def _resolve(value: Value, variables: dict[str, Value], locals_: dict[str, Value], depth: int = 0) -> None:
    """Replace ``var.x`` / ``local.y`` references by the literal they name (recursively, bounded)."""
    data = value.data
    if isinstance(data, Ref) and depth < 8:
        source = variables if data.target == "var" else locals_ if data.target == "local" else None
        name, *path = data.attribute.split(".")
        if source is not None and name in source:
            named: Value | None = source[name]
            _resolve(source[name], variables, locals_, depth + 1)
            for key in path:  # an attribute of an object value: var.cluster.scaling.min_capacity
                named = named.get(key) if named is not None and isinstance(named.data, dict) else None
            if named is not None:
                value.data = named.data
                where = named.origin or source[name].origin
                value.origin = (
                    f"{data.target}.{data.attribute}, {where}"
                    if where
                    else f"{data.target}.{data.attribute}, {_short(named.span.path)} line {named.span.line}"
                )
    elif isinstance(data, list):
        for item in data:
            _resolve(item, variables, locals_, depth)
    elif isinstance(data, dict):
        for item in data.values():
            _resolve(item, variables, locals_, depth)


def _short(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


class _Reader:
    """Turns tree-sitter's syntax tree of one file into Values. tree-sitter counts columns in
    bytes; the spans count characters, as the other readers and the reports do."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.data = data
        self.lines = data.split(b"\n")

    def _column(self, point: Any) -> int:
        row, column = point
        line = self.lines[row] if row < len(self.lines) else b""
        return len(line[:column].decode("utf-8", errors="replace")) + 1

    def span(self, node: Any) -> Span:
        return Span(
            self.path,
            node.start_point[0] + 1,
            self._column(node.start_point),
            node.end_point[0] + 1,
            self._column(node.end_point),
        )

    def first_error(self, root: Any) -> str:
        """Where the parse failed: the first missing token, else the innermost unreadable text."""
        node = root
        while True:
            broken = [child for child in node.children if child.has_error or child.is_missing]
            if not broken:
                break
            node = broken[0]
        if node.is_missing:
            what = f"missing `{node.type}`" if not node.is_named else f"missing {node.type}"
        else:
            what = "unexpected text"
        return f"{what} at line {node.start_point[0] + 1}, column {self._column(node.start_point)}"

    def blocks(self, root: Any) -> list[Any]:
        body = _child(root, "body")
        return [child for child in body.named_children if child.type == "block"] if body is not None else []

    def labels(self, block: Any) -> list[str]:
        labels = []
        for child in block.named_children:
            if child.type == "identifier":
                labels.append(self._source(child))
            elif child.type == "string_lit":
                labels.append(self._source(child)[1:-1])
            elif child.type == "block_start":
                break
        return labels

    def body(self, block: Any) -> dict[str, Value]:
        """A block's attributes and nested blocks (a nested block given twice becomes a list)."""
        body = _child(block, "body")
        result: dict[str, Value] = {}
        if body is None:
            return result
        for child in body.named_children:
            if child.type == "attribute":
                name = self._source(child.named_children[0])
                value = self.expression(child.named_children[-1])
                value.span = self.span(child)
                result[name] = value
            elif child.type == "block":
                labels = self.labels(child)
                if not labels:
                    continue
                nested = Value(self.body(child), self.span(child))
                if labels[0] in result and isinstance(result[labels[0]].data, list):
                    result[labels[0]].data.append(nested)
                else:
                    result[labels[0]] = Value([nested], self.span(child))
        return result

    def expression(self, node: Any) -> Value:
        span = self.span(node)
        while node.type in ("expression", "collection_value") and node.named_child_count == 1:
            node = node.named_children[0]
        if node.type == "tuple":
            items = [self.expression(child) for child in node.named_children if child.type == "expression"]
            return Value(items, span)
        if node.type == "object":
            mapping: dict[str, Value] = {}
            for element in node.named_children:
                if element.type == "object_elem" and element.named_child_count >= 2:
                    key = self._source(element.named_children[0]).strip().strip('"')
                    mapping[key] = self.expression(element.named_children[-1])
            return Value(mapping, span)
        return Value(_literal(self._source(node).strip()), span)

    def noqa(self, root: Any) -> dict[int, set[str]]:
        """`# noqa: CODE` (or `// noqa: CODE`) comments, read from the tree's comment nodes."""
        lines: dict[int, set[str]] = {}
        if b"noqa" not in self.data.lower():
            return lines
        stack = [root]
        while stack:
            node = stack.pop()
            if node.type == "comment":
                found = NOQA_RE.search(self._source(node).replace("//", "#", 1))
                if found:
                    lines.setdefault(node.start_point[0] + 1, set()).update(parse_codes(found.group("codes")))
            else:
                stack.extend(node.children)
        return lines

    def _source(self, node: Any) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def _child(node: Any, kind: str) -> Any:
    return next((child for child in node.named_children if child.type == kind), None)


def _literal(source: str) -> Any:
    """An HCL leaf expression's value: a literal, a traversal (a ``Ref``), or ``Unknown``."""
    if source in ("true", "false"):
        return source == "true"
    if source == "null":
        return None
    if re.fullmatch(r"-?\d+", source):
        return int(source)
    if re.fullmatch(r"-?\d+\.\d*(?:[eE][-+]?\d+)?", source):
        return float(source)
    if source.startswith('"') and source.endswith('"') and "${" not in source and "%{" not in source:
        try:
            return str(json.loads(source))
        except ValueError:
            return source[1:-1]
    if source.startswith('"') and source.endswith('"'):
        return Unknown(source)  # an interpolated string: its literal text is kept for rules that read it
    if _TRAVERSAL_RE.match(source):
        head, _, rest = source.partition(".")
        if head in ("var", "local"):
            return Ref(head, rest)  # the name and any attribute path into its value (var.db.scaling.min)
        parts = re.split(r"\.|\[\d+\]\.?", source)
        parts = [part for part in parts if part]
        if head == "data" and len(parts) >= 3:
            return Ref(".".join(parts[:3]), ".".join(parts[3:]))
        if len(parts) >= 2:
            return Ref(".".join(parts[:2]), ".".join(parts[2:]))
    return Unknown(source)
