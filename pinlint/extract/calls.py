"""Every call in a Python module with its arguments as literal values, for driver rules.

Works on CPython's ``ast``. A call's function is qualified through the module's imports
(``pg.connect`` -> ``psycopg2.connect``); a method call on an object whose type is unknown
keeps only its method name. Argument values are literals rendered with ``repr`` (``None``,
``0``, ``True``, ``'name'``) or ``DYNAMIC`` when they are computed at run time.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

DYNAMIC = "<dynamic>"


@dataclass(frozen=True)
class Argument:
    value: str  # repr of the literal, or DYNAMIC
    line: int
    column: int  # 1-based, characters
    end_line: int
    end_column: int  # exclusive


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


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def module_calls(tree: ast.Module, source: str) -> ModuleCalls:
    lines = source.split("\n")

    def column(line: int, offset: int | None) -> int:
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return len(text.encode("utf-8")[: offset or 0].decode("utf-8", errors="replace")) + 1

    def argument(node: ast.expr, start: ast.expr | ast.keyword | None = None) -> Argument:
        """The literal value of ``node``; the position runs from ``start`` (a keyword's name) to its end."""
        try:
            value = repr(ast.literal_eval(node))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            value = DYNAMIC
        first = start or node
        end_line = node.end_lineno or node.lineno
        return Argument(
            value, first.lineno, column(first.lineno, first.col_offset), end_line, column(end_line, node.end_col_offset)
        )

    result = ModuleCalls()
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                result.imports.add(alias.name.split(".")[0])
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            result.imports.add(node.module.split(".")[0])
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    inside: set[int] = set()  # ids of nodes within a function body
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            inside.update(id(child) for child in ast.walk(node) if child is not node)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        dotted = _dotted(node.func)
        head, _, rest = dotted.partition(".")
        name = ""
        if head in aliases:
            name = f"{aliases[head]}.{rest}" if rest else aliases[head]
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        end_line = node.func.end_lineno or node.lineno
        call = Call(
            name=name,
            method=method,
            display=dotted or (f"….{method}" if method else "call"),
            line=node.lineno,
            column=column(node.lineno, node.col_offset),
            end_line=end_line,
            end_column=column(end_line, node.func.end_col_offset),
        )
        call.in_function = id(node) in inside
        call.positional = [argument(arg) for arg in node.args if not isinstance(arg, ast.Starred)]
        for keyword in node.keywords:
            if keyword.arg is None:
                call.star_kwargs = True
                continue
            call.keywords[keyword.arg] = argument(keyword.value, keyword)
            if isinstance(keyword.value, ast.Dict):
                entries = {}
                for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        entries[key.value] = argument(value)
                call.dict_keywords[keyword.arg] = entries
        result.calls.append(call)
    result.calls.sort(key=lambda call: (call.line, call.column))

    def flatten(prefix: tuple[str, ...], node: ast.expr, start: ast.expr | None = None) -> None:
        result.settings.append(Setting(prefix, argument(node, start)))
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    flatten((*prefix, key.value), value, key)

    for statement in tree.body:  # module-level NAME = {...}: settings modules
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Dict):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    flatten((target.id,), statement.value)
    for node in ast.walk(tree):  # os.environ["NAME"] = value, anywhere
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
                base = _dotted(target.value)
                head, _, rest = base.partition(".")
                qualified = f"{aliases.get(head, head)}.{rest}" if rest else aliases.get(head, head)
                if isinstance(target.slice.value, str) and qualified:
                    result.settings.append(Setting((qualified, target.slice.value), argument(node.value, target)))
    return result
