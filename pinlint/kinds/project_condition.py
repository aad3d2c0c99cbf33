"""A project-wide setting that settles a rule's findings (``[match.unless-project]``).

The data only: pinlint.project searches the project for it after linting.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProjectCondition:
    """``key`` set to the literal ``value`` as a dict key (``{"KEY": True}``), a subscript
    assignment (``DATABASES["default"]["KEY"] = True``) or a keyword argument
    (``config(key=True)``), in any letter case, in any Python file of the project."""

    key: str
    value: str  # repr of the literal, e.g. "True"
    root_marker: str = ""  # a file that marks the project's root, e.g. "manage.py"

    @property
    def label(self) -> str:
        return f"{self.key}={self.value}"
