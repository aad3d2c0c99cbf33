"""Python fixes, through libcst: libcst parses the file and finds the call a finding is on; the
fix is the inserted or replaced text alone (``add-keyword``), or, where statements move
(``cache-connection``, the removal of an unlock call), the module printed again by libcst and
the one edit between the old and the new text. Comments, formatting and the rest of the file
stay as they were.

Action ``add-keyword`` (rule files' ``[autofix]``, see ``schema``): add ``keyword=value`` to the
call (or replace the value it has); for the callees listed in ``dict-keyword-callees`` (psycopg's
pools, which take connection options in ``kwargs={...}``) the key goes into that dict, which is
added when the call has none. A call with ``**options``, or whose dict argument is not a dict
display, gets no fix: pinlint cannot see what it holds. Action ``cache-connection``: see
``cache_connection``.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from pinlint.fix.schema import FixSpec
from pinlint.fix.text import FileText, minimal_edit
from pinlint.model import Autofix, Edit, Finding
from pinlint.pymodel import PythonModule


class PythonSource:
    """A Python file's text, its model (the ``ast`` tree the engine parsed) and, the first time a
    fix that moves statements asks, its libcst tree with positions."""

    def __init__(self, file: FileText, model: PythonModule | None = None) -> None:
        self.file = file
        self.model = model

    @cached_property
    def _ast_calls(self) -> list[ast.Call]:
        return [] if self.model is None else [node for node in ast.walk(self.model.tree) if isinstance(node, ast.Call)]

    def ast_span(self, node: ast.expr | ast.stmt) -> tuple[int, int] | None:
        """The offsets of an ``ast`` node's text in the file."""
        if self.model is None or node.end_lineno is None or node.end_col_offset is None:
            return None
        lines = self.model.lines
        start = lines.offset(node.lineno, lines.column(node.lineno, node.col_offset))
        end = lines.offset(node.end_lineno, lines.column(node.end_lineno, node.end_col_offset))
        return start, end

    def ast_text(self, node: ast.expr) -> str:
        span = self.ast_span(node)
        return "" if span is None else self.file.text[span[0] : span[1]]

    def ast_call_at(self, line: int, column: int) -> ast.Call | None:
        """The innermost call whose text holds the 1-based (line, column)."""
        offset = self.file.offset(line, column)
        if offset is None:
            return None
        holding = []
        for call in self._ast_calls:
            span = self.ast_span(call)
            if span is not None and span[0] <= offset < span[1]:
                holding.append((span[1] - span[0], span[0], call))
        return min(holding, key=lambda item: item[:2])[2] if holding else None

    @cached_property
    def _parsed(self) -> tuple[Any, dict[Any, Any]] | None:
        import libcst as cst
        from libcst.metadata import MetadataWrapper, PositionProvider

        try:
            wrapper = MetadataWrapper(cst.parse_module(self.file.text), unsafe_skip_copy=True)
            positions = dict(wrapper.resolve(PositionProvider))
        except (cst.ParserSyntaxError, RecursionError, ValueError):
            return None
        return wrapper.module, positions

    def nodes_on_line(self, line: int, kind: type) -> list[Any]:
        """The nodes of type ``kind`` that start on ``line``, leftmost (outermost) first."""
        parsed = self._parsed
        if parsed is None:
            return []
        _, positions = parsed
        found = [(span.start.column, node) for node, span in positions.items() if isinstance(node, kind)]
        found = [(column, node) for column, node in found if positions[node].start.line == line]
        return [node for _, node in sorted(found, key=lambda item: item[0])]

    def function_around(self, line: int) -> Any | None:
        """The innermost ``def`` whose text holds ``line`` (None at module level)."""
        import libcst as cst

        parsed = self._parsed
        if parsed is None:
            return None
        _, positions = parsed
        around = [
            (span.start.line, node)
            for node, span in positions.items()
            if isinstance(node, cst.FunctionDef) and span.start.line <= line <= span.end.line
        ]
        return max(around, key=lambda item: item[0])[1] if around else None

    def code(self, node: Any) -> str:
        parsed = self._parsed
        return "" if parsed is None else str(parsed[0].code_for_node(node))

    @cached_property
    def _calls(self) -> list[tuple[tuple[int, int], tuple[int, int], Any]]:
        import libcst as cst

        parsed = self._parsed
        if parsed is None:
            return []
        return [
            ((span.start.line, span.start.column), (span.end.line, span.end.column), node)
            for node, span in parsed[1].items()
            if isinstance(node, cst.Call)
        ]

    def call_at(self, line: int, column: int) -> Any | None:
        """The innermost call whose text holds the 1-based (line, column)."""
        where = (line, column - 1)
        holding = [
            (end[0] - start[0], end[1] - start[1], index)
            for index, (start, end, _) in enumerate(self._calls)
            if start <= where < end
        ]
        return self._calls[min(holding)[2]][2] if holding else None

    def span(self, node: Any) -> tuple[int, int] | None:
        """The offsets of ``node``'s text in the file."""
        parsed = self._parsed
        if parsed is None or node not in parsed[1]:
            return None
        where = parsed[1][node]
        start = self.file.offset(where.start.line, where.start.column + 1)
        end = self.file.offset(where.end.line, where.end.column + 1)
        return (start, end) if start is not None and end is not None else None

    def replaced(self, old: Any, new: Any) -> str | None:
        parsed = self._parsed
        if parsed is None:
            return None
        import libcst as cst

        module, _ = parsed
        if isinstance(new, cst.RemovalSentinel):
            return str(module.deep_remove(old).code)
        return str(module.deep_replace(old, new).code)


def remove_unlock_call(source: PythonSource, lock_line: int, unlock_line: int) -> Edit | None:
    """The edit that removes the statement on ``unlock_line`` when it is only a sink call (the
    unlock) whose arguments after the SQL are those of the call on ``lock_line`` (the same key
    passed as a parameter), in the same function; a block it is alone in keeps a ``pass``. Read
    from the engine's ``ast`` tree when there is one (libcst costs 0.1 s to import), else libcst."""
    if source.model is not None:
        return _remove_unlock_with_ast(source, source.model.tree, lock_line, unlock_line)
    import libcst as cst

    statements = [
        statement
        for statement in source.nodes_on_line(unlock_line, cst.SimpleStatementLine)
        if len(statement.body) == 1 and isinstance(statement.body[0], cst.Expr)
    ]
    locks = source.nodes_on_line(lock_line, cst.Call)
    if len(statements) != 1 or not locks or unlock_line <= lock_line:
        return None
    statement = statements[0]
    unlock = statement.body[0].value
    if not isinstance(unlock, cst.Call) or source.function_around(lock_line) is not source.function_around(unlock_line):
        return None
    if [source.code(a.value) for a in unlock.args[1:]] != [source.code(a.value) for a in locks[0].args[1:]]:
        return None
    parent = _block_of(source, statement)
    if parent is None:
        return None
    replacement: Any = cst.RemoveFromParent()
    if len(parent.body) == 1:
        replacement = statement.with_changes(body=[cst.Pass()], trailing_whitespace=statement.trailing_whitespace)
    text = source.replaced(statement, replacement)
    return minimal_edit(source.file.text, text, source.file) if text is not None else None


_BODIES = ("body", "orelse", "finalbody")


def _remove_unlock_with_ast(source: PythonSource, tree: ast.Module, lock_line: int, unlock_line: int) -> Edit | None:
    """``remove_unlock_call`` on the ``ast`` tree: the statement's lines go (a statement that
    shares a line with another stays), or its text becomes ``pass`` when it is alone in its block."""
    if unlock_line <= lock_line:
        return None
    found: list[tuple[ast.Expr, list[ast.stmt], list[ast.AST]]] = []
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [])]
    while stack:
        node, functions = stack.pop()
        inner = [*functions, node] if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else functions
        blocks = [getattr(node, name) for name in _BODIES if isinstance(getattr(node, name, None), list)]
        blocks += [handler.body for handler in getattr(node, "handlers", [])]
        for block in blocks:
            for statement in block:
                if isinstance(statement, ast.Expr) and statement.lineno == unlock_line:
                    found.append((statement, block, inner))
                stack.append((statement, inner))
    if len(found) != 1:
        return None
    statement, block, functions = found[0]
    unlock = statement.value
    locks = sorted((call for call in source._ast_calls if call.lineno == lock_line), key=lambda call: call.col_offset)
    if not isinstance(unlock, ast.Call) or not locks:
        return None
    function = functions[-1] if functions else None
    lock_function = _function_holding(tree, lock_line)
    if function is not lock_function:
        return None
    if _argument_texts(source, unlock)[1:] != _argument_texts(source, locks[0])[1:]:
        return None
    place = block.index(statement)
    before = block[place - 1] if place else None
    after = block[place + 1] if place + 1 < len(block) else None
    if (before is not None and (before.end_lineno or 0) >= statement.lineno) or (
        after is not None and after.lineno <= (statement.end_lineno or 0)
    ):
        return None  # another statement on its lines (`a(); unlock()`)
    span = source.ast_span(statement)
    if span is None:
        return None
    text = source.file.text
    if len(block) == 1:
        return source.file.edit(span[0], span[1], "pass")
    start = source.file.starts[statement.lineno - 1]
    end_line = statement.end_lineno or statement.lineno
    end = source.file.starts[end_line] if end_line < len(source.file.starts) else len(text)
    if text[start : span[0]].strip() or text[span[1] : end].strip() not in ("", ";"):
        return None  # not alone on its lines (a comment after it is kept by leaving it be)
    return source.file.edit(start, end, "")


def _function_holding(tree: ast.Module, line: int) -> ast.AST | None:
    """The innermost def whose lines hold ``line``."""
    holding: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.lineno <= line <= (node.end_lineno or 0) and (holding is None or node.lineno >= holding.lineno):
            holding = node
    return holding


def _argument_texts(source: PythonSource, call: ast.Call) -> list[str]:
    """The call's arguments as written, positional then keywords (``key=value``)."""
    texts = [source.ast_text(argument) for argument in call.args]
    texts += [f"{keyword.arg}={source.ast_text(keyword.value)}" for keyword in call.keywords]
    return texts


def _block_of(source: PythonSource, statement: Any) -> Any | None:
    """The block (or module) whose body holds ``statement``."""
    import libcst as cst

    parsed = source._parsed
    if parsed is None:
        return None
    module, positions = parsed
    if statement in module.body:
        return module
    for node in positions:
        if isinstance(node, cst.IndentedBlock) and statement in node.body:
            return node
    return None


def _last_name(node: Any) -> str:
    import libcst as cst

    if isinstance(node, cst.Attribute):
        return str(node.attr.value)
    if isinstance(node, cst.Name):
        return str(node.value)
    return ""


def _string_value(node: Any) -> str | None:
    import libcst as cst

    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def add_keyword(spec: FixSpec, finding: Finding, source: PythonSource) -> Autofix | None:
    """Add ``keyword=value`` to the call the finding is on (or into its ``dict-keyword`` dict
    for the listed callees), or replace the value it has. The call is read from the module's
    ``ast`` tree (parsed once by the engine: no second parse for the commonest fix); the edit is
    the inserted (or replaced) text alone, so the rest of the file stays byte for byte."""
    call = source.ast_call_at(finding.line, finding.column)
    if call is None or any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    keyword, value = str(spec.get("keyword")), str(spec.get("value"))
    container = spec.get("dict-keyword")
    values = sorted([*call.args, *(k.value for k in call.keywords)], key=lambda node: (node.lineno, node.col_offset))
    edit: Edit | None
    if container and _ast_last_name(call.func) in spec.get("dict-keyword-callees", []):
        present = next((k for k in call.keywords if k.arg == container), None)
        if present is None:
            edit = _appended_text(source, call, values, f'{container}={{"{keyword}": {value}}}')
        elif isinstance(present.value, ast.Dict):
            display = present.value
            if any(key is None for key in display.keys):
                return None  # a **mapping inside: pinlint cannot see what it holds
            entry = next(
                (v for k, v in zip(display.keys, display.values, strict=True) if _ast_string(k) == keyword), None
            )
            if entry is not None:
                edit = _replaced_text(source, entry, value)
            else:
                first_key = display.keys[0] if display.keys else None
                single = first_key is not None and source.ast_text(first_key).startswith("'")
                quote = "'" if single else '"'
                edit = _appended_text(source, display, display.values, f"{quote}{keyword}{quote}: {value}")
        else:
            return None
    else:
        present = next((k for k in call.keywords if k.arg == keyword), None)
        if present is None:
            edit = _appended_text(source, call, values, f"{keyword}={value}")
        else:
            edit = _replaced_text(source, present.value, value)
    if edit is None or not _still_parses(source, call, edit):
        return None
    return Autofix(spec.title, str(spec.get("applicability")), (edit,))


def _still_parses(source: PythonSource, call: ast.Call, edit: Edit) -> bool:
    """Whether the call's text with ``edit`` applied is still one expression (checked on the call
    alone: a parse of the whole module per fix would cost what the ast reuse saved)."""
    call_span, edit_span = source.ast_span(call), source.file.span(edit)
    if call_span is None or edit_span is None or not call_span[0] <= edit_span[0] <= edit_span[1] <= call_span[1]:
        return False
    text = source.file.text
    changed = text[call_span[0] : edit_span[0]] + edit.content + text[edit_span[1] : call_span[1]]
    try:
        ast.parse(f"(\n{changed}\n)", mode="eval")
    except (SyntaxError, ValueError):
        return False
    return True


def _ast_last_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _ast_string(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _replaced_text(source: PythonSource, node: ast.expr, text: str) -> Edit | None:
    span = source.ast_span(node)
    return None if span is None else source.file.edit(span[0], span[1], text)


def _after_blanks(text: str, offset: int, end: int) -> int:
    """The offset of the first character at or after ``offset`` that is not a blank, a line break,
    a backslash continuation or a comment."""
    while offset < end:
        character = text[offset]
        if character in " \t\f\r\n\\":
            offset += 1
        elif character == "#":
            while offset < end and text[offset] not in "\r\n":
                offset += 1
        else:
            break
    return offset


def _appended_text(
    source: PythonSource, container: ast.expr, values: Sequence[ast.expr | None], item: str
) -> Edit | None:
    """The edit that appends ``item`` to a call's arguments or a dict's entries (``values`` are
    their values, in order), written as the others are: after ``, `` on the same line; with a
    trailing comma on a line of its own (at the last item's indentation) when the closing bracket
    is alone on its line, else after the comma."""
    file, text = source.file, source.file.text
    span = source.ast_span(container)
    if span is None or span[1] < 1 or text[span[1] - 1] not in ")}":
        return None
    close = span[1] - 1
    if not values:
        return file.edit(close, close, item)
    last = source.ast_span(values[-1]) if values[-1] is not None else None
    if last is None:
        return None
    after = _after_blanks(text, last[1], close)
    if after >= close:  # no trailing comma
        return file.edit(last[1], last[1], f", {item}")
    if text[after] != ",":
        return None
    line_start = max(text.rfind("\n", 0, close), text.rfind("\r", 0, close)) + 1
    if text[line_start:close].strip() or ("\n" not in text[after:close] and "\r" not in text[after:close]):
        return file.edit(after + 1, after + 1, f" {item},")
    value_line = max(text.rfind("\n", 0, last[0]), text.rfind("\r", 0, last[0])) + 1
    indent = text[value_line : value_line + len(text[value_line:]) - len(text[value_line:].lstrip(" \t"))]
    newline = "\r\n" if text[line_start - 2 : line_start] == "\r\n" else text[line_start - 1]
    return file.edit(line_start, line_start, f"{indent}{item},{newline}")


def cache_connection(spec: FixSpec, finding: Finding, source: PythonSource) -> Autofix | None:
    """``conn = factory(...)`` in a module-level function -> ``conn = _get_conn()``, with the
    connection made once into a module global by ``_get_conn`` (defined above the function).
    Only for that simple shape: the assignment is a statement of the function's own body, the
    call reads no name of the function (a parameter or a local), and the function never closes
    the connection, uses it in ``with`` or deletes it (all of which a cached one must outlive)."""
    import libcst as cst

    call = source.call_at(finding.line, finding.column)
    parsed = source._parsed
    if call is None or parsed is None:
        return None
    module, _ = parsed
    for function in module.body:
        if not isinstance(function, cst.FunctionDef) or not isinstance(function.body, cst.IndentedBlock):
            continue
        for statement in function.body.body:
            if _assigns_call(statement, call):
                return _cached(spec, source, module, function, statement, call)
    return None


def _names(node: Any) -> set[str]:
    """Every name written in ``node``'s text (read or bound)."""
    import libcst.matchers as m

    return {str(getattr(found, "value", "")) for found in m.findall(node, m.Name())}


def _assigns_call(statement: Any, call: Any) -> bool:
    import libcst as cst

    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    assign = statement.body[0]
    return (
        isinstance(assign, cst.Assign)
        and assign.value is call
        and len(assign.targets) == 1
        and isinstance(assign.targets[0].target, cst.Name)
    )


def _cached(
    spec: FixSpec, source: PythonSource, module: Any, function: Any, statement: Any, call: Any
) -> Autofix | None:
    import libcst as cst
    import libcst.matchers as m

    name = statement.body[0].targets[0].target.value
    bound = {param.name.value for param in function.params.params}
    bound |= {param.name.value for param in (*function.params.posonly_params, *function.params.kwonly_params)}
    for star in (function.params.star_arg, function.params.star_kwarg):
        if isinstance(star, cst.Param):
            bound.add(star.name.value)
    found: Any
    for found in m.findall(function.body, m.Assign() | m.AnnAssign() | m.AugAssign() | m.For() | m.AsName()):
        if isinstance(found, cst.Assign):
            bound |= {bound_name for target in found.targets for bound_name in _names(target.target)}
        else:
            bound |= _names(found.name if isinstance(found, cst.AsName) else found.target)
    read = _names(call)
    if name in read or read & bound:
        return None
    closes = m.Call(func=m.Attribute(value=m.Name(name), attr=m.Name("close")))
    in_with = m.WithItem(item=m.Name(name))
    deleted = m.Del(target=m.Name(name))
    assigned = [
        node
        for node in m.findall(function, m.Assign())
        if any(_names(target.target) == {name} for target in getattr(node, "targets", ()))
    ]
    if m.findall(function, closes | in_with | deleted) or len(assigned) != 1:
        return None
    cache, getter = f"_{name}", f"_get_{name}"
    taken = _names(module)
    if cache in taken or getter in taken:
        return None
    code = (
        f"{cache} = None\n\n\n"
        f"def {getter}():\n"
        f"    global {cache}\n"
        f"    if {cache} is None:\n"
        f"        {cache} = {source.code(call)}\n"
        f"    return {cache}\n"
    )
    try:
        added = list(cst.parse_module(code).body)
    except cst.ParserSyntaxError:
        return None
    blank = [line for line in function.leading_lines if line.comment is None]
    added[0] = added[0].with_changes(leading_lines=blank)
    two = [cst.EmptyLine(), cst.EmptyLine()]
    added[1] = added[1].with_changes(leading_lines=two)
    comments = function.leading_lines[len(blank) :] if len(blank) < len(function.leading_lines) else []
    new_function = function.deep_replace(call, cst.Call(func=cst.Name(getter))).with_changes(
        leading_lines=[*two, *comments]
    )
    body = []
    for node in module.body:
        body.extend([*added, new_function] if node is function else [node])
    text = module.with_changes(body=body).code
    edit = minimal_edit(source.file.text, text, source.file)
    return Autofix(spec.title, "unsafe", (edit,)) if edit is not None else None


PYTHON_FIXERS = {"add-keyword": add_keyword, "cache-connection": cache_connection}
