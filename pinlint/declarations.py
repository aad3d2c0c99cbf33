"""Which Python functions are Lambda handlers, from what the project declares.

Read here (never executed): Serverless Framework ``serverless.yml``/``.yaml``
(``functions.*.handler``), AWS SAM / CloudFormation templates (``template.yaml``/``.yml``/
``.json``: ``AWS::Serverless::Function`` and ``AWS::Lambda::Function`` with ``Handler`` and
``CodeUri``, ``Globals.Function``), and ``handlers = ["path/mod.py:func"]`` in the config.
Functions found in the Python code itself (Chalice decorators, the ``lambda_handler``
convention) are the extractor's business; this module only says whether a file is covered
by some declaration, so that the convention applies only where nothing is declared.

A declaration file that cannot be read gives a warning; the run goes on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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

    by_file: dict[Path, list[Declaration]] = field(default_factory=dict)
    declaring_dirs: set[Path] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def for_file(self, path: Path) -> list[Declaration]:
        return self.by_file.get(path.resolve(), [])

    def covers(self, path: Path) -> bool:
        """True when a declaration file sits in this file's directory or one above it."""
        resolved = path.resolve()
        return any(directory in resolved.parents for directory in self.declaring_dirs)

    def add(self, path: Path, declaration: Declaration) -> None:
        self.by_file.setdefault(path.resolve(), []).append(declaration)


class _Loader(yaml.SafeLoader):
    """SafeLoader that records line numbers and accepts CloudFormation short-form tags."""


def _any_tag(loader: _Loader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


class _Line(str):
    """A string value that remembers its 1-based line in the YAML file."""

    line: int = 0


def _scalar_with_line(loader: _Loader, node: yaml.ScalarNode) -> Any:
    value = loader.construct_scalar(node)
    marked = _Line(value)
    marked.line = node.start_mark.line + 1
    return marked


_Loader.add_multi_constructor("!", _any_tag)
_Loader.add_constructor("tag:yaml.org,2002:str", _scalar_with_line)


def _line(value: Any) -> int:
    return getattr(value, "line", 0)


def _handler_target(base: Path, handler: str) -> tuple[Path, str] | None:
    """``path/module.func`` or ``pkg.module.func`` relative to ``base`` -> (file, function)."""
    module, dot, function = handler.strip().rpartition(".")
    if not dot or not module or not function:
        return None
    module_path = module if "/" in module else module.replace(".", "/")
    return base / f"{module_path}.py", function


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=_Loader)


def _read_serverless(path: Path, data: Any, result: Declarations, root: Path) -> None:
    functions = data.get("functions") if isinstance(data, dict) else None
    if not isinstance(functions, dict):
        return
    shown = _display(path, root)
    for spec in functions.values():
        handler = spec.get("handler") if isinstance(spec, dict) else None
        if not isinstance(handler, str) or "${" in handler:
            continue
        target = _handler_target(path.parent, handler)
        if target:
            result.add(target[0], Declaration(target[1], shown, _line(handler)))


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
        handler = properties.get("Handler", defaults.get("Handler"))
        code_uri = properties.get("CodeUri", defaults.get("CodeUri", "."))
        if not isinstance(handler, str):
            continue
        base = path.parent / code_uri if isinstance(code_uri, str) and "://" not in code_uri else path.parent
        target = _handler_target(base, handler)
        if target:
            result.add(target[0], Declaration(target[1], shown, _line(handler)))


def _from_config(entries: tuple[str, ...], config_root: Path, result: Declarations, origin: str) -> None:
    for entry in entries:
        file, _, function = entry.rpartition(":")
        if file and function:
            result.add(config_root / file, Declaration(function, origin))


def find_declarations(
    files: list[Path], root: Path, configured: tuple[str, ...] = (), origin: str = ""
) -> Declarations:
    """Declarations that cover ``files``: declaration files in their directories or above."""
    result = Declarations()
    seen: set[Path] = set()
    for file in files:
        directory = file.resolve().parent
        for _ in range(MAX_LEVELS_UP):
            if directory in seen:
                break
            seen.add(directory)
            for name in (*SERVERLESS_FILES, *TEMPLATE_FILES):
                candidate = directory / name
                if not candidate.is_file():
                    continue
                try:
                    data = _load(candidate)
                except (OSError, UnicodeDecodeError, yaml.YAMLError, json.JSONDecodeError) as error:
                    problem = str(error).splitlines()[0] if str(error) else type(error).__name__
                    result.warnings.append(f"{_display(candidate, root)}: cannot read handler declarations ({problem})")
                    continue
                before = sum(len(entries) for entries in result.by_file.values())
                if name in SERVERLESS_FILES:
                    _read_serverless(candidate, data, result, root)
                else:
                    _read_template(candidate, data, result, root)
                if sum(len(entries) for entries in result.by_file.values()) > before:
                    result.declaring_dirs.add(directory)
            if (directory / ".git").exists() or directory.parent == directory:
                break
            directory = directory.parent
    _from_config(configured, root, result, origin or "config `handlers`")
    return result
