"""The facts the Python readers hand to the rules: calls with their arguments, settings.

``Call`` is one call, whoever reads it: its callee's qualified name and each argument's literal
value (``repr``) and place. The driver rules get it from ``extract.calls``; the connect-option
rule gets it from ``extract.python``, where each string argument also carries its ``fragment``
(the text as the code builds it, every character mapped back to the file), so a finding can
point inside a DSN or an options string. ``CallHit`` is where a driver rule fired on a ``Call``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pinlint.model import Fragment

DYNAMIC = "<dynamic>"
TOKEN_METHOD = "generate_db_auth_token"  # boto3's RDS client method that makes an IAM authentication token


@dataclass(frozen=True)
class Argument:
    value: str  # repr of the literal, or DYNAMIC
    line: int
    column: int  # 1-based, characters
    end_line: int
    end_column: int  # exclusive
    text: str = ""  # a string's own text; for an f-string, its text up to the first {field}
    fragment: Fragment | None = None  # the string the code builds here, with every character's place


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

    @property
    def last_name(self) -> str:
        """The callee's own name: ``connect`` for ``psycopg2.connect`` and for ``pool.connect``."""
        return (self.name or self.display).rsplit(".", 1)[-1] or self.method


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


@dataclass(frozen=True)
class CallHit:
    call: Call
    argument: Argument | None
    captures: dict[str, str]
