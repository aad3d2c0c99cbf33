"""Which Python functions are Lambda handlers, from what the project declares.

Read here (never executed): Serverless Framework ``serverless.yml``/``.yaml``
(``functions.*.handler``), AWS SAM / CloudFormation templates (``template.yaml``/``.yml``/
``.json``: ``AWS::Serverless::Function`` and ``AWS::Lambda::Function`` with ``Handler`` and
``CodeUri``, ``Globals.Function``), and ``handlers = ["path/mod.py:func"]`` in the config.
Functions found in the Python code itself (Chalice decorators, the ``lambda_handler``
convention) are the extractor's business; this module only says whether a file is covered
by some declaration, so that the convention applies only where nothing is declared.

A declared handler that cannot be mapped to a Python file of the project (an expression, a
variable, an image function, a module that is not there) is a one-line warning naming its file
and line, and claims nothing: the convention stays on around it.

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pinlint.files import MAX_SOURCE_BYTES, UnreadableFile, read_bytes, read_text
from pinlint.paths import ancestors, nearest_ancestor
from pinlint.pymodel import ParseError, parse_python

SERVERLESS_FILES = ("serverless.yml", "serverless.yaml")
TEMPLATE_FILES = ("template.yaml", "template.yml", "template.json")
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
MAX_LEVELS_UP = 8


@dataclass(frozen=True)
class Declaration:
    """Why a function is a handler: ``serverless.yml line 12``, ``template.yaml line 30``..."""

    function: str
    source: str  # the declaring file, as shown to the user
    line: int = 0

    @property
    def reason(self) -> str:
        return f"declared in {self.source} line {self.line}" if self.line else f"declared in {self.source}"


@dataclass
class Declarations:
    """Handlers per Python file (resolved paths), and the directories some declaration covers."""

    by_file: dict[str, list[Declaration]] = field(default_factory=dict)  # absolute, normalized paths
    declaring_dirs: set[Path] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def for_file(self, path: Path) -> list[Declaration]:
        return self.by_file.get(os.path.abspath(path), [])

    def covers(self, path: Path) -> bool:
        """True when a declaration file sits in this file's directory or one above it."""
        absolute = os.path.abspath(path)
        return any(absolute.startswith(os.path.join(os.path.abspath(d), "")) for d in self.declaring_dirs)

    def add(self, path: Path, declaration: Declaration) -> None:
        self.by_file.setdefault(os.path.abspath(path), []).append(declaration)

    def policy(self, path: Path) -> tuple[dict[str, str], bool]:
        """The handler policy for the module ``path``: the functions declared there (function ->
        why), and whether the ``lambda_handler(event, context)`` convention applies to it (nothing
        declares a handler in it and no declaration covers its directory)."""
        declared = {declaration.function: declaration.reason for declaration in self.for_file(path)}
        return declared, not declared and not self.covers(path)


class _Line(str):
    """A string value that remembers its 1-based line in the YAML file."""

    line: int = 0


@lru_cache(maxsize=1)
def _yaml_loader() -> Any:
    """A SafeLoader that records line numbers and accepts CloudFormation short-form tags
    (``!Ref``, ``!Sub``, ``!GetAtt``, ``!If``...). PyYAML is imported only when a file needs it."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def any_tag(loader: Any, suffix: str, node: Any) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_mapping(node, deep=True)

    def scalar_with_line(loader: Any, node: Any) -> Any:
        marked = _Line(loader.construct_scalar(node))
        marked.line = node.start_mark.line + 1
        return marked

    Loader.add_multi_constructor("!", any_tag)
    Loader.add_constructor("tag:yaml.org,2002:str", scalar_with_line)
    return Loader


def _line(value: Any) -> int:
    return getattr(value, "line", 0)


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
    result: Declarations, target: tuple[Path, str] | None, handler: str, shown: str, line: int, root: Path
) -> bool:
    """Record the declaration of ``handler`` (a ``module.function`` mapped to ``target``), or warn
    when it maps to no Python file of the project; True when it was recorded."""
    if target is None:
        result.warnings.append(_unmapped(shown, line, _handler(handler), "not `module.function`"))
        return False
    target = _beside_zip(target)
    if not target[0].is_file():
        missing = _display(target[0], root)
        result.warnings.append(_unmapped(shown, line, _handler(handler), f"it names {missing}, which is not there"))
        return False
    result.add(target[0], Declaration(target[1], shown, line))
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


def _display(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it is below it (the file itself may be a symlink)."""
    for shown, base in ((Path(os.path.abspath(path)), Path(os.path.abspath(root))), (path.resolve(), root.resolve())):
        try:
            return shown.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.as_posix()


class DeclarationError(Exception):
    """A declaration file that cannot be read or parsed; ``str()`` says why in one line."""


def _parse(path: Path, text: str, parser: Any) -> Any:
    """``parser(text)``, with every failure turned into a DeclarationError (the parsers are
    third-party code reading files nobody checked)."""
    try:
        return parser(text)
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


def _load(path: Path) -> Any:
    text = _read(path)
    if path.suffix == ".json":
        return _parse(path, text, json.loads)
    import yaml

    return _parse(path, text, lambda text: yaml.load(text, Loader=_yaml_loader()))


def _read_serverless(path: Path, data: Any, result: Declarations, root: Path) -> None:
    functions = data.get("functions") if isinstance(data, dict) else None
    if not isinstance(functions, dict):
        return
    shown = _display(path, root)
    for spec in functions.values():
        handler = spec.get("handler") if isinstance(spec, dict) else None
        if isinstance(spec, dict) and handler is None and isinstance(spec.get("image"), str | dict):
            line = _line(spec["image"]) if isinstance(spec["image"], str) else 0
            why = "its handler is the image's CMD, which pinlint does not read"
            result.warnings.append(_unmapped(shown, line, "an image function", why))
            continue
        if not isinstance(handler, str):
            continue
        if "${" in handler:
            result.warnings.append(_unmapped(shown, _line(handler), _handler(handler), "a `${...}` variable"))
            continue
        _claim(result, _handler_target(path.parent, handler), handler, shown, _line(handler), root)


def _read_template(path: Path, data: Any, result: Declarations, root: Path) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        return
    shown = _display(path, root)
    globals_ = data.get("Globals", {})
    defaults = globals_.get("Function", {}) if isinstance(globals_, dict) else {}
    defaults = defaults if isinstance(defaults, dict) else {}
    for resource in data["Resources"].values():
        if not isinstance(resource, dict) or resource.get("Type") not in FUNCTION_TYPES:
            continue
        properties = resource.get("Properties") or {}
        if not isinstance(properties, dict):
            continue
        if properties.get("PackageType") == "Image":
            kind = properties["PackageType"]
            why = "its handler is the image's CMD or `ImageConfig.Command`, which pinlint does not read"
            result.warnings.append(_unmapped(shown, _line(kind), "an image function", why))
            continue
        handler = properties.get("Handler", defaults.get("Handler"))
        code_uri = properties.get("CodeUri", defaults.get("CodeUri", "."))
        if not isinstance(handler, str):
            if handler is not None:  # !Sub, !If, !Ref...: a value CloudFormation computes
                result.warnings.append(_unmapped(shown, 0, "a `Handler`", "a value computed by CloudFormation"))
            continue
        base = path.parent / code_uri if isinstance(code_uri, str) and "://" not in code_uri else path.parent
        _claim(result, _handler_target(base, handler), handler, shown, _line(handler), root)


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
_TF_LAMBDA_RE = re.compile(r'resource\s+"aws_lambda_function"\s+"([^"]+)"\s*\{')
_TF_ARCHIVE_RE = re.compile(r'data\s+"archive_file"\s+"([^"]+)"\s*\{')
_TF_ATTRIBUTE_RE = re.compile(
    r"^\s*(handler|filename|source_dir|source_file|package_type)\s*=\s*(.+?)\s*$", re.MULTILINE
)
_TF_STRING_RE = re.compile(r'"([^"]*)"\s*(?:(?:#|//).*)?')  # a string, then perhaps a line comment


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
            why = '`handler` is not a string literal or `code` is not `Code.from_asset("dir")`'
            result.warnings.append(_unmapped(shown, node.lineno, f"the handler of `{name}`", why))


def _tf_blocks(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[str, str, int]]:
    """(name, body, line) of each block whose header matches; braces are counted, strings are not
    parsed. The search goes on after the block, so the text is scanned once (an unclosed block
    runs to the end of the file), and lines are counted as it goes."""
    position = line = 0
    counted = 0
    braces = re.compile(r"[{}]")
    while (match := pattern.search(text, position)) is not None:
        depth, index = 1, match.end()
        for brace in braces.finditer(text, match.end()):
            depth += 1 if brace.group() == "{" else -1
            if not depth:
                index = brace.end()
                break
        else:
            index = len(text) + 1
        line += text.count("\n", counted, match.start())
        counted = match.start()
        yield match.group(1), text[match.end() : index - 1], line + 1
        position = max(index, match.end())


def _tf_value(raw: str, directory: Path) -> str:
    value = raw.strip().strip('"')
    return value.replace("${path.module}", str(directory)).replace("${path.root}", str(directory))


def _read_terraform(path: Path, result: Declarations, root: Path) -> None:
    """``resource "aws_lambda_function"`` blocks: ``handler``, and the code directory from
    ``filename = data.archive_file.X.output_path`` with X's ``source_dir``/``source_file``.
    Not understood: modules, variables and locals in these attributes, ``for_each``, and
    zips built outside Terraform (the .tf file's directory is then assumed). A handler that is
    an expression (``each.value.handler``, ``var.handler``, ``"${...}"``), an image function, or
    one whose module file is not there is a warning and claims nothing; a mapped one claims its
    code directory (where the convention is then off)."""
    text = _read(path)
    directory = path.parent
    archives: dict[str, Path] = {}
    for name, body, _ in _tf_blocks(text, _TF_ARCHIVE_RE):
        attributes = dict(_TF_ATTRIBUTE_RE.findall(body))
        if "source_dir" in attributes:
            archives[name] = Path(_tf_value(attributes["source_dir"], directory))
        elif "source_file" in attributes:
            archives[name] = Path(_tf_value(attributes["source_file"], directory)).parent
    shown = _display(path, root)
    for _name, body, line in _tf_blocks(text, _TF_LAMBDA_RE):
        attributes = dict(_TF_ATTRIBUTE_RE.findall(body))
        offset = body.find("handler")
        handler_line = line + body.count("\n", 0, offset) if offset >= 0 else line
        raw = attributes.get("handler", "")
        if not raw:
            if "Image" in attributes.get("package_type", ""):
                why = "its handler is the image's CMD, which pinlint does not read"
                result.warnings.append(_unmapped(shown, line, "an image function", why))
            continue
        literal = _TF_STRING_RE.fullmatch(raw)
        if literal is None or "${" in raw:
            why = "an expression, not a string: for_each, locals, variables and modules are not followed"
            result.warnings.append(_unmapped(shown, handler_line, _handler(raw), why))
            continue
        handler = _tf_value(f'"{literal.group(1)}"', directory)
        code_dir = directory
        archive = re.match(r"data\.archive_file\.([\w-]+)\.output_path", attributes.get("filename", "").strip())
        if archive and archive.group(1) in archives:
            code_dir = archives[archive.group(1)]
        code_dir = code_dir if code_dir.is_absolute() else directory / code_dir
        if _claim(result, _handler_target(code_dir, handler), handler, shown, handler_line, root):
            result.declaring_dirs.add(code_dir.resolve())


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


def _terraform_files(root: Path, max_depth: int = 4) -> list[Path]:
    found: list[Path] = []
    stack: list[tuple[str, int]] = [(str(root), 0)]
    while stack:
        directory, depth = stack.pop()
        try:
            with os.scandir(directory) as scan:
                entries = list(scan)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth < max_depth and entry.name not in TERRAFORM_SKIP:
                        stack.append((entry.path, depth + 1))
                elif entry.name.endswith(".tf"):
                    found.append(Path(entry.path))
            except OSError:
                continue
    return sorted(found)


def _unread(path: Path, root: Path, error: DeclarationError) -> str:
    return f"{_display(path, root)}: cannot read handler declarations ({error}); skipped"


def find_declarations(
    files: list[Path], root: Path, configured: tuple[str, ...] = (), origin: str = ""
) -> Declarations:
    """Declarations that cover ``files``: declaration files in their directories or above."""
    result = Declarations()
    seen: set[str] = set()
    cdk_apps: set[str] = set()
    file_directories = {os.path.dirname(os.path.abspath(file)) for file in files}
    for start in sorted(file_directories):
        for above in ancestors(start, levels=MAX_LEVELS_UP, stop_at=".git"):
            directory = str(above)
            if directory in seen:
                break
            seen.add(directory)
            if os.path.isfile(os.path.join(directory, "cdk.json")):
                cdk_apps.add(os.path.join(directory, ""))
            for name in (*SERVERLESS_FILES, *TEMPLATE_FILES):
                candidate = Path(directory, name)
                if not os.path.lexists(candidate) or os.path.isdir(candidate):
                    continue
                try:
                    data = _load(candidate)
                except DeclarationError as error:
                    result.warnings.append(_unread(candidate, root, error))
                    continue
                before = sum(len(entries) for entries in result.by_file.values())
                if name in SERVERLESS_FILES:
                    _read_serverless(candidate, data, result, root)
                else:
                    _read_template(candidate, data, result, root)
                if sum(len(entries) for entries in result.by_file.values()) > before:
                    result.declaring_dirs.add(Path(directory))
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
    for terraform in _terraform_files(_project_root(file_directories, root)):
        try:
            _read_terraform(terraform, result, root)
        except DeclarationError as error:
            result.warnings.append(_unread(terraform, root, error))
    _from_config(configured, root, result, origin or "config `handlers`")
    return result
