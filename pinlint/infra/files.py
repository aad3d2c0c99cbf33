"""Which files are infrastructure, which directories of a walk may hold them (pinlint.discover
walks the tree once, for Python, SQL and these), and reading them.

Templates are ``.yaml``/``.yml``/``.json``/``.template`` files whose text names ``AWS::`` resource
types under ``Resources`` (a serverless.yml's ``resources:`` included); Terraform is ``.tf``. Each
template is one stack; the ``.tf`` files of one directory are one stack (a Terraform module).
"""

from __future__ import annotations

import os
import re

from pinlint import files
from pinlint.infra.cloudformation import looks_like_template, read_template
from pinlint.infra.facts import TEMPLATE_MARKERS, TERRAFORM_MARKERS
from pinlint.infra.model import Document
from pinlint.infra.terraform import looks_like_terraform, read_module

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
TERRAFORM_SUFFIX = ".tf"
MAX_BYTES = 5 * 1024 * 1024
# Output of tools, not sources: CDK's synthesized templates, SAM's build, Terraform's modules cache.
_SKIPPED_DIRECTORIES = {"cdk.out", ".aws-sam", ".terraform", ".serverless", "node_modules"}


def is_infrastructure_path(path: str) -> bool:
    return path.endswith(TEMPLATE_SUFFIXES) or path.endswith(TERRAFORM_SUFFIX)


def holds_infrastructure_sources(directory_name: str) -> bool:
    """Whether a directory met in a walk may hold infrastructure sources: not tool output, and not
    a dot-directory (``.terraform``, ``.aws-sam``, ``.serverless``, ``.git``...)."""
    return directory_name not in _SKIPPED_DIRECTORIES and not directory_name.startswith(".")


def small_enough(path: str) -> bool:
    """A file over MAX_BYTES found in a walk is not a template (CloudFormation takes at most 1 MB)
    but data, such as a JSON report: it is passed over without a warning. Named files are read."""
    try:
        return os.stat(path).st_size <= MAX_BYTES
    except OSError:
        return True  # let the reader say what is wrong with it


def read_documents(sources: dict[str, str]) -> list[list[Document]]:
    """The stacks in ``sources`` (path -> text): one per template, one per directory of ``.tf``.
    A stack that mentions none of the resource types the checks read is not parsed at all (so a
    project whose Terraform declares no database never loads the HCL parser)."""
    stacks: list[list[Document]] = []
    modules: dict[str, dict[str, str]] = {}
    for path, text in sources.items():
        if path.endswith(TERRAFORM_SUFFIX):
            if looks_like_terraform(text) or "module" in text:
                modules.setdefault(os.path.dirname(path), {})[path] = text
        elif looks_like_template(text) and _mentions(text, TEMPLATE_MARKERS):
            stacks.append([read_template(text, path)])
    worth = {directory for directory, module in modules.items() if _mentions_any(module, TERRAFORM_MARKERS)}
    for directory in worth:
        stacks.append(read_module(modules[directory]))
    stacks.extend(_instantiations(modules, worth))
    return stacks


_MODULE_SOURCE_RE = re.compile(r'\bsource\s*=\s*"(\.{1,2}/[^"]+)"')
_NOT_INPUTS = {"source", "version", "providers", "count", "for_each", "depends_on"}


def _instantiations(modules: dict[str, dict[str, str]], worth: set[str]) -> list[list[Document]]:
    """Each local module worth reading (``worth``), as each module call in the tree instantiates
    it (``module "db" { source = "./modules/db"  min_capacity = 0 }``): the call's inputs replace
    the defaults of the module's variables."""
    found: list[list[Document]] = []
    for directory, module in modules.items():
        called = {
            os.path.normpath(os.path.join(directory, source))
            for text in module.values()
            if "module" in text
            for source in _MODULE_SOURCE_RE.findall(text)
        }
        if not called & worth:
            continue
        for document in read_module(module):
            for resource in document.resources:
                source = resource.properties.get("source")
                text = source.text() if source is not None else None
                target = os.path.normpath(os.path.join(directory, text)) if text else ""
                if resource.kind != "module" or target not in worth or not isinstance(resource.properties.data, dict):
                    continue
                inputs = {key: value for key, value in resource.properties.data.items() if key not in _NOT_INPUTS}
                found.append(read_module(modules[target], inputs, resource.name))
    return found


def _mentions_any(module: dict[str, str], markers: tuple[str, ...]) -> bool:
    return any(_mentions(text, markers) for text in module.values())


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
