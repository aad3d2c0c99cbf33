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


def dotted_name(node: ast.expr) -> str:
    """``a.b.c`` for a chain of names and attributes, else ''."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


@dataclass
class _Scan:
    imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)
    calls: list[tuple[ast.Call, bool]] = field(default_factory=list)  # (call, inside a function)
    assigns: list[ast.Assign] = field(default_factory=list)


def _scan(tree: ast.Module) -> _Scan:
    """Imports, calls (with their scope) and assignments, in one pass over the tree."""
    scan = _Scan()
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, in_function = stack.pop()
        if isinstance(node, ast.Call):
            scan.calls.append((node, in_function))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            scan.imports.append(node)
        elif isinstance(node, ast.Assign):
            scan.assigns.append(node)
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return scan


def module_calls(
    tree: ast.Module,
    source: str,
    *,
    functions: frozenset[str] | None = None,
    methods: frozenset[str] | None = None,
    setting_roots: frozenset[str] | None = None,
) -> ModuleCalls:
    """The calls (and settings) of a module. With ``functions``/``methods``/``setting_roots``,
    only those are recorded: rendering every argument of every call is the costly part."""
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
    scan = _scan(tree)
    for node in scan.imports:
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
    for call_node, in_function in scan.calls:
        dotted = dotted_name(call_node.func)
        head, _, rest = dotted.partition(".")
        name = ""
        if head in aliases:
            name = f"{aliases[head]}.{rest}" if rest else aliases[head]
        method = call_node.func.attr if isinstance(call_node.func, ast.Attribute) else ""
        wanted_function = functions is None or name in functions
        wanted_method = methods is None or method in methods
        if not (wanted_function or (method and wanted_method)):
            continue
        end_line = call_node.func.end_lineno or call_node.lineno
        call = Call(
            name=name,
            method=method,
            display=dotted or (f"….{method}" if method else "call"),
            line=call_node.lineno,
            column=column(call_node.lineno, call_node.col_offset),
            end_line=end_line,
            end_column=column(end_line, call_node.func.end_col_offset),
        )
        call.in_function = in_function
        call.positional = [argument(arg) for arg in call_node.args if not isinstance(arg, ast.Starred)]
        for keyword in call_node.keywords:
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

    if setting_roots is not None and not setting_roots:
        return result
    for statement in tree.body:  # module-level NAME = {...}: settings modules
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Dict):
            for target in statement.targets:
                if isinstance(target, ast.Name) and (setting_roots is None or target.id in setting_roots):
                    flatten((target.id,), statement.value)
    if setting_roots is not None and not any("." in root for root in setting_roots):
        return result
    for assign in scan.assigns:  # os.environ["NAME"] = value, anywhere
        for target in assign.targets:
            if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
                base = dotted_name(target.value)
                head, _, rest = base.partition(".")
                qualified = f"{aliases.get(head, head)}.{rest}" if rest else aliases.get(head, head)
                if isinstance(target.slice.value, str) and qualified:
                    result.settings.append(Setting((qualified, target.slice.value), argument(assign.value, target)))
    return result
