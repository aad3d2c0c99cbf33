"""Which Python functions are Lambda handlers, from what the project declares.

Read here (never executed): Serverless Framework ``serverless.yml``/``.yaml``
(``functions.*.handler``, and serverless-wsgi's ``custom.wsgi.app``), AWS SAM / CloudFormation
templates (``template.yaml``/``.yml``/``.json``: ``AWS::Serverless::Function`` and
``AWS::Lambda::Function`` with ``Handler`` and ``CodeUri``, ``Globals.Function``, image functions'
``ImageConfig.Command`` and ``Metadata.DockerContext``), Zappa's ``zappa_settings.json``/``.yaml``/
``.yml`` (``app_function``, ``events[].function``), a Lambda base image's ``Dockerfile`` ``CMD``
(or, behind the Lambda Web Adapter, the app its web server runs: ``uvicorn main:app``),
CDK apps, Terraform ``aws_lambda_function`` resources (a literal ``handler``, ``for_each`` over a
map of literal handlers, ``var.`` inputs of a module called from the tree, the code directory from
an ``archive_file``), and ``handlers = ["path/mod.py:func"]`` in the config. A declared name may be
an object rather than a function: a WSGI/ASGI app (``app.app``), or ``handler = Mangum(app)``;
pinlint.extract.routes then makes that object's routes the handlers, and the objects such a module
serves from other modules (``app.include_router(items.router)``) are declared where they are defined.

Templates and serverless.yml are read by ``pinlint.infra.cloudformation``, Terraform by
``pinlint.infra.terraform`` (tree-sitter-hcl): one reader per format. Functions found in the
Python code itself (Chalice decorators, framework routes behind an adapter, the ``lambda_handler``
convention) are the extractor's business; this module only says what is declared for a file and
whether a file is covered by some declaration, so that the convention applies only where nothing
is declared.

A declared handler that cannot be mapped to a Python file of the project (an expression, a
variable, an image function without a readable CMD, a module that is not there) is a one-line
warning naming its file and line, and claims nothing: the convention stays on around it.

Every declaration file is read through pinlint.files (regular files only, a size limit) and
parsed inside a boundary: whatever a parser raises on it (a YAML error, JSON nested 100,000
levels deep, an exception type nobody expected) becomes one warning naming the file, and the
run goes on without that file's declarations.
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pinlint.files import MAX_SOURCE_BYTES, UnreadableFile, read_bytes, read_text
from pinlint.infra.model import Document, Ref, Unknown, Value
from pinlint.paths import ancestors, files_below, nearest_ancestor
from pinlint.pymodel import ParseError, PythonModule, parse_python

SERVERLESS_FILES = ("serverless.yml", "serverless.yaml")
TEMPLATE_FILES = ("template.yaml", "template.yml", "template.json")
ZAPPA_FILES = ("zappa_settings.json", "zappa_settings.yaml", "zappa_settings.yml")
DOCKERFILE = "Dockerfile"
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
# serverless-wsgi's own handler modules, installed at deploy time (the app is `custom.wsgi.app`)
WSGI_PLUGIN_HANDLERS = ("wsgi_handler.handler", "wsgi.handler")
# A Lambda base image or runtime interface client: the image's CMD is `module.function`.
LAMBDA_IMAGE_RE = re.compile(r"lambda/python|aws-lambda-python|awslambdaric|lambda-python", re.IGNORECASE)
MAX_LEVELS_UP = 8
MAX_FOLLOWED = 3  # served objects followed from module to module (app -> included router -> ...)


@dataclass(frozen=True)
class Declaration:
    """Why a function (or a framework object) is a handler: ``serverless.yml line 12``..."""

    function: str
    source: str  # the declaring file, as shown to the user
    line: int = 0
    what: str = ""  # "the WSGI app serverless-wsgi serves": shown before the place
    note: str = ""  # "its code directory guessed as src": shown after it

    @property
    def reason(self) -> str:
        place = f"{self.source} line {self.line}" if self.line else self.source
        said = f"{self.what}, {place}" if self.what else f"declared in {place}"
        return f"{said}, {self.note}" if self.note else said


@dataclass
class Declarations:
    """Handlers per Python file (resolved paths), and the directories some declaration covers."""

    by_file: dict[str, list[Declaration]] = field(default_factory=dict)  # absolute, normalized paths
    declaring_dirs: set[Path] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    # image functions without a command: warned about only when no Dockerfile's CMD was mapped
    image_warnings: list[tuple[Path, str]] = field(default_factory=list)  # (declaring file, warning)
    images_mapped: list[Path] = field(default_factory=list)  # the Dockerfiles whose CMD was mapped
    adapter_images: list[Path] = field(default_factory=list)  # Lambda Web Adapter images (they warn themselves)
    overridden_dockerfiles: set[Path] = field(default_factory=set)  # a template's `ImageConfig.Command` wins
    # Django settings modules a Lambda serves (absolute, normalized paths) -> what serves them
    lambda_settings: dict[str, str] = field(default_factory=dict)

    def for_file(self, path: Path) -> list[Declaration]:
        return self.by_file.get(os.path.abspath(path), [])

    def covers(self, path: Path) -> bool:
        """True when a declaration file sits in this file's directory or one above it."""
        absolute = os.path.abspath(path)
        return any(absolute.startswith(os.path.join(os.path.abspath(d), "")) for d in self.declaring_dirs)

    def add(self, path: Path, declaration: Declaration) -> None:
        entries = self.by_file.setdefault(os.path.abspath(path), [])
        if all(entry.function != declaration.function for entry in entries):
            entries.append(declaration)

    def count(self) -> int:
        return sum(len(entries) for entries in self.by_file.values())

    def policy(self, path: Path) -> tuple[dict[str, str], bool]:
        """The handler policy for the module ``path``: the functions (or framework objects)
        declared there (name -> why), and whether the ``lambda_handler(event, context)``
        convention applies to it (nothing declares a handler in it and no declaration covers its
        directory)."""
        declared = {declaration.function: declaration.reason for declaration in self.for_file(path)}
        return declared, not declared and not self.covers(path)


def _handler_target(base: Path, handler: str) -> tuple[Path, str] | None:
    """``path/module.func`` or ``pkg.module.func`` relative to ``base`` -> (file, function)."""
    module, dot, function = handler.strip().rpartition(".")
    if not dot or not module or not function:
        return None
    module_path = module if "/" in module else module.replace(".", "/")
    return base / f"{module_path}.py", function


NOT_FOLLOWED = "it is not analysed, and the lambda_handler(event, context) convention stays on"


def _unmapped(shown: str, line: int, what: str, why: str) -> str:
    """The one-line warning for a declared function that cannot be mapped to a Python function:
    ``what`` is ``the handler `x` `` or ``an image function``."""
    place = f"{shown}:{line}" if line else shown
    return f"{place}: cannot map {what} to source ({why}); {NOT_FOLLOWED}"


def _handler(value: str) -> str:
    return f"the handler `{value}`"


def _claim(
    result: Declarations,
    target: tuple[Path, str] | None,
    handler: str,
    shown: str,
    line: int,
    root: Path,
    what: str = "",
    note: str = "",
) -> bool:
    """Record the declaration of ``handler`` (a ``module.function`` mapped to ``target``), or warn
    when it maps to no Python file of the project; True when it was recorded."""
    if target is None:
        result.warnings.append(_unmapped(shown, line, _handler(handler), "not `module.function`"))
        return False
    target = _beside_zip(target)
    if not target[0].is_file():
        missing = _display(_outside_zip(target[0]), root)
        result.warnings.append(_unmapped(shown, line, _handler(handler), f"it names {missing}, which is not there"))
        return False
    result.add(target[0], Declaration(target[1], shown, line, what, note))
    return True


def _beside_zip(target: tuple[Path, str]) -> tuple[Path, str]:
    """A handler module inside a code zip (``lambda/deploy.zip`` + ``mod.py``) that is not there:
    the same module beside the zip, where the zip is usually built from, when it exists."""
    path, function = target
    for archive in path.parents:
        if archive.suffix == ".zip":
            beside = archive.parent / path.relative_to(archive)
            return (beside, function) if beside.is_file() else target
    return target


def _outside_zip(path: Path) -> Path:
    """``build/code.zip/app.py`` -> ``build/app.py``: where a module in a zip is looked for."""
    for archive in path.parents:
        if archive.suffix in (".zip", ".jar"):
            return archive.parent / path.relative_to(archive)
    return path


def _display(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it is below it (the file itself may be a symlink), else
    relative to the current directory (a Terraform file beside the linted directory)."""
    here = Path.cwd()
    for shown, base in (
        (Path(os.path.abspath(path)), Path(os.path.abspath(root))),
        (path.resolve(), root.resolve()),
        (Path(os.path.abspath(path)), here),
    ):
        try:
            return shown.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.as_posix()


class DeclarationError(Exception):
    """A declaration file that cannot be read or parsed; ``str()`` says why in one line."""


def _parse(parser: Callable[[], Any]) -> Any:
    """``parser()``, with every failure turned into a DeclarationError (the parsers are
    third-party code reading files nobody checked)."""
    try:
        return parser()
    except RecursionError:
        raise DeclarationError("nested too deeply") from None
    except MemoryError:
        raise DeclarationError("too large to parse") from None
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DeclarationError(first) from None


def _read(path: Path) -> str:
    try:
        return read_text(path, MAX_SOURCE_BYTES)
    except UnreadableFile as error:
        raise DeclarationError(str(error)) from None


def _load(path: Path) -> Value | None:
    """A template, serverless.yml or Zappa settings file as Values with positions (pinlint.infra's
    reader); None when it is empty."""
    from pinlint.infra.cloudformation import read_template

    text = _read(path)
    document: Document = _parse(lambda: read_template(text, str(path)))
    if document.error:
        raise DeclarationError(document.error.removesuffix("; skipped"))
    return document.root


def _text(value: Value | None) -> str | None:
    return value.data if value is not None and isinstance(value.data, str) else None


def _line(value: Value | None) -> int:
    return value.span.line if value is not None else 0


def _dict(value: Value | None) -> dict[str, Value]:
    return value.data if value is not None and isinstance(value.data, dict) else {}


def _read_serverless(path: Path, data: Value | None, result: Declarations, root: Path) -> None:
    shown = _display(path, root)
    wsgi = _dict(data).get("custom")
    app = wsgi.get("wsgi", "app") if wsgi is not None else None
    app_name = _text(app)
    if app_name:
        what = "the WSGI app serverless-wsgi serves (`custom.wsgi.app`)"
        _claim(result, _handler_target(path.parent, app_name), app_name, shown, _line(app), root, what)
    for spec in _dict(_dict(data).get("functions")).values():
        handler = spec.get("handler")
        image = spec.get("image")
        if handler is None and image is not None:
            command = image.get("command")
            commands = [_text(item) for item in command.items()] if command is not None else []
            if commands and commands[0]:
                _claim_image(result, path.parent, commands[0], shown, _line(command), root)
                continue
            why = "its handler is the image's CMD, and no Lambda base image's Dockerfile declares one"
            result.image_warnings.append((path, _unmapped(shown, _line(image), "an image function", why)))
            continue
        name = _text(handler)
        if name is None:
            continue
        if "${" in name:
            result.warnings.append(_unmapped(shown, _line(handler), _handler(name), "a `${...}` variable"))
            continue
        if app_name and name in WSGI_PLUGIN_HANDLERS:
            continue  # the plugin's module: what it runs is the app declared above
        _claim(result, _handler_target(path.parent, name), name, shown, _line(handler), root)


NESTED_STACKS = ("AWS::Serverless::Application", "AWS::CloudFormation::Stack")
MAX_NESTING = 4


def _read_template(path: Path, data: Value | None, result: Declarations, root: Path, depth: int = 0) -> None:
    """A template's functions, and those of the nested templates its ``AWS::Serverless::Application``
    / ``AWS::CloudFormation::Stack`` resources name by a local ``Location`` / ``TemplateURL``."""
    resources = _dict(data).get("Resources")
    if resources is None or not isinstance(resources.data, dict):
        return
    shown = _display(path, root)
    for resource in resources.data.values():
        properties = resource.get("Properties")
        if _text(resource.get("Type")) not in NESTED_STACKS or properties is None or depth >= MAX_NESTING:
            continue
        location = _text(properties.get("Location")) or _text(properties.get("TemplateURL"))
        nested = path.parent / location if location and "://" not in location else None
        if nested is None or not nested.is_file():
            continue
        try:
            _read_template(nested, _load(nested), result, root, depth + 1)
        except DeclarationError as error:
            result.warnings.append(_unread(nested, root, error))
    defaults = _dict(data).get("Globals")
    defaults = defaults.get("Function") if defaults is not None else None

    def prop(properties: Value, *keys: str) -> Value | None:
        value = properties.get(*keys)
        return value if value is not None or defaults is None else defaults.get(*keys)

    for resource in resources.data.values():
        kind = _text(resource.get("Type"))
        properties = resource.get("Properties") or Value({}, resource.span)
        if kind not in FUNCTION_TYPES or not isinstance(properties.data, dict):
            continue
        package = prop(properties, "PackageType")
        if _text(package) == "Image":
            _read_image_function(path, resource, properties, result, root)
            continue
        handler = prop(properties, "Handler")
        code_uri = _text(prop(properties, "CodeUri")) or "."
        name = _text(handler)
        if name is None:
            if handler is not None:  # !Sub, !If, !Ref...: a value CloudFormation computes
                why = "a value computed by CloudFormation"
                result.warnings.append(_unmapped(shown, _line(handler), "a `Handler`", why))
            continue
        base = path.parent / code_uri if "://" not in code_uri else path.parent
        _claim(result, _handler_target(base, name), name, shown, _line(handler), root)


def _read_image_function(path: Path, resource: Value, properties: Value, result: Declarations, root: Path) -> None:
    """A SAM image function: ``ImageConfig.Command``, else the CMD of the Dockerfile that
    ``Metadata.DockerContext``/``Dockerfile`` names, relative to the context directory."""
    shown = _display(path, root)
    metadata = resource.get("Metadata")
    context_value = metadata.get("DockerContext") if metadata is not None else None
    context = _text(context_value)
    dockerfile = (_text(metadata.get("Dockerfile")) if metadata is not None else None) or DOCKERFILE
    base = path.parent / context if context and "://" not in context else path.parent
    command = properties.get("ImageConfig", "Command")
    first = _text(command.items()[0]) if command is not None and command.items() else None
    if first:
        result.overridden_dockerfiles.add((base / dockerfile).resolve())
        _claim_image(result, base, first, shown, _line(command), root, base / dockerfile)
        return
    if context and (base / dockerfile).is_file() and _read_dockerfile(base / dockerfile, result, root):
        return
    if base / dockerfile in result.adapter_images:
        return  # a Lambda Web Adapter image: its own warning says what it runs and why it is not mapped
    why = "neither `ImageConfig.Command` nor a Dockerfile CMD in `Metadata.DockerContext` names it"
    if context and "://" not in context and not (base / dockerfile).is_file():
        where = f"`Metadata.DockerContext` `{context}` (line {_line(context_value)})"
        missing = "is not in the project" if not base.is_dir() else f"holds no `{dockerfile}`"
        why = (
            f"{where} {missing}: made by the build? Set `ImageConfig.Command`, or name the handler in"
            " `handlers` in the configuration"
        )
    result.warnings.append(_unmapped(shown, _line(properties.get("PackageType")), "an image function", why))


# ------------------------------------------------------------------------------------- Dockerfiles
_DOCKER_LINE_RE = re.compile(
    r"^[ \t]*(FROM|CMD|COPY|ADD|ENTRYPOINT|WORKDIR)[ \t]+(.+?)[ \t]*$", re.IGNORECASE | re.MULTILINE
)
_TASK_ROOTS = ("${LAMBDA_TASK_ROOT}", "$LAMBDA_TASK_ROOT", "/var/task", ".", "./")


def _docker_words(argument: str) -> list[str]:
    """An instruction's arguments: the JSON form (``["app.handler"]``) or the shell form."""
    if argument.startswith("["):
        try:
            words = json.loads(argument)
        except ValueError:
            return []
        return [word for word in words if isinstance(word, str)] if isinstance(words, list) else []
    return argument.split()


def _image_bases(dockerfile: Path) -> list[Path]:
    """Where a Lambda image's handler modules come from: the directories that ``COPY``/``ADD``
    put into the task root, or hold the files they put there (relative to the build context, the
    Dockerfile's directory), then the context itself."""
    bases: list[Path] = []
    try:
        text = read_text(dockerfile, MAX_SOURCE_BYTES)
    except UnreadableFile:
        text = ""
    workdir = "/var/task"
    for instruction, argument in _DOCKER_LINE_RE.findall(text):
        instruction = instruction.upper()
        if instruction == "WORKDIR":
            workdir = argument.strip()
        elif instruction in ("COPY", "ADD"):
            words = [word for word in _docker_words(argument) if not word.startswith("--")]
            if len(words) < 2:
                continue
            destination = words[-1].rstrip("/") or "/"
            into_root = destination in _TASK_ROOTS or destination.rstrip("/") in ("${LAMBDA_TASK_ROOT}", "/var/task")
            if into_root or (destination in (".", "./") and workdir in _TASK_ROOTS):
                for source in words[:-1]:  # a directory's contents, or a module file, land in the root
                    copied = dockerfile.parent / source
                    bases.append(copied if copied.is_dir() else copied.parent)
    return [*dict.fromkeys([*bases, dockerfile.parent])]


def _claim_image(
    result: Declarations, base: Path, handler: str, shown: str, line: int, root: Path, dockerfile: Path | None = None
) -> bool:
    """An image's ``module.function``, found in the first directory the image copies it from."""
    bases = _image_bases(dockerfile if dockerfile is not None else base / DOCKERFILE)
    if base not in bases:
        bases.append(base)
    for directory in bases:
        target = _handler_target(directory, handler)
        if target is not None and target[0].is_file():
            if dockerfile is not None:
                result.images_mapped.append(dockerfile)
            result.declaring_dirs.add(base.resolve())
            return _claim(result, target, handler, shown, line, root, "the image's command")
    target = _handler_target(base, handler)
    installed = _src_layout_module(bases, handler) if target is not None and not target[0].is_file() else None
    if target is not None and installed is not None:  # ``pip install .`` of a src layout: a package, not a module
        why = (
            f"it names {_display(target[0], root)}, which is not there; {_display(installed, root)} is, in a `src/`"
            " layout the image installs as a package, which pinlint does not map from a Dockerfile"
        )
        result.warnings.append(_unmapped(shown, line, _handler(handler), why))
        return False
    return _claim(result, target, handler, shown, line, root, "the image's command")


def _src_layout_module(bases: list[Path], handler: str) -> Path | None:
    """The handler's module under a ``src/`` directory of one of the image's bases (a src-layout
    project the Dockerfile installs with ``pip install .``), when it is there."""
    for directory in bases:
        target = _handler_target(directory / "src", handler)
        if target is not None and target[0].is_file():
            return target[0]
    return None


def _image_near(declaration: Path, result: Declarations) -> bool:
    """Whether a Lambda image's Dockerfile was mapped in the declaring file's directory or below
    its parent (``terraform/lambda.tf`` beside ``app/Dockerfile``): its image function is then
    probably that one, and is not warned about. A Lambda Web Adapter image there counts too,
    mapped or not: its own warning says what it runs and why it cannot be mapped."""
    near = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(declaration))), "")
    return any(os.path.abspath(dockerfile).startswith(near) for dockerfile in result.images_mapped) or any(
        os.path.abspath(dockerfile).startswith(near) for dockerfile in result.adapter_images
    )


def _read_dockerfile(path: Path, result: Declarations, root: Path) -> bool:
    """A Lambda base image's ``CMD ["module.function"]``, or the app that the web server of a
    Lambda Web Adapter image serves; True when it was mapped."""
    text = _read(path)
    if not LAMBDA_IMAGE_RE.search(text):
        if _installs_web_adapter(text):
            return _read_web_adapter_image(path, text, result, root)
        return False  # not a Lambda image: its CMD is a command line
    commands = [(m.group(2), text.count("\n", 0, m.start()) + 1) for m in _DOCKER_LINE_RE.finditer(text)]
    command = next(((argument, line) for argument, line in reversed(commands) if _is_cmd(text, line)), None)
    if command is None:
        return False
    words = _docker_words(command[0])
    if len(words) != 1 or not re.fullmatch(r"[\w./-]+\.\w+", words[0]):
        return False
    return _claim_image(result, path.parent, words[0], _display(path, root), command[1], root, path)


def _is_cmd(text: str, line: int) -> bool:
    return text.splitlines()[line - 1].lstrip().upper().startswith("CMD")


# The AWS Lambda Web Adapter: an extension (``COPY --from=public.ecr.aws/awsguru/aws-lambda-adapter
# ... /opt/extensions/lambda-adapter``) that starts the image's web server once and turns each
# invocation into an HTTP request: the app the server runs is served on Lambda, like behind Mangum.
WEB_ADAPTER_RE = re.compile(r"aws-lambda-adapter|/opt/extensions/lambda-adapter", re.IGNORECASE)
_ADAPTER_INSTRUCTION_RE = re.compile(r"^[ \t]*(COPY|ADD|ENV)[ \t]+(.+)$", re.IGNORECASE | re.MULTILINE)


def _installs_web_adapter(text: str) -> bool:
    """Whether an instruction (not a ``#`` comment) puts the adapter in the image: a ``COPY``/``ADD``
    from its image or into ``/opt/extensions/lambda-adapter``, or an ``ENV AWS_LWA_*`` setting. A
    ``FROM`` of its image alone installs nothing (a stage that nothing copies from). Continued
    lines (``\\`` at the end) are read as one."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    logical = re.sub(r"\\[ \t]*\n", " ", "\n".join(lines))
    for instruction, argument in _ADAPTER_INSTRUCTION_RE.findall(logical):
        if instruction.upper() == "ENV":
            if re.search(r"\bAWS_LWA_\w+", argument):
                return True
        elif WEB_ADAPTER_RE.search(argument):
            return True
    return False


WEB_SERVERS = frozenset({"uvicorn", "gunicorn", "hypercorn", "daphne", "granian"})
_APP_SPEC_RE = re.compile(r"([A-Za-z_][\w.]*):([A-Za-z_]\w*)(\(\))?")
_WEB_SERVERS_READ = (
    "pinlint reads `uvicorn`, `gunicorn`, `hypercorn`, `daphne` or `granian` `MODULE:APP`, `fastapi run` and"
    " `manage.py runserver`"
)


def _web_adapter_command(text: str) -> tuple[list[str], int] | None:
    """The words of the command a web adapter image runs (its last ``ENTRYPOINT`` in the JSON form
    followed by its last ``CMD``, else the one of them it has; a ``sh -c "..."`` string split too)
    and the line of the ``CMD`` (else the ``ENTRYPOINT``)."""
    found: dict[str, tuple[str, int]] = {}
    for match in _DOCKER_LINE_RE.finditer(text):
        instruction = match.group(1).upper()
        if instruction in ("CMD", "ENTRYPOINT"):
            found[instruction] = (match.group(2), text.count("\n", 0, match.start()) + 1)
    chosen = found.get("CMD") or found.get("ENTRYPOINT")
    if chosen is None:
        return None
    entrypoint = found.get("ENTRYPOINT")
    arguments = _docker_words(chosen[0])
    if entrypoint is not None and "CMD" in found and entrypoint[0].startswith("["):
        arguments = _docker_words(entrypoint[0]) + arguments  # the CMD is the ENTRYPOINT's arguments
    return [word.strip("'\"") for argument in arguments for word in argument.split()], chosen[1]


def _web_bases(dockerfile: Path) -> list[Path]:
    """Where a web adapter image's modules come from: the directories its ``COPY``/``ADD``
    instructions copy from the build context (or hold the files they copy), then the context."""
    try:
        text = read_text(dockerfile, MAX_SOURCE_BYTES)
    except UnreadableFile:
        text = ""
    bases: list[Path] = []
    for instruction, argument in _DOCKER_LINE_RE.findall(text):
        words = _docker_words(argument)
        if instruction.upper() not in ("COPY", "ADD") or any(word.startswith("--from") for word in words):
            continue
        for source in [word for word in words if not word.startswith("--")][:-1]:
            copied = dockerfile.parent / source
            bases.append(copied if copied.is_dir() else copied.parent)
    return [*dict.fromkeys([*bases, dockerfile.parent])]


def _read_web_adapter_image(path: Path, text: str, result: Declarations, root: Path) -> bool:
    """An image whose web server the Lambda Web Adapter runs: ``uvicorn main:app`` (the app
    ``app`` of main.py is declared), ``gunicorn 'app:create_app()'`` (the app the factory returns),
    ``python manage.py runserver`` (the Django project of that manage.py). A command it cannot map
    is a warning that says why; True when it was mapped."""
    shown = _display(path, root)
    result.adapter_images.append(path)
    command = _web_adapter_command(text)
    if command is None:
        why = "the image runs a web server behind the Lambda Web Adapter, and has no CMD or ENTRYPOINT"
        result.warnings.append(_unmapped(shown, 0, "the app the Lambda Web Adapter serves", why))
        return False
    words, line = command
    if not words:
        why = "the image runs a web server behind the Lambda Web Adapter, and its command is empty or not valid JSON"
        result.warnings.append(_unmapped(shown, line, "the app the Lambda Web Adapter serves", why))
        return False
    shown_command = " ".join(words)[:80]
    what = f"the app the Lambda Web Adapter serves (`{shown_command}`)"
    behind = f"the image runs `{shown_command}` behind the Lambda Web Adapter"
    bases = _web_bases(path)
    server = next((index for index, word in enumerate(words) if os.path.basename(word) in WEB_SERVERS), None)
    spec = next((m for word in words[server:] if (m := _APP_SPEC_RE.fullmatch(word.strip("'\""))) is not None), None)
    if server is not None and spec is not None:
        module, name, factory = spec.groups()
        parts = module.split(".")
        for base in bases:
            for candidate in (base.joinpath(*parts).with_suffix(".py"), base.joinpath(*parts, "__init__.py")):
                if candidate.is_file():
                    result.add(candidate, Declaration(name + (factory or ""), shown, line, what))
                    result.images_mapped.append(path)
                    result.declaring_dirs.add(path.parent.resolve())
                    return True
        why = f"{behind}, and `{module}` is not in the directories it copies"
    elif "fastapi" in (os.path.basename(word) for word in words) and "run" in words:
        for candidate in (base / module for base in bases for module in _fastapi_modules(words)):
            if candidate.is_file():
                result.add(candidate, Declaration(_fastapi_app(words, candidate), shown, line, what))
                result.images_mapped.append(path)
                result.declaring_dirs.add(path.parent.resolve())
                return True
        why = f"{behind}, and the module it names is not in the directories it copies"
    elif "manage.py" in (os.path.basename(word) for word in words) and "runserver" in words:
        manage = next(word for word in words if os.path.basename(word) == "manage.py")
        for base in bases:
            settings = _manage_settings(base / manage)
            if settings:
                served_by = f"served on Lambda by the Lambda Web Adapter, {path.name} line {line}"
                _declare_django(settings, base / manage, result, root, served_by)
                result.images_mapped.append(path)
                result.declaring_dirs.add(path.parent.resolve())
                return True
        why = f"{behind}, and no manage.py it copies sets `DJANGO_SETTINGS_MODULE`"
    else:
        why = f"{behind}; {_WEB_SERVERS_READ}"
    result.warnings.append(_unmapped(shown, line, "the app the Lambda Web Adapter serves", why))
    return False


_FASTAPI_VALUED = frozenset({"--host", "--port", "--app", "--workers", "--root-path", "--entrypoint", "--log-level"})
_FASTAPI_DEFAULTS = ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py")


def _fastapi_modules(words: list[str]) -> list[str]:
    """The module ``fastapi run [PATH]`` runs: its path (a package's ``__init__.py`` or ``main.py``
    for a directory), else the files the FastAPI CLI looks for."""
    rest = words[words.index("run") + 1 :]
    given = [
        word
        for at, word in enumerate(rest)
        if not word.startswith("-") and (not at or rest[at - 1] not in _FASTAPI_VALUED)
    ]
    if not given:
        return list(_FASTAPI_DEFAULTS)
    if given[0].endswith(".py"):
        return [given[0]]
    return [f"{given[0].rstrip('/')}/main.py", f"{given[0].rstrip('/')}/__init__.py"]


def _fastapi_app(words: list[str], module: Path) -> str:
    """The app ``fastapi run`` serves: ``--app NAME``, else ``app``, else ``api`` (as its CLI looks)."""
    rest = words[words.index("run") + 1 :]
    if "--app" in rest[:-1]:
        return rest[rest.index("--app") + 1]
    try:
        text = read_text(module, MAX_SOURCE_BYTES)
    except UnreadableFile:
        return "app"
    return (
        "api"
        if re.search(r"^api\s*=", text, re.MULTILINE) and not re.search(r"^app\s*=", text, re.MULTILINE)
        else "app"
    )


def _manage_settings(manage: Path) -> str:
    """The settings module a Django ``manage.py`` sets by default, or ''."""
    from pinlint.extract.routes import django_settings_default

    model = _python_model(manage) if manage.is_file() else None
    return django_settings_default(model) if model is not None else ""


# ------------------------------------------------------------------------------------------- Zappa
def _read_zappa(path: Path, data: Value | None, result: Declarations, root: Path) -> None:
    """Each stage's ``app_function`` (a WSGI app), ``django_settings`` (followed to the function
    views of its URLconf) and ``events[].function`` handlers."""
    shown = _display(path, root)
    for stage in _dict(data).values():
        app = stage.get("app_function")
        name = _text(app)
        if name:
            what = "the WSGI app Zappa serves (`app_function`)"
            _claim(result, _handler_target(path.parent, name), name, shown, _line(app), root, what)
        django = _text(stage.get("django_settings"))
        if django:
            _declare_django(django, path, result, root)
        events = stage.get("events")
        for event in events.items() if events is not None else []:
            function = event.get("function")
            handler = _text(function)
            if handler:
                _claim(result, _handler_target(path.parent, handler), handler, shown, _line(function), root)


def _from_config(entries: tuple[str, ...], config_root: Path, result: Declarations, origin: str) -> None:
    for entry in entries:
        file, _, function = entry.rpartition(":")
        if file and function:
            result.add(config_root / file, Declaration(function, origin))


CDK_FUNCTIONS = (
    "aws_lambda.Function",
    "aws_cdk.aws_lambda.Function",
    "aws_lambda_python_alpha.PythonFunction",
    "aws_cdk.aws_lambda_python_alpha.PythonFunction",
)
TERRAFORM_SKIP = (".terraform", ".git", "node_modules", ".venv", "venv", "__pycache__")


def _cdk_root(path: Path) -> Path:
    """The CDK app directory (where cdk.json is), against which asset paths resolve."""
    directory = path.resolve().parent
    app = nearest_ancestor(directory, ("cdk.json",), holds=Path.is_file)
    return directory if app is None else app


def _keyword_strings(call: ast.Call) -> dict[str, tuple[str, int]]:
    found = {}
    for keyword in call.keywords:
        if keyword.arg and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
            found[keyword.arg] = (keyword.value.value, keyword.value.lineno)
        elif keyword.arg == "code" and isinstance(keyword.value, ast.Call):
            inner = keyword.value
            is_asset = isinstance(inner.func, ast.Attribute) and inner.func.attr == "from_asset"
            first = inner.args[0] if inner.args else None
            if is_asset and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found["code"] = (first.value, first.lineno)
    return found


def _read_cdk(path: Path, result: Declarations, root: Path) -> None:
    """``aws_lambda.Function(handler="index.handler", code=Code.from_asset("dir"))`` and
    ``PythonFunction(entry="dir", index="index.py", handler="handler")`` in a CDK app."""
    try:
        model = parse_python(read_text(path, MAX_SOURCE_BYTES))
    except (UnreadableFile, ParseError):
        return  # the file is linted too: its problem is reported there
    shown = _display(path, root)
    base = _cdk_root(path)
    for node in ast.walk(model.tree):
        if not isinstance(node, ast.Call):
            continue
        qualified = model.qualify(node.func)
        name = qualified.removeprefix("aws_cdk.")
        if not any(name.endswith(target.removeprefix("aws_cdk.")) for target in CDK_FUNCTIONS):
            continue
        values = _keyword_strings(node)
        if name.endswith("PythonFunction"):
            if "entry" not in values:
                why = "`entry` is not a string literal"
                result.warnings.append(_unmapped(shown, node.lineno, f"the handler of `{name}`", why))
                continue
            entry = base / values["entry"][0]
            index = values.get("index", ("index.py", 0))[0]
            handler, line = values.get("handler", ("handler", node.lineno))
            result.add(entry / index, Declaration(handler, shown, line or node.lineno))
        elif "handler" in values and "code" in values:
            handler, line = values["handler"]
            _claim(result, _handler_target(base / values["code"][0], handler), handler, shown, line, root)
        else:
            why = "`handler` is not a string literal" if "handler" not in values else _unread_code(node)
            result.warnings.append(_unmapped(shown, node.lineno, f"the handler of `{name}`", why))


def _unread_code(call: ast.Call) -> str:
    """Why a CDK function's ``code=`` names no source directory pinlint can read."""
    code = next((keyword.value for keyword in call.keywords if keyword.arg == "code"), None)
    if isinstance(code, ast.Call) and isinstance(code.func, ast.Attribute) and code.func.attr != "from_asset":
        return f'`code` is `Code.{code.func.attr}(...)`, not `Code.from_asset("dir")`'
    return '`code` is not `Code.from_asset("dir")` with a string literal'


# --------------------------------------------------------------------------------------- Terraform
def _tf_text(value: Value | None) -> str | None:
    """A Terraform string's text with ``${path.module}``/``${path.root}`` put in; None for any
    other expression or interpolation."""
    if value is None:
        return None
    if isinstance(value.data, str):
        text = value.data
    elif isinstance(value.data, Unknown) and value.data.text.startswith('"'):
        text = value.data.text.strip('"')
    else:
        return None
    text = text.replace("${path.module}", ".").replace("${path.root}", ".")  # joined to ``directory`` by the caller
    return None if "${" in text or "%{" in text else text


def _substitute(value: Value | None, each: tuple[str, Value] | None, inputs: dict[str, Value]) -> Value | None:
    """``each.value.handler`` / ``each.key`` under one ``for_each`` entry, and ``var.x`` from a
    module call's inputs (which win over the variable's default, already put in by the reader)."""
    if value is None:
        return value
    if value.origin.startswith("var."):
        name = value.origin.split(",", 1)[0].removeprefix("var.")
        if name in inputs:
            return inputs[name]
    if not isinstance(value.data, Ref):
        return value
    ref = value.data
    if ref.target == "var" and ref.attribute in inputs:
        return inputs[ref.attribute]
    if each is not None and ref.target == "each.key":
        return Value(each[0], value.span)
    if each is not None and ref.target == "each.value":
        found = each[1].get(*ref.attribute.split(".")) if ref.attribute else each[1]
        return Value(found.data, value.span) if found is not None else None
    return value


def _for_each(resource_properties: Value) -> list[tuple[str, Value]] | None:
    """The entries of a literal ``for_each`` map or set (after locals and variable defaults),
    None when the resource has no ``for_each``, [] when its value cannot be read."""
    value = resource_properties.get("for_each")
    if value is None:
        return None
    if isinstance(value.data, dict):
        return list(value.data.items())
    if isinstance(value.data, list):
        return [(str(item.data), item) for item in value.data if isinstance(item.data, str)]
    return []


def _code_directories(properties: Value, by_name: dict[str, Value], directory: Path) -> tuple[list[Path], bool]:
    """Where a function's code is, and whether that was read (True) or guessed (False): the
    ``archive_file``'s ``source_dir``/``source_file``, a zip ``filename`` (its modules are read
    beside it), else the module's directory and its subdirectories."""
    filename = properties.get("filename")
    archived = [
        value.data.target
        for value in (filename, properties.get("source_code_hash"))  # with s3_key, the hash names the archive
        if value is not None and isinstance(value.data, Ref) and value.data.target.startswith("data.archive_file.")
    ]
    if archived and archived[0] in by_name:
        archive = by_name[archived[0]]
        source_dir = _tf_text(archive.get("source_dir"))
        if source_dir:
            return [directory / source_dir], True
        source_file = _tf_text(archive.get("source_file"))
        if source_file:
            return [(directory / source_file).parent], True
    zip_file = _tf_text(filename)
    if zip_file:
        return [directory / zip_file], True
    try:
        subdirectories = sorted(entry for entry in directory.iterdir() if entry.is_dir() and entry.name[0] != ".")
    except OSError:
        subdirectories = []
    return [directory, *subdirectories], False


_TF_DECLARES_RE = re.compile(r'resource\s+"aws_lambda_function"|^\s*module\s+"', re.MULTILINE)
_TF_MODULE_SOURCE_RE = re.compile(r'^\s*source\s*=\s*"((?:\$\{path\.module\}/|\.{1,2}/)[^"]*)"', re.MULTILINE)
MAX_NAMED_FILES = (
    64  # a run on up to this many files that did not walk the project parses only the Terraform naming one
)


def _terraform_modules(files: list[Path], linted: list[Path] | None) -> dict[Path, list[Document]]:
    """The Terraform modules (directories of ``.tf``) that declare Lambda functions or call
    modules, each read whole by pinlint.infra's reader. With ``linted`` (a run on a few files
    that did not walk the project: pre-commit), a module is parsed only when its text names one of
    them (a module or directory name), or when it calls or is called by such a module: the
    others cannot declare a handler there."""
    from pinlint.infra.terraform import read_module

    texts: dict[Path, dict[str, str]] = {}
    for path in files:
        texts.setdefault(path.parent, {})[str(path)] = _read(path)
    declaring = {
        directory for directory, sources in texts.items() if any(map(_TF_DECLARES_RE.search, sources.values()))
    }
    if linted:
        modules = sorted({path.stem for path in linted})  # in a handler: `app.run`, `handlers/app.run`
        folders = sorted({path.resolve().parent.name for path in linted})  # in a code path: `"${path.module}/src"`
        mentions = re.compile(
            r"\b(?:" + "|".join(map(re.escape, modules)) + r")\.\w"
            r"|[/\"](?:" + "|".join(map(re.escape, folders)) + r')[/"]'
        )
        calls = {
            (directory, Path(os.path.normpath(directory / source.replace("${path.module}/", "./"))))
            for directory in declaring
            for text in texts[directory].values()
            for source in _TF_MODULE_SOURCE_RE.findall(text)
        }
        kept = {d for d in declaring if any(map(mentions.search, texts[d].values()))}
        while True:  # the modules a kept one calls, and the ones that call it (they pass its inputs)
            linked = {b for a, b in calls if a in kept} | {a for a, b in calls if b in kept}
            if linked <= kept:
                break
            kept |= linked
        declaring &= kept
    return {directory: _read_module(read_module, texts[directory]) for directory in sorted(declaring)}


TERRAFORM_KINDS = frozenset({"aws_lambda_function", "data.archive_file", "module"})  # what declarations read


def _read_module(reader: Callable[..., list[Document]], sources: dict[str, str]) -> list[Document]:
    documents: list[Document] = _parse(lambda: reader(sources, kinds=TERRAFORM_KINDS))
    return documents


def _read_terraform(files: list[Path], linted: list[Path] | None, result: Declarations, root: Path) -> None:
    """``aws_lambda_function`` resources with a literal ``handler``, one per ``for_each`` entry of
    a literal map (``each.value.handler``), or a ``var.`` that a module call in the tree passes
    (``module "fn" { source = "./modules/fn"; handler = "app.handler" }``). A handler that is
    another expression, an image function, or one whose module file is not there is a warning and
    claims nothing; a mapped one claims its code directory (where the convention is then off)."""
    modules = _terraform_modules(files, linted)
    callers: dict[Path, list[dict[str, Value]]] = {}
    for directory, documents in modules.items():
        for document in documents:
            for resource in document.resources:
                source = _tf_text(resource.properties.get("source")) if resource.kind == "module" else None
                if source and (source.startswith(("./", "../")) or os.path.isabs(source)):
                    inputs = _dict(resource.properties)
                    callers.setdefault(Path(os.path.normpath(directory / source)), []).append(inputs)
    for directory, documents in modules.items():
        for document in documents:
            if document.error:
                error = DeclarationError(document.error.removesuffix("; skipped"))
                result.warnings.append(_unread(Path(document.path), root, error))
        by_name = {resource.name: resource.properties for document in documents for resource in document.resources}
        for document in documents:
            for resource in document.resources:
                if resource.kind == "aws_lambda_function":
                    contexts = callers.get(Path(os.path.normpath(directory)), [{}])
                    _terraform_function(Path(document.path), resource.properties, by_name, contexts, result, root)


def _terraform_function(
    path: Path,
    properties: Value,
    by_name: dict[str, Value],
    contexts: list[dict[str, Value]],
    result: Declarations,
    root: Path,
) -> None:
    shown = _display(path, root)
    directory = path.parent
    raw = properties.get("handler")
    if raw is None:
        if _text(properties.get("package_type")) == "Image":
            why = "its handler is the image's CMD, and no Lambda base image's Dockerfile declares one"
            result.image_warnings.append((path, _unmapped(shown, properties.span.line, "an image function", why)))
        return
    entries: list[tuple[str, Value] | None] = [*(_for_each(properties) or [])] or [None]
    handlers: dict[str, str] = {}  # handler -> where its value came from, when not from the resource itself
    for inputs in contexts:
        for each in entries:
            value = _substitute(raw, each, inputs)
            handler = _tf_text(value)
            if handler is None or value is None:
                continue
            elsewhere = value.span.path != raw.span.path or value.span.line != raw.span.line
            where = f"given in {_display(Path(value.span.path), root)} line {value.span.line}"
            handlers.setdefault(handler, where if elsewhere else "")
    if not handlers:
        source = raw.data.text if isinstance(raw.data, Unknown) else _ref_text(raw)
        why = "an expression, not a string: only literal `for_each` maps and module inputs are followed"
        result.warnings.append(_unmapped(shown, _line(raw), _handler(source), why))
    for handler, given in handlers.items():
        _claim_terraform(result, handler, properties, by_name, directory, shown, _line(raw), root, given)


def _ref_text(value: Value) -> str:
    if isinstance(value.data, Ref):
        return ".".join(part for part in (value.data.target, value.data.attribute) if part)
    return str(value.data)


def _claim_terraform(
    result: Declarations,
    handler: str,
    properties: Value,
    by_name: dict[str, Value],
    directory: Path,
    shown: str,
    line: int,
    root: Path,
    given: str = "",
) -> bool:
    code_dirs, read = _code_directories(properties, by_name, directory)
    target = None
    for code_dir in code_dirs:
        candidate = _handler_target(code_dir, handler)
        if candidate is not None and _beside_zip(candidate)[0].is_file():
            target = candidate
            break
    if target is None:
        return _claim(result, _handler_target(code_dirs[0], handler), handler, shown, line, root)
    code = code_dirs_of(target, handler)
    guessed = "" if read or code == directory else f"its code directory guessed as {_display(code, root)}"
    note = "; ".join(part for part in (given, guessed) if part)
    mapped = _claim(result, target, handler, shown, line, root, note=note)
    if mapped:
        result.declaring_dirs.add(code_dirs_of(_beside_zip(target), handler).resolve())
    return mapped


def code_dirs_of(target: tuple[Path, str], handler: str) -> Path:
    """The code directory a handler's module path is relative to (``handlers.get.run`` in
    ``src/handlers/get.py`` -> ``src``)."""
    code = target[0].parent
    module = handler.rpartition(".")[0]
    for _ in range(module.count("/") if "/" in module else module.count(".")):
        code = code.parent
    return code


# ------------------------------------------------------------------ objects served from other modules


MAX_IMPORT_LEVELS = 4  # an absolute import is looked for from the importer's directory and this many above


def _module_file(importer: Path, module: str, level: int) -> Path | None:
    """The project file of ``module`` imported from ``importer``: relative to its package for a
    relative import, else from the importer's directory or one of the few above it."""
    parts = [part for part in module.split(".") if part]
    if level:
        base = importer.parent
        for _ in range(level - 1):
            base = base.parent
        bases = [base]
    else:
        bases = [importer.parent, *list(importer.parent.parents)[:MAX_IMPORT_LEVELS]]
    for base in bases:
        for candidate in (base.joinpath(*parts).with_suffix(".py"), base.joinpath(*parts, "__init__.py")):
            if parts and candidate.is_file():
                return candidate
    return None


def _python_model(path: Path, words: re.Pattern[bytes] | None = None) -> PythonModule | None:
    """A project module's model, or None when it cannot be read (the linter reports it) or its
    text lacks ``words``."""
    try:
        data = read_bytes(path, MAX_SOURCE_BYTES)
        if words is not None and not words.search(data):
            return None
        return parse_python(data.decode("utf-8"))
    except (UnreadableFile, ParseError, UnicodeDecodeError, ValueError):
        return None


def _declare_django(settings: str, importer: Path, result: Declarations, root: Path, served_by: str = "") -> None:
    """Django's views, from the settings module's ``ROOT_URLCONF`` through its ``urlpatterns`` and
    the URLconfs they ``include()``: functions, and classes (``Detail.as_view()``, DRF ViewSets).
    ``served_by`` says what serves the settings on Lambda (else the module ``importer``)."""
    from pinlint.extract.routes import django_routes, root_urlconf

    settings_file = _module_file(importer, settings, 0)
    if settings_file is not None:  # its DATABASES are a Lambda's (the django-database rules)
        here = os.path.abspath(settings_file)
        project = nearest_ancestor(os.path.dirname(here), ("manage.py", ".git"), levels=MAX_LEVELS_UP) or root
        served = served_by or f"served on Lambda by {_display(importer, project)}"  # the same from any run root
        result.lambda_settings.setdefault(here, served)
    model = _python_model(settings_file) if settings_file is not None else None
    conf = root_urlconf(model) if model is not None and settings_file is not None else None
    if conf is None or settings_file is None:
        return
    pending = [(conf[0], settings_file)]
    seen: set[Path] = set()
    while pending and len(seen) < 32:
        module, importer_file = pending.pop()
        urls = _module_file(importer_file, module, 0)
        if urls is None or urls in seen:
            continue
        seen.add(urls)
        urlconf = _python_model(urls)
        for route in django_routes(urlconf) if urlconf is not None else []:
            if not route.name:
                pending.append((route.module, urls))
                continue
            views = _module_file(urls, route.module, route.level)
            if views is not None:
                what = "a Django view in `urlpatterns`"
                result.add(views, Declaration(route.name, _display(urls, root), route.line, what))


_SERVING_WORDS = re.compile(
    rb"Mangum|handle_request|awsgi|make_lambda_handler|include_router|register_blueprint|add_resource|add_url_rule|get_[wa]sgi_application"
    rb"|^\w+[ \t]*=[ \t]*[\w.]+\(",  # `app = create_app()`: an application factory's app
    re.MULTILINE,
)


# Modules named like a Lambda entry point: read (for an adapter call) even when nothing declares them.
ENTRY_MODULES = frozenset(
    {"wsgi.py", "wsgi_handler.py", "asgi.py", "handler.py", "handlers.py", "lambda_function.py", "lambda_handler.py"}
    | {"main.py", "app.py", "application.py", "serverless.py"}
)
_ADAPTER_WORDS = re.compile(rb"Mangum|handle_request|awsgi|make_lambda_handler")


_CONVENTION_ADAPTER_RE = re.compile(rb"def[ \t]+(?:lambda_)?handler[ \t]*\(")


# ``Cache.noted``: a yes/no question of a file's bytes, answered from the last run while the file is unchanged
FileNote = Callable[[Path, Callable[[bytes], bool]], "bool | None"]


def _adapts_in_a_convention_handler(data: bytes) -> bool:
    """Whether a module's text defines a convention handler and names a Lambda adapter."""
    return b"handler" in data and bool(_CONVENTION_ADAPTER_RE.search(data) and _ADAPTER_WORDS.search(data))


def _read_and_test(file: Path, test: Callable[[bytes], bool]) -> bool | None:
    try:
        return test(read_bytes(file, MAX_SOURCE_BYTES))
    except UnreadableFile:
        return None


def _convention_adapters(result: Declarations, files: list[Path], noted: FileNote | None = None) -> list[str]:
    """The top-level modules of ``files`` (not in a package), not named like an entry point, that
    no declaration covers and that define a ``handler(event, context)`` of the convention and name
    a Lambda adapter
    (``def handler(event, context): return serverless_wsgi.handle_request(app, ...)``): the
    convention makes them handlers, so the app they adapt is served."""
    found = []
    packages: dict[str, bool] = {}
    for file in files:
        name = str(file)  # (string operations: this loop sees every file of the run)
        if not name.endswith(".py") or os.path.basename(name) in ENTRY_MODULES:
            continue
        directory = os.path.dirname(name)
        if directory not in packages:
            packages[directory] = os.path.isfile(os.path.join(directory, "__init__.py"))
        if packages[directory] or result.covers(file) or result.for_file(file):
            continue  # a Lambda runs a top-level module of its code directory, not one inside a package
        if (noted or _read_and_test)(file, _adapts_in_a_convention_handler):
            found.append(os.path.abspath(file))
    return found


def _follow_served(result: Declarations, root: Path, files: list[Path], noted: FileNote | None = None) -> None:
    """Declare, where they are defined, the framework objects that a declared module serves but
    imports (``from main import app`` then ``Mangum(app)``; ``app.include_router(items.router)``),
    and the views of a Django application it serves. A module of ``files`` named like an entry
    point (``wsgi.py``, ``main.py``...) that nothing declares is followed too when it calls a
    Lambda adapter (it serves its app on Lambda whatever declares its handler)."""
    from pinlint.extract.routes import calls_an_adapter, django_settings, served_elsewhere

    done: set[str] = set()
    entry_points = [os.path.abspath(file) for file in files if file.name in ENTRY_MODULES]
    entry_points += _convention_adapters(result, files, noted)
    for _ in range(MAX_FOLLOWED):
        pending = [file for file in (*result.by_file, *entry_points) if file not in done]
        if not pending:
            return
        for file in pending:
            done.add(file)
            path = Path(file)
            declared_here = file in result.by_file
            model = _python_model(path, _SERVING_WORDS if declared_here else _ADAPTER_WORDS)
            if model is None or not (declared_here or calls_an_adapter(model)):
                continue
            declared, _ = result.policy(path)
            shown = _display(path, root)
            for served in served_elsewhere(model, declared):
                target = _module_file(path, served.module, served.level)
                if target is not None:
                    result.add(target, Declaration(served.name, shown, served.line, served.why))
            settings = django_settings(model)
            if settings:
                _declare_django(settings, path, result, root)


def _project_root(directories: set[str], fallback: Path) -> Path:
    """The repository holding ``directories`` (nearest ``.git`` above them), else their common directory."""
    if not directories:
        return fallback
    try:
        base = Path(os.path.commonpath(sorted(directories)))
    except ValueError:
        return fallback
    repository = nearest_ancestor(base, (".git",))
    return base if repository is None else repository


def _terraform_files(root: Path, max_depth: int = 6) -> list[Path]:
    """The ``.tf`` files below ``root``: the walk a run needs when discovery did not walk the
    project root (a pre-commit run on one file, a run on a subdirectory)."""

    def enter(name: str, depth: int) -> bool:
        return depth <= max_depth and name not in TERRAFORM_SKIP

    return sorted(Path(file.path) for file in files_below(str(root), enter) if file.name.endswith(".tf"))


def _unread(path: Path, root: Path, error: DeclarationError) -> str:
    return f"{_display(path, root)}: cannot read handler declarations ({error}); skipped"


def _walked(project: Path, walked: Sequence[str]) -> bool:
    """Whether discovery walked ``project`` whole (a directory at or above it was among the paths)."""
    here = os.path.join(os.path.abspath(project), "")
    return any(here.startswith(os.path.join(os.path.abspath(path), "")) for path in walked if os.path.isdir(path))


def find_declarations(
    files: list[Path],
    root: Path,
    configured: tuple[str, ...] = (),
    origin: str = "",
    infrastructure: Sequence[Path] = (),
    walked: Sequence[str] = (),
    noted: FileNote | None = None,
) -> Declarations:
    """Declarations that cover ``files``: declaration files in their directories or above, and
    Terraform anywhere in their project. ``infrastructure`` is what discovery found in the
    directories ``walked``: when those include the project root, its ``.tf`` files are used and
    the project is not walked again (a run on one file still walks it). ``noted`` answers the
    questions asked of every file's text from the cache when the file is unchanged."""
    result = Declarations()
    seen: set[str] = set()
    cdk_apps: set[str] = set()
    dockerfiles: list[Path] = []
    file_directories = {os.path.dirname(os.path.abspath(file)) for file in files}
    readers = {
        **dict.fromkeys(SERVERLESS_FILES, _read_serverless),
        **dict.fromkeys(TEMPLATE_FILES, _read_template),
        **dict.fromkeys(ZAPPA_FILES, _read_zappa),
    }
    for start in sorted(file_directories):
        for above in ancestors(start, levels=MAX_LEVELS_UP, stop_at=".git"):
            directory = str(above)
            if directory in seen:
                break
            seen.add(directory)
            if os.path.isfile(os.path.join(directory, "cdk.json")):
                cdk_apps.add(os.path.join(directory, ""))
            if os.path.isfile(os.path.join(directory, DOCKERFILE)):
                dockerfiles.append(Path(directory, DOCKERFILE))
            for name, reader in readers.items():
                candidate = Path(directory, name)
                if not os.path.lexists(candidate) or os.path.isdir(candidate):
                    continue
                before = result.count()
                try:
                    reader(candidate, _load(candidate), result, root)
                except DeclarationError as error:
                    result.warnings.append(_unread(candidate, root, error))
                    continue
                if result.count() > before:
                    result.declaring_dirs.add(Path(directory))
    for dockerfile in dockerfiles:  # after the templates, whose `ImageConfig.Command` overrides a CMD
        if dockerfile.resolve() in result.overridden_dockerfiles:
            continue
        try:
            _read_dockerfile(dockerfile, result, root)
        except DeclarationError as error:
            result.warnings.append(_unread(dockerfile, root, error))
    for candidate in files:
        if candidate.suffix != ".py" or not any(os.path.abspath(candidate).startswith(app) for app in cdk_apps):
            continue  # CDK stacks live in a CDK app: a directory with cdk.json
        try:
            head = read_bytes(candidate, MAX_SOURCE_BYTES)
        except UnreadableFile:
            continue  # the linter reports it
        if b"aws_lambda" in head and (b"Function(" in head):
            before = len(result.by_file)
            _read_cdk(candidate, result, root)
            if len(result.by_file) > before:
                result.declaring_dirs.add(_cdk_root(candidate))
    project = _project_root(file_directories, root)
    named: list[Path] | None = None  # the files whose names select the Terraform to parse, if any
    if _walked(project, walked):
        terraform = [path for path in infrastructure if path.suffix == ".tf"]
    else:
        terraform = _terraform_files(project)
        named = files if len(files) <= MAX_NAMED_FILES else None
    try:
        _read_terraform(terraform, named, result, root)
    except DeclarationError as error:
        result.warnings.append(f"Terraform: cannot read handler declarations ({error}); skipped")
    result.warnings.extend(warning for path, warning in result.image_warnings if not _image_near(path, result))
    _from_config(configured, root, result, origin or "config `handlers`")
    _follow_served(result, root, files, noted)
    return result
