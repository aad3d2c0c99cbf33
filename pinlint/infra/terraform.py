"""Read Terraform (``.tf``) with python-hcl2's parser, keeping positions, and resolve references.

python-hcl2 parses with Lark and ``propagate_positions``: every block and attribute of its tree
carries its line, column and character offsets. Attribute values are read from that tree: literals
become Python values, ``aws_rds_cluster.main.cluster_identifier`` becomes a ``Ref`` to the resource
``aws_rds_cluster.main``, and ``var.x`` / ``local.y`` become the literal default (or local value)
they name, with a note of where it was written. Anything else (a function call, a conditional, an
interpolated string) is an ``Unknown``: no rule judges what it cannot know.

The files of one directory are one Terraform module: they are read together, so a reference from
``proxy.tf`` to a cluster in ``main.tf`` resolves.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pinlint.infra.model import Document, Ref, Resource, Span, Unknown, Value
from pinlint.suppress import NOQA_RE, parse_codes

_TRAVERSAL_RE = re.compile(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])+$")
_TRAILING_SPACE_RE = re.compile(r"[ \t]+$", re.MULTILINE)


def looks_like_terraform(text: str) -> bool:
    return "resource" in text or "variable" in text or "locals" in text


def read_module(sources: dict[str, str]) -> list[Document]:
    """Read the ``.tf`` files of one directory (path -> text) as one module."""
    import hcl2  # imported only when a project has Terraform
    from lark import Token, Tree
    from lark.exceptions import LarkError

    documents: list[Document] = []
    variables: dict[str, Value] = {}
    locals_: dict[str, Value] = {}
    pending: list[tuple[Document, list[tuple[str, Any]]]] = []
    for path, text in sources.items():
        document = Document(path, "terraform")
        documents.append(document)
        try:
            tree, text = _parse(hcl2, text, LarkError)
        except (LarkError, ValueError, RecursionError) as error:
            document.error = f"cannot read as Terraform: {_first_line(error)}; skipped"
            continue
        reader = _Reader(path, text, Tree, Token)
        document.noqa = reader.noqa(tree)
        blocks = []
        for block in reader.blocks(tree):
            labels = reader.labels(block)
            if not labels:
                continue
            if labels[0] == "variable" and len(labels) == 2:
                default = reader.body(block).get("default")
                if default is not None:
                    variables[labels[1]] = default
            elif labels[0] == "locals":
                locals_.update(reader.body(block))
            elif labels[0] == "resource" and len(labels) == 3:
                blocks.append((f"{labels[1]}.{labels[2]}", block))
            elif labels[0] == "data" and len(labels) == 3:
                blocks.append((f"data.{labels[1]}.{labels[2]}", block))
            elif labels[0] == "module" and len(labels) == 2:
                blocks.append((f"module.{labels[1]}", block))
        pending.append((document, [(name, (reader, block)) for name, block in blocks]))
    for document, blocks in pending:
        for name, (reader, block) in blocks:
            body = reader.body(block)
            properties = Value(body, reader.span(block))
            _resolve(properties, variables, locals_)
            kind = name.rsplit(".", 1)[0] if name.startswith("data.") else name.split(".", 1)[0]
            document.resources.append(Resource(kind, name, properties, reader.span(block)))
    return documents


def _parse(hcl2: Any, text: str, lark_error: type[Exception]) -> tuple[Any, str]:
    """python-hcl2's tree of ``text``, and the text it read. Its grammar rejects spaces after a
    heredoc's closing marker (``EOF  ``), which Terraform accepts; on an error the text is parsed
    again with trailing whitespace removed from every line, which moves no line or column of
    anything else (the tree's character offsets are then those of the stripped text)."""
    try:
        return hcl2.parses_to_tree(text), text
    except lark_error:
        stripped = _TRAILING_SPACE_RE.sub("", text)
        if stripped == text:
            raise
        return hcl2.parses_to_tree(stripped), stripped


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


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
                value.origin = f"{data.target}.{data.attribute}, {_short(named.span.path)} line {named.span.line}"
    elif isinstance(data, list):
        for item in data:
            _resolve(item, variables, locals_, depth)
    elif isinstance(data, dict):
        for item in data.values():
            _resolve(item, variables, locals_, depth)


def _short(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


class _Reader:
    """Turns python-hcl2's Lark tree of one file into Values."""

    def __init__(self, path: str, text: str, tree_type: type, token_type: type) -> None:
        self.path = path
        self.text = text
        self.Tree: Any = tree_type
        self.Token: Any = token_type

    def span(self, node: Any, start: Any = None) -> Span:
        first = (start or node).meta
        return Span(self.path, first.line, first.column, node.meta.end_line, node.meta.end_column)

    def blocks(self, tree: Any) -> list[Any]:
        body = next((child for child in tree.children if self._is(child, "body")), None)
        return [child for child in body.children if self._is(child, "block")] if body is not None else []

    def labels(self, block: Any) -> list[str]:
        labels = []
        for child in block.children:
            if self._is(child, "identifier"):
                labels.append(str(child.children[0]))
            elif self._is(child, "string"):
                labels.append(self._source(child)[1:-1])
            elif self._is(child, "body"):
                break
        return labels

    def body(self, block: Any) -> dict[str, Value]:
        """A block's attributes and nested blocks (a nested block given twice becomes a list)."""
        body = next((child for child in block.children if self._is(child, "body")), None)
        result: dict[str, Value] = {}
        if body is None:
            return result
        for child in body.children:
            if self._is(child, "attribute"):
                name = str(child.children[0].children[0])
                expression = child.children[-1]
                value = self.expression(expression)
                value.span = self.span(child)
                result[name] = value
            elif self._is(child, "block"):
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
        while self._is(node, "expr_term") and len(node.children) == 1 and isinstance(node.children[0], self.Tree):
            node = node.children[0]
        if self._is(node, "tuple"):
            items = [self.expression(child) for child in node.children if isinstance(child, self.Tree)]
            return Value(items, span)
        if self._is(node, "object"):
            mapping: dict[str, Value] = {}
            for element in node.children:
                if self._is(element, "object_elem"):
                    key_text = self._source(element.children[0]).strip().strip('"')
                    mapping[key_text] = self.expression(element.children[-1])
            return Value(mapping, span)
        source = self._source(node).strip()
        return Value(_literal(source), span)

    def noqa(self, tree: Any) -> dict[int, set[str]]:
        """`# noqa: CODE` (or `// noqa: CODE`) comments, read from the parser's comment tokens."""
        lines: dict[int, set[str]] = {}
        if "noqa" not in self.text.lower():
            return lines
        for token in tree.scan_values(self._is_noqa_token):
            for offset, piece in enumerate(str(token).split("\n")):
                found = NOQA_RE.search(piece.replace("//", "#", 1))
                if found:
                    lines.setdefault(token.line + offset, set()).update(parse_codes(found.group("codes")))
        return lines

    def _is_noqa_token(self, item: Any) -> bool:
        return isinstance(item, self.Token) and "noqa" in item.lower()

    def _is(self, node: Any, name: str) -> bool:
        return isinstance(node, self.Tree) and node.data == name

    def _source(self, node: Any) -> str:
        return str(self.text[node.meta.start_pos : node.meta.end_pos])


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
