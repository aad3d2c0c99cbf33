"""Read CloudFormation and SAM templates (YAML with short-form tags, or JSON) and the
``resources:`` section of a Serverless Framework ``serverless.yml``, keeping positions.

PyYAML's composer gives every node its start and end marks; no constructor runs, so the short-form
tags (``!Ref``, ``!GetAtt``, ``!Sub``...) need no registration and nothing in the file is executed.
JSON is read by the same composer (JSON is YAML), so JSON templates keep positions too.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from pinlint.infra.model import Document, Ref, Resource, Span, Unknown, Value
from pinlint.suppress import parse_codes

if TYPE_CHECKING:
    import yaml

# A YAML comment starts with `#` at the line start or after whitespace (so not inside `a#b`).
_YAML_NOQA_RE = re.compile(r"(?:^|\s)#\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)
_SCALAR_TAGS = {
    "tag:yaml.org,2002:int": int,
    "tag:yaml.org,2002:float": float,
}


def _yaml() -> Any:
    """PyYAML, imported when a template is first read (a run that reads none never pays for it)."""
    import yaml

    return yaml


def _loader() -> Any:
    yaml = _yaml()
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def looks_like_template(text: str) -> bool:
    """Cheap test before parsing: a template names AWS resource types under `Resources`."""
    return "AWS::" in text and "Resources" in text


def read_template(text: str, path: str) -> Document:
    document = Document(path, "cloudformation", noqa=_yaml_noqa(text))
    if path.endswith(".json"):
        try:  # the composer below is YAML's, which also accepts comments and other non-JSON
            json.loads(text)
        except ValueError as error:
            document.error = f"not valid JSON ({error}); skipped"
            return document
    try:
        roots = [node for node in _yaml().compose_all(text, Loader=_loader()) if node is not None]
    except _yaml().YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        document.error = f"cannot read as a template{where}: {problem}; skipped"
        return document
    for root in roots:
        value = _value(root, path)
        document.root = document.root or value
        resources = value.get("Resources")
        if resources is None:
            resources = value.get("resources", "Resources")  # serverless.yml
        _serverless_functions(value, document)
        if resources is None or not isinstance(resources.data, dict):
            continue
        document.function_defaults = document.function_defaults or value.get("Globals", "Function")
        for name, body in resources.data.items():
            kind = body.get("Type")
            if kind is None or not isinstance(kind.data, str):
                continue
            properties = body.get("Properties") or Value({}, body.span)
            document.resources.append(Resource(kind.data, name, properties, body.span))
    return document


def read_yaml(text: str, path: str) -> list[Value]:
    """Every document of a YAML file as Values with positions (a docker-compose file); none when
    it is not YAML."""
    try:
        return [_value(node, path) for node in _yaml().compose_all(text, Loader=_loader()) if node is not None]
    except _yaml().YAMLError:
        return []


SERVERLESS_FUNCTION = "serverless.yml function"  # the kind given to serverless.yml's `functions`


def _serverless_functions(root: Value, document: Document) -> None:
    """serverless.yml's ``functions`` (with ``provider`` as their defaults) as resources."""
    functions, provider = root.get("functions"), root.get("provider")
    if functions is None or not isinstance(functions.data, dict) or root.get("service") is None:
        return
    document.function_defaults = provider
    for name, body in functions.data.items():
        if isinstance(body.data, dict):
            document.resources.append(Resource(SERVERLESS_FUNCTION, name, body, body.span))


def _span(start: yaml.Node, end: yaml.Node, path: str) -> Span:
    return Span(
        path, start.start_mark.line + 1, start.start_mark.column + 1, end.end_mark.line + 1, end.end_mark.column + 1
    )


def _value(node: yaml.Node, path: str, key: yaml.Node | None = None) -> Value:
    span = _span(key or node, node, path)
    tag = node.tag or ""
    yaml = _yaml()
    if isinstance(node, yaml.ScalarNode):
        if tag == "!Ref":
            return Value(Ref(node.value), span)
        if tag == "!GetAtt":
            target, _, attribute = node.value.partition(".")
            return Value(Ref(target, attribute), span)
        if tag == "!Sub":
            return Value(node.value, span)  # its text, ${...} placeholders included
        if tag.startswith("!"):
            return Value(Unknown(f"{tag} {node.value}"), span)
        return Value(_scalar(node), span)
    if isinstance(node, yaml.SequenceNode):
        items = [_value(item, path) for item in node.value]
        if tag == "!GetAtt" and len(items) >= 2 and all(isinstance(item.data, str) for item in items[:2]):
            return Value(Ref(items[0].data, items[1].data), span)
        if tag == "!Sub" and items and isinstance(items[0].data, str):
            return Value(items[0].data, span)
        if tag.startswith("!"):
            return Value(Unknown(tag), span)
        return Value(items, span)
    if isinstance(node, yaml.MappingNode):
        mapping: dict[str, Value] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                mapping[str(key_node.value)] = _value(value_node, path, key_node)
        if tag.startswith("!"):
            return Value(Unknown(tag), span)
        return _long_form(mapping, span)
    return Value(Unknown(tag), span)  # pragma: no cover - PyYAML has only the three node kinds


def _long_form(mapping: dict[str, Value], span: Span) -> Value:
    """``{"Ref": X}``, ``{"Fn::GetAtt": [X, Attr]}``, ``{"Fn::Sub": text}`` as JSON templates write them."""
    if len(mapping) == 1:
        ((name, inner),) = mapping.items()
        if name == "Ref" and isinstance(inner.data, str):
            return Value(Ref(inner.data), span)
        if name == "Fn::GetAtt":
            parts = inner.data.split(".", 1) if isinstance(inner.data, str) else [item.data for item in inner.items()]
            if len(parts) >= 2 and all(isinstance(part, str) for part in parts[:2]):
                return Value(Ref(parts[0], parts[1]), span)
        if name == "Fn::Sub":
            first = inner.items()[0] if inner.items() else inner
            if isinstance(first.data, str):
                return Value(first.data, span)
        if name.startswith("Fn::"):
            return Value(Unknown(name), span)
    return Value(mapping, span)


def _scalar(node: yaml.ScalarNode) -> object:
    tag = node.tag
    if tag in _SCALAR_TAGS:
        try:
            return _SCALAR_TAGS[tag](node.value.replace("_", ""))
        except ValueError:
            return node.value
    if tag == "tag:yaml.org,2002:bool":
        return node.value.lower() in ("true", "yes", "on", "y")
    if tag == "tag:yaml.org,2002:null":
        return None
    return node.value


def _yaml_noqa(text: str) -> dict[int, set[str]]:
    lines: dict[int, set[str]] = {}
    if "noqa" not in text.lower():
        return lines
    for number, line in enumerate(text.splitlines(), start=1):
        found = _YAML_NOQA_RE.search(line)
        if found:
            lines[number] = parse_codes(found.group("codes"))
    return lines
