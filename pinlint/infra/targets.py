"""The infrastructure side of ``--target auto`` (pinlint.targets): every Lambda function the
templates, serverless.yml, Terraform modules and CDK apps declare, with the routes its
environment shows, and the services of docker-compose files that go through a PgBouncer service.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pinlint.declarations import MAX_LEVELS_UP, SERVERLESS_FILES, TEMPLATE_FILES
from pinlint.infra.code import python_files, read_small
from pinlint.infra.facts import stack_facts
from pinlint.infra.files import read_text
from pinlint.infra.model import Document, Value
from pinlint.paths import ancestors
from pinlint.targets import COMPOSE_FILES, CodeRoutes, Route, TargetMap, data_api_route, routes_of, source_line

_FUNCTION_MARKERS = ("AWS::Serverless::Function", "AWS::Lambda::Function")
# What a stack's text must mention for one of its functions' routes to be decided (a database or
# proxy resource, or a host or port that says what it is): a stack without any is not parsed for
# routes (its functions are unknown, as they would be once parsed).
ROUTE_HINTS = (
    "AWS::RDS::",
    "aws_db_proxy",
    "aws_rds_cluster",
    "aws_db_instance",
    "aws_rds",
    ".proxy-",
    "pooler.",
    "supabase.co",
    "neon.tech",
    "6432",
    "6543",
    ".cluster-",
    "rds-data",
    "arn:aws:rds",
)


_HINTS_RE = re.compile("|".join(re.escape(hint) for hint in ROUTE_HINTS))


def _hinted(text: str) -> bool:
    return _HINTS_RE.search(text) is not None


_POOLER_IMAGE_RE = re.compile(r"pgbouncer|pgcat|odyssey|supavisor", re.IGNORECASE)


def find_targets(infrastructure: list[Path], python_files: list[Path], settings: Any) -> TargetMap:
    """The routes of every function the infrastructure files (and docker-compose files beside or
    above the Python files) declare, with the configuration's ``per-path-target``. A file that
    cannot be read or parsed decides nothing here: the infrastructure pass warns about it."""
    paths = {os.path.abspath(path) for path in infrastructure}
    directories = {os.path.dirname(os.path.abspath(path)) for path in python_files}
    paths |= set(_named_files_above(directories, settings.root))
    result = TargetMap(config_root=settings.root, configured=list(settings.per_path_target.items()))
    result.functions = function_routes(sorted(paths), python_files)
    return result


def _named_files_above(directories: set[str], root: Path) -> Iterable[str]:
    """Templates, serverless.yml and docker-compose files in the linted files' directories and
    those above them (not above the repository root), as the handler declarations are found."""
    seen: set[str] = set()
    for start in sorted(directories):
        for above in ancestors(start, levels=MAX_LEVELS_UP, stop_at=".git"):
            directory = str(above)
            if directory in seen:
                break
            seen.add(directory)
            for name in (*SERVERLESS_FILES, *TEMPLATE_FILES, *COMPOSE_FILES):
                candidate = os.path.join(directory, name)
                if os.path.isfile(candidate):
                    yield candidate


def function_routes(paths: list[str], linted: list[Path]) -> list[CodeRoutes]:
    """The routes of each function declared in ``paths`` (infrastructure and compose files) and
    in the CDK apps among the ``linted`` Python files."""
    from pinlint.infra.cloudformation import read_template
    from pinlint.infra.terraform import read_module

    texts: dict[str, str] = {}
    if not any(path.suffix in (".py", ".pyi") for path in linted):
        return []  # no Python file here: no finding to report for a function's pooler
    for path in paths:
        text, problem = read_text(path)
        if not problem:
            texts[path] = text
    stacks: list[list[Document]] = []
    modules: dict[str, dict[str, str]] = {}
    found: list[CodeRoutes] = []
    for path, text in texts.items():
        name = os.path.basename(path)
        with _deciding_nothing():
            if name in COMPOSE_FILES:
                found.extend(compose_routes(path, text))
            elif path.endswith(".tf"):
                modules.setdefault(os.path.dirname(path), {})[path] = text
            elif (name.startswith("serverless.") or any(mark in text for mark in _FUNCTION_MARKERS)) and _hinted(text):
                stacks.append([read_template(text, path)])
    for module in modules.values():
        texts_of = module.values()
        if any("aws_lambda_function" in text for text in texts_of) and any(_hinted(text) for text in texts_of):
            with _deciding_nothing():
                stacks.append(read_module(module))
    with _deciding_nothing():
        stacks.extend(_cdk_apps(linted))
    for documents in stacks:
        with _deciding_nothing():
            found.extend(_stack_routes(documents))
    return found


@contextmanager
def _deciding_nothing() -> Iterator[None]:
    """A file a parser fails on in a way nobody expected (a RecursionError on deep nesting...)
    decides no route: unknown, every target. The infrastructure pass reports what is wrong with it."""
    try:
        yield
    except Exception:  # third-party parsers on files nobody checked
        return


def _stack_routes(documents: list[Document]) -> list[CodeRoutes]:
    lines: dict[str, list[str]] = {}

    def text_of(path: str) -> list[str]:
        if path not in lines:
            text = read_small(path) if path.endswith(".py") else read_text(path)[0]
            lines[path] = (text or "").splitlines()
        return lines[path]

    resources = {
        resource.name: resource for document in documents if not document.error for resource in document.resources
    }
    for document in documents:
        text_of(document.path)
    result = []
    for function in stack_facts(documents).functions:
        if not function.code_root:
            continue
        root = os.path.abspath(function.code_root)
        routes = routes_of(function.environment, resources, lines)
        if not routes:
            files = python_files(root) if os.path.isdir(root) else (root,) if root.endswith(".py") else ()
            data_api = data_api_route(files)
            routes = [data_api] if data_api is not None else []
        handler = os.path.abspath(function.handler_file) if function.handler_file else ""
        result.append(CodeRoutes(root, handler, tuple(routes)))
    return result


def _cdk_apps(linted: list[Path]) -> list[list[Document]]:
    """The CDK apps among the linted Python files (a directory with cdk.json above them)."""
    from pinlint.infra.cdk import looks_like_cdk_functions, read_app
    from pinlint.pymodel import ParseError, parse_python

    apps: list[list[Document]] = []
    app_roots: dict[str, str | None] = {}  # by the linted file's directory as given
    walked: dict[str, str | None] = {}  # by resolved directory
    for path in linted:
        if path.suffix != ".py":
            continue
        directory = str(path.parent)
        if directory not in app_roots:
            app_roots[directory] = _nearest_cdk_app(os.path.realpath(directory), walked)
        if app_roots[directory] is None:
            continue
        text = read_small(str(path))
        if text is None or not looks_like_cdk_functions(text) or not _hinted(text):
            continue
        try:
            model = parse_python(text)
        except ParseError:
            continue
        apps.append([read_app(str(path), model, str(app_roots[directory]))])
    return apps


def _nearest_cdk_app(directory: str, found: dict[str, str | None]) -> str | None:
    """The nearest directory at or above ``directory`` (a resolved path) that holds a cdk.json,
    or None; ``found`` keeps the answer of every directory walked, so the files of a tree cost
    one ``isfile`` per directory, not one per level per directory."""
    walked = []
    here = directory
    while here not in found:
        walked.append(here)
        parent = os.path.dirname(here)
        if os.path.isfile(os.path.join(here, "cdk.json")):
            found[here] = here
        elif parent == here:
            found[here] = None
        else:
            here = parent
    for below in walked:
        found.setdefault(below, found[here])
    return found[directory]


# ------------------------------------------------------------------ docker-compose
def compose_routes(path: str, text: str) -> list[CodeRoutes]:
    """A compose file's services built from source (``build:``) whose environment names a
    PgBouncer-like service as its host (or a pooler's host or port): PgBouncer for their code.
    Only a pooler decides: a service that names a database service directly is usually a
    development or test set-up, which says nothing about how the code connects in production."""
    from pinlint.infra.cloudformation import read_yaml

    roots = read_yaml(text, path)
    if not roots or not isinstance(roots[0].data, dict):
        return []
    services = roots[0].get("services")
    if services is None or not isinstance(services.data, dict):
        return []
    poolers = {name for name, body in services.data.items() if _is_pooler(name, body)}
    lines = {path: text.splitlines()}
    base = os.path.dirname(os.path.abspath(path))
    result = []
    for name, body in services.data.items():
        if name in poolers or not isinstance(body.data, dict):
            continue
        build = body.get("build")
        context = build.text() if build is not None else None
        if build is not None and context is None:
            context_value = build.get("context")
            context = context_value.text() if context_value is not None else None
        if context is None:
            continue
        pairs = _environment(body.get("environment"))
        routes: dict[str, Route] = {}
        for _key, value in pairs:
            shown = value.text() or ""
            if any(re.search(rf"(^|[@/]){re.escape(service)}(:|/|$)", shown) for service in poolers):
                routes.setdefault("pgbouncer", Route("pgbouncer", source_line(value.span, lines)))
        for route in routes_of(Value(dict(pairs), body.span), {}, lines):
            if route.target != "direct":
                routes.setdefault(route.target, route)
        if routes:
            result.append(CodeRoutes(os.path.normpath(os.path.join(base, context)), "", tuple(routes.values())))
    return result


def _is_pooler(name: str, body: Value) -> bool:
    return bool(_POOLER_IMAGE_RE.search(name)) or _image_matches(body, _POOLER_IMAGE_RE)


def _image_matches(body: Value, pattern: re.Pattern[str]) -> bool:
    image = body.get("image") if isinstance(body.data, dict) else None
    return image is not None and bool(pattern.search(image.text() or ""))


def _environment(value: Value | None) -> list[tuple[str, Value]]:
    """A service's environment: a mapping, or a list of ``KEY=value`` strings."""
    if value is None:
        return []
    if isinstance(value.data, dict):
        return [(key, item) for key, item in value.data.items()]
    pairs = []
    for item in value.items():
        text = item.text() or ""
        key, equals, rest = text.partition("=")
        if equals:
            pairs.append((key, Value(rest, item.span)))
    return pairs
