"""Python fixes, through libcst: the call a finding is on is rewritten as a node, the module is
printed again, and the fix is the one edit between the old and the new text (so comments,
formatting and the rest of the file stay as they were, and the result is Python libcst parsed).

Action ``add-keyword`` (rule files' ``[autofix]``, see ``schema``): add ``keyword=value`` to the
call (or replace the value it has); for the callees listed in ``dict-keyword-callees`` (psycopg's
pools, which take connection options in ``kwargs={...}``) the key goes into that dict, which is
added when the call has none. A call with ``**options``, or whose dict argument is not a dict
display, gets no fix: pinlint cannot see what it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from pinlint.fix.schema import FixSpec
from pinlint.fix.text import FileText, minimal_edit
from pinlint.model import Autofix, Edit, Finding


class PythonSource:
    """A Python file's text, parsed by libcst (with positions) the first time a fix asks."""

    def __init__(self, file: FileText) -> None:
        self.file = file

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

    def call_at(self, line: int, column: int) -> Any | None:
        """The innermost call whose text holds the 1-based (line, column)."""
        import libcst as cst

        parsed = self._parsed
        if parsed is None:
            return None
        _, positions = parsed
        best = None
        best_size: tuple[int, int] | None = None
        where = (line, column - 1)
        for node, span in positions.items():
            if not isinstance(node, cst.Call):
                continue
            start, end = (span.start.line, span.start.column), (span.end.line, span.end.column)
            if start <= where < end:
                size = (end[0] - start[0], end[1] - start[1])
                if best_size is None or size < best_size:
                    best, best_size = node, size
        return best

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
    passed as a parameter), in the same function; a block it is alone in keeps a ``pass``."""
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


def _appended(items: Sequence[Any], new: Any, opening: Any) -> list[Any]:
    """``items`` (arguments or dict elements) with ``new`` appended, written as the others are:
    on a line of its own, at their indentation, when the last one ends its line (with its comment,
    which stays on that line); with the trailing comma moved to it when there is one."""
    import libcst as cst

    items = list(items)
    if not items:
        return [new]
    last = items[-1]
    comma = last.comma
    space = cst.SimpleWhitespace(" ")
    if not isinstance(comma, cst.Comma):
        items[-1] = last.with_changes(comma=cst.Comma(whitespace_after=space))
        return [*items, new]
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace):  # the last item ends its line
        before = items[-2].comma.whitespace_after if len(items) > 1 else opening
        indent = before.last_line if isinstance(before, cst.ParenthesizedWhitespace) else after.last_line
        items[-1] = last.with_changes(comma=comma.with_changes(whitespace_after=after.with_changes(last_line=indent)))
        closing = cst.ParenthesizedWhitespace(indent=after.indent, last_line=after.last_line)
        return [*items, new.with_changes(comma=cst.Comma(whitespace_after=closing))]
    items[-1] = last.with_changes(comma=cst.Comma(whitespace_after=space))
    return [*items, new.with_changes(comma=comma)]


def _with_argument(call: Any, argument: Any) -> Any:
    return call.with_changes(args=_appended(call.args, argument, call.whitespace_before_args))


def _with_dict_key(display: Any, key: str, value: Any) -> Any:
    """The dict display with ``key: value`` set (replaced when present, else appended)."""
    import libcst as cst

    elements = list(display.elements)
    for index, element in enumerate(elements):
        if isinstance(element, cst.DictElement) and _string_value(element.key) == key:
            elements[index] = element.with_changes(value=value)
            return display.with_changes(elements=elements)
    single = any(
        isinstance(element, cst.DictElement) and getattr(element.key, "value", "").startswith("'")
        for element in elements
    )
    quote = "'" if single else '"'
    new = cst.DictElement(cst.SimpleString(f"{quote}{key}{quote}"), value)
    closing = display.rbrace.whitespace_before
    if elements and isinstance(elements[-1].comma, cst.Comma) and isinstance(closing, cst.ParenthesizedWhitespace):
        # a dict written one key per line keeps the line break (and comment) before its `}`
        before = elements[-2].comma.whitespace_after if len(elements) > 1 else display.lbrace.whitespace_after
        indent = before.last_line if isinstance(before, cst.ParenthesizedWhitespace) else closing.last_line
        elements[-1] = elements[-1].with_changes(
            comma=elements[-1].comma.with_changes(whitespace_after=closing.with_changes(last_line=indent))
        )
        brace = display.rbrace.with_changes(
            whitespace_before=cst.ParenthesizedWhitespace(indent=closing.indent, last_line=closing.last_line)
        )
        return display.with_changes(elements=[*elements, new.with_changes(comma=cst.Comma())], rbrace=brace)
    return display.with_changes(elements=_appended(elements, new, display.lbrace.whitespace_after))


def add_keyword(spec: FixSpec, finding: Finding, source: PythonSource) -> Autofix | None:
    import libcst as cst

    call = source.call_at(finding.line, finding.column)
    if call is None or any(argument.star for argument in call.args):
        return None
    keyword = str(spec.get("keyword"))
    try:
        value = cst.parse_expression(str(spec.get("value")))
    except cst.ParserSyntaxError:
        return None
    container = spec.get("dict-keyword")
    arguments: Sequence[Any] = call.args
    if container and _last_name(call.func) in spec.get("dict-keyword-callees", []):
        present = next((a for a in arguments if a.keyword is not None and a.keyword.value == container), None)
        if present is None:
            display = cst.Dict([cst.DictElement(cst.SimpleString(f'"{keyword}"'), value)])
            new_call = _with_argument(call, cst.Arg(display, keyword=cst.Name(container), equal=_equal()))
        elif isinstance(present.value, cst.Dict):
            updated = present.with_changes(value=_with_dict_key(present.value, keyword, value))
            new_call = call.with_changes(args=[updated if a is present else a for a in arguments])
        else:
            return None
    else:
        present = next((a for a in arguments if a.keyword is not None and a.keyword.value == keyword), None)
        if present is None:
            new_call = _with_argument(call, cst.Arg(value, keyword=cst.Name(keyword), equal=_equal()))
        else:
            new_call = call.with_changes(args=[a.with_changes(value=value) if a is present else a for a in arguments])
    text = source.replaced(call, new_call)
    edit = minimal_edit(source.file.text, text, source.file) if text is not None else None
    if edit is None:
        return None
    return Autofix(spec.title, str(spec.get("applicability")), (edit,))


def _equal() -> Any:
    import libcst as cst

    return cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


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
