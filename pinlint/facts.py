"""The facts the Python readers hand to the rules: calls with their arguments, settings.

``Call`` is a call as the driver rules read it (``extract.calls``): its callee's qualified name and
each argument's literal value (``repr``) and place. ``CallFact`` is a connection call as the
connect-option rule reads it (``extract.python``): its string arguments as ``Fragment``s, whose
every character maps back to the file, so a finding can point inside a DSN or an options string.
``CallHit`` is where a driver rule fired on a ``Call``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pinlint.model import Fragment

DYNAMIC = "<dynamic>"


@dataclass(frozen=True)
class Argument:
    value: str  # repr of the literal, or DYNAMIC
    line: int
    column: int  # 1-based, characters
    end_line: int
    end_column: int  # exclusive
    text: str = ""  # a string's own text; for an f-string, its text up to the first {field}


@dataclass
class Call:
    name: str  # qualified function name, or "" when the callee is a method of an unknown object
    method: str  # the attribute name for ``x.method(...)`` calls, else ""
    display: str  # the callee as written, e.g. ``conn.cursor``
    line: int
    column: int
    end_line: int
    end_column: int
    positional: list[Argument] = field(default_factory=list)
    keywords: dict[str, Argument] = field(default_factory=dict)
    dict_keywords: dict[str, dict[str, Argument]] = field(default_factory=dict)  # kwargs={"k": v}
    star_kwargs: bool = False  # ``**options``: any keyword may be set
    in_function: bool = False  # inside a def or lambda (else it runs once, at import)
    receiver_origins: frozenset[str] = frozenset()  # what made ``x`` in ``x.method()``; see method_contexts()
    within: frozenset[str] = frozenset()  # context managers and decorators around it; see method_contexts()


@dataclass(frozen=True)
class Setting:
    """One entry of a settings structure: ``DATABASES["default"]["OPTIONS"]["options"]`` has the
    path ("DATABASES", "default", "OPTIONS", "options"); ``os.environ["PGOPTIONS"] = v`` has
    ("os.environ", "PGOPTIONS")."""

    path: tuple[str, ...]
    value: Argument


@dataclass
class ModuleCalls:
    imports: set[str] = field(default_factory=set)  # top-level package names imported anywhere
    calls: list[Call] = field(default_factory=list)
    settings: list[Setting] = field(default_factory=list)


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
    call: Call
    argument: Argument | None
    captures: dict[str, str]
