"""Facts about the project around the linted files that no single file tells.

A few findings depend on a setting made elsewhere in the project: Django's
``DISABLE_SERVER_SIDE_CURSORS`` lives in a settings module, while the ``QuerySet.iterator()`` it
makes safe is in a view or a handler. Such a rule declares an ``unless-project`` condition; after
the files are linted (or read from the cache), the findings of those rules are checked here
against the Python files of the project the finding's file belongs to. A pre-commit run that
passes one changed view still finds the settings, because the search starts at the project root
(the nearest directory above the file holding the rule's marker, such as ``manage.py``), not at
the files given on the command line. Nothing is read when no such finding exists.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pinlint.files import UnreadableFile, read_bytes
from pinlint.kinds.project_condition import ProjectCondition
from pinlint.model import Finding
from pinlint.paths import nearest_ancestor
from pinlint.pymodel import ParseError, parse_python

if TYPE_CHECKING:
    from pinlint.config import Settings

MAX_LEVELS_UP = 12


def project_root(file: Path, marker: str, fallback: Path) -> Path:
    """The nearest directory above ``file`` holding ``marker``; ``fallback`` when there is none
    below a repository root."""
    start = Path(os.path.abspath(file)).parent
    markers = (marker,) if marker else ()
    found = nearest_ancestor(start, markers, levels=MAX_LEVELS_UP, stop_at=".git", holds=Path.is_file)
    return fallback if found is None else found


def _literal(node: ast.expr) -> str:
    try:
        return repr(ast.literal_eval(node))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return ""


def sets_key(tree: ast.Module, condition: ProjectCondition) -> int:
    """The line where ``tree`` sets the condition's key to its value, or 0."""
    key = condition.key.lower()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for name, value in zip(node.keys, node.values, strict=True):
                is_key = isinstance(name, ast.Constant) and isinstance(name.value, str) and name.value.lower() == key
                if is_key and _literal(value) == condition.value:
                    return node.lineno
        elif isinstance(node, ast.keyword):
            if node.arg is not None and node.arg.lower() == key and _literal(node.value) == condition.value:
                return node.value.lineno
        elif isinstance(node, ast.Assign) and _literal(node.value) == condition.value:
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.slice, ast.Constant)
                    and isinstance(target.slice.value, str)
                    and target.slice.value.lower() == key
                ):
                    return node.lineno
    return 0


@dataclass
class ProjectFacts:
    """Answers for the findings of one run, each project root searched once.

    ``known`` holds what the linted files make (absolute path -> labels, recorded while linting
    and cached with each file's result); ``covered`` are the directories the run linted whole.
    A root inside one of them needs no search: every file under it was linted. Otherwise the
    files under the root that the run did not lint are read (a pre-commit run on one view)."""

    settings: Settings
    known: dict[str, list[str]]
    covered: tuple[str, ...] = ()
    answers: dict[tuple[Path, ProjectCondition], str] = dataclasses.field(default_factory=dict)

    def where_set(self, root: Path, condition: ProjectCondition) -> str:
        """The first file under ``root`` that sets the condition (``path`` or ``path:line``), or ''."""
        if (root, condition) in self.answers:
            return self.answers[(root, condition)]
        prefix = os.path.join(str(root), "")
        answer = next(
            (path for path, labels in self.known.items() if path.startswith(prefix) and condition.label in labels), ""
        )
        if not answer and not any(prefix.startswith(directory) for directory in self.covered):
            answer = self._search(root, condition)
        self.answers[(root, condition)] = answer
        return answer

    def _search(self, root: Path, condition: ProjectCondition) -> str:
        from pinlint.discover import discover

        needle = re.compile(re.escape(condition.key).encode(), re.IGNORECASE)
        for path in discover([str(root)], self.settings).files:
            if path.suffix != ".py" or os.path.abspath(path) in self.known:
                continue
            try:
                data = read_bytes(path)
                if not needle.search(data):
                    continue
                line = sets_key(parse_python(data.decode("utf-8-sig", errors="replace")).tree, condition)
            except (UnreadableFile, ParseError):
                continue
            if line:
                return f"{path.as_posix()}:{line}"
        return ""


def settle(findings: list[Finding], conditions: dict[str, ProjectCondition], facts: ProjectFacts) -> list[Finding]:
    """Drop the findings that a project setting makes safe; say where pinlint looked in the others."""
    if not conditions or not any(finding.code in conditions for finding in findings):
        return findings
    kept: list[Finding] = []
    for finding in findings:
        condition = conditions.get(finding.code)
        if condition is None:
            kept.append(finding)
            continue
        root = project_root(Path(finding.path), condition.root_marker, facts.settings.root)
        if facts.where_set(root, condition):
            continue
        shown = os.path.relpath(root) if root != Path.cwd() else "."
        note = f" (no Python file under `{shown}` sets `{condition.key} = {condition.value}`)"
        kept.append(dataclasses.replace(finding, message=finding.message + note))
    return kept
