"""Which files are infrastructure, finding them under the paths of a run, and reading them.

Templates are ``.yaml``/``.yml``/``.json``/``.template`` files whose text names ``AWS::`` resource
types under ``Resources`` (a serverless.yml's ``resources:`` included); Terraform is ``.tf``. Each
template is one stack; the ``.tf`` files of one directory are one stack (a Terraform module).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pathspec

from pinlint import files
from pinlint.infra.cloudformation import looks_like_template, read_template
from pinlint.infra.facts import TEMPLATE_MARKERS, TERRAFORM_MARKERS
from pinlint.infra.model import Document
from pinlint.infra.terraform import looks_like_terraform, read_module
from pinlint.paths import relative_to_root

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
TERRAFORM_SUFFIX = ".tf"
MAX_BYTES = 5 * 1024 * 1024
# Output of tools, not sources: CDK's synthesized templates, SAM's build, Terraform's modules cache.
_SKIPPED_DIRECTORIES = {"cdk.out", ".aws-sam", ".terraform", ".serverless", "node_modules"}


def is_infrastructure_path(path: str) -> bool:
    return path.endswith(TEMPLATE_SUFFIXES) or path.endswith(TERRAFORM_SUFFIX)


def infrastructure_files(paths: Iterable[str], root: Path, excludes: tuple[str, ...]) -> list[str]:
    """Infrastructure files below the directories in ``paths`` (files named there are linted as
    files), skipping excluded and tool-output directories; sorted."""
    spec = pathspec.GitIgnoreSpec.from_lines(excludes)
    root_text = os.path.realpath(root)
    found: list[str] = []
    for given in paths:
        if not os.path.isdir(given):
            continue
        top = os.path.realpath(given)  # resolved once: os.walk does not enter symlinked directories
        for directory, subdirectories, names in os.walk(given):
            relative = _relative(os.path.normpath(os.path.join(top, os.path.relpath(directory, given))), root_text)
            subdirectories[:] = [
                name
                for name in subdirectories
                if name not in _SKIPPED_DIRECTORIES
                and not name.startswith(".")
                and not spec.match_file(f"{relative}{name}/")
            ]
            for name in names:
                if is_infrastructure_path(name) and not spec.match_file(relative + name):
                    path = os.path.join(directory, name)
                    if _small_enough(path):
                        found.append(Path(path).as_posix())
    return sorted(set(found))


def _small_enough(path: str) -> bool:
    """A file over MAX_BYTES found in a walk is not a template (CloudFormation takes at most 1 MB)
    but data, such as a JSON report: it is passed over without a warning. Named files are read."""
    try:
        return os.stat(path).st_size <= MAX_BYTES
    except OSError:
        return True  # let the reader say what is wrong with it


def _relative(real_directory: str, root_text: str) -> str:
    """``real_directory`` as the excludes see it: relative to the (resolved) root, with a slash."""
    return relative_to_root(real_directory, root_text, directory=True, resolved=True)


def read_documents(sources: dict[str, str]) -> list[list[Document]]:
    """The stacks in ``sources`` (path -> text): one per template, one per directory of ``.tf``.
    A stack that mentions none of the resource types the checks read is not parsed at all (so a
    project whose Terraform declares no database never loads the HCL parser)."""
    stacks: list[list[Document]] = []
    modules: dict[str, dict[str, str]] = {}
    for path, text in sources.items():
        if path.endswith(TERRAFORM_SUFFIX):
            if looks_like_terraform(text):
                modules.setdefault(os.path.dirname(path), {})[path] = text
        elif looks_like_template(text) and _mentions(text, TEMPLATE_MARKERS):
            stacks.append([read_template(text, path)])
    for module in modules.values():
        if any(_mentions(text, TERRAFORM_MARKERS) for text in module.values()):
            stacks.append(read_module(module))
    return stacks


def _mentions(text: str, markers: tuple[str, ...]) -> bool:
    return any(marker in text for marker in markers)


def read_text(path: str) -> tuple[str, str]:
    """A file's text, or why it cannot be read, through pinlint's one reader (regular files
    only, the size checked before reading: a FIFO or /dev/zero named `*.yaml` is a warning)."""
    try:
        return files.read_text(path, MAX_BYTES), ""
    except files.UnreadableFile as error:
        return "", f"{error}; skipped"


def decode(source: str | bytes) -> tuple[str, str]:
    if isinstance(source, str):
        return source, ""
    try:
        return source.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        return "", "not valid UTF-8; skipped"
