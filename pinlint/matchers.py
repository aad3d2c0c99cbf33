"""The facts between the Python extraction and the rule kinds (pinlint.kinds).

``CallFact`` is a call the extraction recorded with its string arguments (for kinds that read
SQL-like text in them, such as ``connect-option``); ``CallHit`` is where a kind that reads a
module's calls or settings fired.
"""

from __future__ import annotations

from dataclasses import dataclass

from pinlint.extract.calls import Argument
from pinlint.extract.calls import Call as ModuleCall
from pinlint.model import Fragment


@dataclass
class CallFact:
    """A call in Python source with its statically known string arguments."""

    name: str  # dotted name as resolved through imports, e.g. "psycopg2.connect"
    line: int
    positional: list[Fragment]
    keywords: dict[str, Fragment]
    dict_keywords: dict[str, dict[str, Fragment]]  # keyword -> {key: value} for dict literals


@dataclass(frozen=True)
class CallHit:
    call: ModuleCall
    argument: Argument | None
    captures: dict[str, str]
