"""libcst's tree of a file as ``ast`` nodes, for syntax newer than the running interpreter.

CPython's ``ast`` on 3.11 rejects a 3.12 ``type`` statement or a PEP 701 f-string, and every
version before 3.14 rejects PEP 758's ``except A, B:``; libcst's parser reads them all. The nodes
built here carry ``ast``'s positions (1-based lines, UTF-8 byte columns, end positions), so the one
model builder (``pinlint.pymodel``) and every reader of the model work on such a file unchanged.

What the readers look at is converted exactly: statements and their blocks, names, attributes,
calls and their arguments, literals of every kind (an f-string as a ``JoinedStr`` over the whole
literal), operators, comprehensions, lambdas, subscripts, assignments and their targets
(``Store`` context), imports, function parameters and decorators. Two shapes have no 3.11 node and
are given their nearest one: ``type X = v`` is ``X = v``, and a ``match`` statement is an ``if``
per case (the subject as its test), so the calls in its cases are still read. An expression of a
kind not listed becomes a ``None`` constant at its place.
"""

from __future__ import annotations

import ast
from typing import Any

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from pinlint.source import LineIndex

_OPERATORS = {
    "Add": ast.Add,
    "Subtract": ast.Sub,
    "Multiply": ast.Mult,
    "Divide": ast.Div,
    "FloorDivide": ast.FloorDiv,
    "Modulo": ast.Mod,
    "Power": ast.Pow,
    "LeftShift": ast.LShift,
    "RightShift": ast.RShift,
    "BitOr": ast.BitOr,
    "BitAnd": ast.BitAnd,
    "BitXor": ast.BitXor,
    "MatrixMultiply": ast.MatMult,
}
_UNARY = {"Not": ast.Not, "Minus": ast.USub, "Plus": ast.UAdd, "BitInvert": ast.Invert}
_COMPARE = {
    "Equal": ast.Eq,
    "NotEqual": ast.NotEq,
    "LessThan": ast.Lt,
    "LessThanEqual": ast.LtE,
    "GreaterThan": ast.Gt,
    "GreaterThanEqual": ast.GtE,
    "In": ast.In,
    "NotIn": ast.NotIn,
    "Is": ast.Is,
    "IsNot": ast.IsNot,
}
_KEYWORD_CONSTANTS = {"True": True, "False": False, "None": None}
_LOAD, _STORE, _DEL = ast.Load(), ast.Store(), ast.Del()
_BRACKETS = "()[]{}"


def _too_deep(source: str, limit: int) -> bool:
    """Brackets nested deeper than ``limit``: libcst's native parser can overflow the stack."""
    depth = deepest = 0
    for char in source:
        if char in _BRACKETS:
            depth += 1 if char in "([{" else -1
            deepest = max(deepest, depth)
    return deepest > limit


def convert_source(source: str, max_nesting: int) -> ast.Module | None:
    """``source`` parsed by libcst, as an ``ast.Module``; None when libcst cannot read it either."""
    if _too_deep(source, max_nesting):
        return None
    try:
        module = cst.parse_module(source)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
        return _Converter(positions, LineIndex(source)).module(wrapper.module)
    except Exception:  # the boundary around libcst: whatever it raises (ParserSyntaxError, or
        return None  # CSTValidationError for `"a" b"b"`), the file is one CPython cannot read


class _Converter:
    def __init__(self, positions: Any, lines: LineIndex) -> None:
        self.positions = positions
        self.lines = lines

    def _at(self, node: Any, source: cst.CSTNode) -> Any:
        where: CodeRange | None = self.positions.get(source)
        if where is not None:
            node.lineno = where.start.line
            node.col_offset = self.lines.byte_offset(where.start.line, where.start.column)
            node.end_lineno = where.end.line
            node.end_col_offset = self.lines.byte_offset(where.end.line, where.end.column)
        return node

    # --- statements ------------------------------------------------------------------------
    def module(self, node: cst.Module) -> ast.Module:
        return ast.Module(body=self.block(node.body), type_ignores=[])

    def block(self, body: Any) -> list[ast.stmt]:
        if isinstance(body, cst.IndentedBlock | cst.SimpleStatementSuite):
            body = body.body
        statements: list[ast.stmt] = []
        for item in body:
            if isinstance(item, cst.SimpleStatementLine | cst.SimpleStatementSuite):
                statements.extend(self.statement(small) for small in item.body)
            else:
                statements.extend(self.compound(item))
        return statements or [ast.Pass()]

    def statement(self, node: cst.BaseSmallStatement) -> ast.stmt:
        made: ast.stmt
        if isinstance(node, cst.Expr):
            made = ast.Expr(self.expr(node.value))
        elif isinstance(node, cst.Assign):
            made = ast.Assign([self.expr(t.target, _STORE) for t in node.targets], self.expr(node.value))
        elif isinstance(node, cst.AnnAssign):
            value = self.expr(node.value) if node.value is not None else None
            target = self.expr(node.target, _STORE)
            made = ast.AnnAssign(
                target, self.expr(node.annotation.annotation), value, int(isinstance(target, ast.Name))
            )
        elif isinstance(node, cst.AugAssign):
            operator = _OPERATORS.get(type(node.operator).__name__.removesuffix("Assign"), ast.Add)()
            made = ast.AugAssign(self.expr(node.target, _STORE), operator, self.expr(node.value))
        elif isinstance(node, cst.Return):
            made = ast.Return(self.expr(node.value) if node.value is not None else None)
        elif isinstance(node, cst.Raise):
            cause = self.expr(node.cause.item) if node.cause is not None else None
            made = ast.Raise(self.expr(node.exc) if node.exc is not None else None, cause)
        elif isinstance(node, cst.Assert):
            made = ast.Assert(self.expr(node.test), self.expr(node.msg) if node.msg is not None else None)
        elif isinstance(node, cst.Del):
            made = ast.Delete([self.expr(node.target, _DEL)])
        elif isinstance(node, cst.Global):
            made = ast.Global([item.name.value for item in node.names])
        elif isinstance(node, cst.Nonlocal):
            made = ast.Nonlocal([item.name.value for item in node.names])
        elif isinstance(node, cst.Import):
            made = ast.Import([self.alias(alias) for alias in node.names])
        elif isinstance(node, cst.ImportFrom):
            names = [ast.alias("*")] if isinstance(node.names, cst.ImportStar) else [self.alias(a) for a in node.names]
            module = _dotted(node.module) if node.module is not None else None
            made = ast.ImportFrom(module, names, len(node.relative))
        elif isinstance(node, cst.TypeAlias):
            made = ast.Assign([self.expr(node.name, _STORE)], self.expr(node.value))
        elif isinstance(node, cst.Break):
            made = ast.Break()
        elif isinstance(node, cst.Continue):
            made = ast.Continue()
        else:
            made = ast.Pass()
        return self._at(made, node)  # type: ignore[no-any-return]

    def alias(self, node: cst.ImportAlias) -> ast.alias:
        asname = node.asname.name if node.asname is not None else None
        made = ast.alias(_dotted(node.name), asname.value if isinstance(asname, cst.Name) else None)
        return self._at(made, node)  # type: ignore[no-any-return]

    def orelse(self, node: Any) -> list[ast.stmt]:
        if node is None:
            return []
        if isinstance(node, cst.If):
            return self.compound(node)
        return self.block(node.body)

    def compound(self, node: cst.BaseCompoundStatement) -> list[ast.stmt]:
        made: ast.stmt
        if isinstance(node, cst.If):
            made = ast.If(self.expr(node.test), self.block(node.body), self.orelse(node.orelse))
        elif isinstance(node, cst.While):
            made = ast.While(self.expr(node.test), self.block(node.body), self.orelse(node.orelse))
        elif isinstance(node, cst.For):
            loop = ast.AsyncFor if node.asynchronous is not None else ast.For
            made = loop(
                self.expr(node.target, _STORE), self.expr(node.iter), self.block(node.body), self.orelse(node.orelse)
            )
        elif isinstance(node, cst.With):
            items = [
                ast.withitem(
                    self.expr(item.item), self.expr(item.asname.name, _STORE) if item.asname is not None else None
                )
                for item in node.items
            ]
            made = (ast.AsyncWith if node.asynchronous is not None else ast.With)(items, self.block(node.body))
        elif isinstance(node, cst.Try | cst.TryStar):
            handlers = [self.handler(handler) for handler in node.handlers]
            finalbody = self.block(node.finalbody.body) if node.finalbody is not None else []
            try_kind: Any = ast.Try if isinstance(node, cst.Try) else getattr(ast, "TryStar", ast.Try)
            made = try_kind(self.block(node.body), handlers, self.orelse(node.orelse), finalbody)
        elif isinstance(node, cst.FunctionDef):
            definition = ast.AsyncFunctionDef if node.asynchronous is not None else ast.FunctionDef
            made = definition(
                node.name.value,
                self.parameters(node.params),
                self.block(node.body),
                [self.expr(decorator.decorator) for decorator in node.decorators],
                self.expr(node.returns.annotation) if node.returns is not None else None,
            )
        elif isinstance(node, cst.ClassDef):
            made = ast.ClassDef(
                node.name.value,
                [self.expr(arg.value) for arg in node.bases],
                [self.keyword(arg) for arg in node.keywords],
                self.block(node.body),
                [self.expr(decorator.decorator) for decorator in node.decorators],
            )
        elif isinstance(node, cst.Match):
            subject = self.expr(node.subject)
            return [self._at(ast.If(subject, self.block(case.body), []), case) for case in node.cases]
        else:
            made = ast.Pass()
        return [self._at(made, node)]

    def handler(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> ast.excepthandler:
        name = node.name.name if node.name is not None else None
        made = ast.ExceptHandler(
            self.expr(node.type) if node.type is not None else None,
            name.value if isinstance(name, cst.Name) else None,
            self.block(node.body),
        )
        return self._at(made, node)  # type: ignore[no-any-return]

    def parameters(self, node: cst.Parameters) -> ast.arguments:
        def arg(param: cst.Param) -> ast.arg:
            annotation = self.expr(param.annotation.annotation) if param.annotation is not None else None
            return self._at(ast.arg(param.name.value, annotation), param)  # type: ignore[no-any-return]

        positional = [*node.posonly_params, *node.params]
        defaults = [self.expr(param.default) for param in positional if param.default is not None]
        star = node.star_arg
        return ast.arguments(
            posonlyargs=[arg(param) for param in node.posonly_params],
            args=[arg(param) for param in node.params],
            vararg=arg(star) if isinstance(star, cst.Param) else None,
            kwonlyargs=[arg(param) for param in node.kwonly_params],
            kw_defaults=[self.expr(p.default) if p.default is not None else None for p in node.kwonly_params],
            kwarg=arg(node.star_kwarg) if node.star_kwarg is not None else None,
            defaults=defaults,
        )

    def keyword(self, node: cst.Arg) -> ast.keyword:
        made = ast.keyword(node.keyword.value if node.keyword is not None else None, self.expr(node.value))
        return self._at(made, node)  # type: ignore[no-any-return]

    # --- expressions -----------------------------------------------------------------------
    def expr(self, node: Any, ctx: ast.expr_context = _LOAD) -> Any:
        made = self._at(self._expr(node, ctx), node)
        if isinstance(node, cst.Tuple | cst.GeneratorExp) and node.lpar and hasattr(made, "lineno"):
            self._widen_to_parentheses(made)  # CPython counts a tuple's own parentheses as part of it
        return made

    def _widen_to_parentheses(self, node: Any) -> None:
        lines = self.lines
        text = lines.text
        start = lines.offset(node.lineno, lines.column(node.lineno, node.col_offset))
        end = lines.offset(node.end_lineno, lines.column(node.end_lineno, node.end_col_offset))
        before, after = start - 1, end
        while before >= 0 and text[before] in " \t\f\r\n\\":
            before -= 1
        while after < len(text) and text[after] in " \t\f\r\n\\":
            after += 1
        if before >= 0 and text[before] == "(" and after < len(text) and text[after] == ")":
            line, column = lines.position(before)
            node.lineno, node.col_offset = line, lines.byte_offset(line, column)
            line, column = lines.position(after + 1)
            node.end_lineno, node.end_col_offset = line, lines.byte_offset(line, column)

    def _expr(self, node: Any, ctx: ast.expr_context) -> ast.expr:
        if isinstance(node, cst.Name):
            if node.value in _KEYWORD_CONSTANTS:
                return ast.Constant(_KEYWORD_CONSTANTS[node.value])
            return ast.Name(node.value, ctx)
        if isinstance(node, cst.Attribute):
            return ast.Attribute(self.expr(node.value), node.attr.value, ctx)
        if isinstance(node, cst.Call):
            args = [
                self.expr(arg.value) if not arg.star else self.starred(arg)
                for arg in node.args
                if arg.keyword is None and arg.star != "**"
            ]
            keywords = [self.keyword(arg) for arg in node.args if arg.keyword is not None or arg.star == "**"]
            return ast.Call(self.expr(node.func), args, keywords)
        if isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.FormattedString | cst.TemplatedString):
            return self.string(node)
        if isinstance(node, cst.Integer | cst.Float | cst.Imaginary):
            return ast.Constant(_number(node))
        if isinstance(node, cst.Ellipsis):
            return ast.Constant(...)
        if isinstance(node, cst.BinaryOperation):
            operator = _OPERATORS.get(type(node.operator).__name__, ast.Add)()
            return ast.BinOp(self.expr(node.left), operator, self.expr(node.right))
        if isinstance(node, cst.BooleanOperation):
            boolean: ast.boolop = ast.And() if isinstance(node.operator, cst.And) else ast.Or()
            return ast.BoolOp(boolean, [self.expr(node.left), self.expr(node.right)])
        if isinstance(node, cst.UnaryOperation):
            return ast.UnaryOp(_UNARY.get(type(node.operator).__name__, ast.Not)(), self.expr(node.expression))
        if isinstance(node, cst.Comparison):
            ops = [_COMPARE.get(type(target.operator).__name__, ast.Eq)() for target in node.comparisons]
            return ast.Compare(self.expr(node.left), ops, [self.expr(t.comparator) for t in node.comparisons])
        if isinstance(node, cst.IfExp):
            return ast.IfExp(self.expr(node.test), self.expr(node.body), self.expr(node.orelse))
        if isinstance(node, cst.Lambda):
            return ast.Lambda(self.parameters(node.params), self.expr(node.body))
        if isinstance(node, cst.Dict):
            keys: list[ast.expr | None] = []
            values = []
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    keys.append(self.expr(element.key))
                    values.append(self.expr(element.value))
                else:
                    keys.append(None)
                    values.append(self.expr(element.value))
            return ast.Dict(keys, values)
        if isinstance(node, cst.List | cst.Tuple | cst.Set):
            elements = [
                self.starred(element, ctx) if isinstance(element, cst.StarredElement) else self.expr(element.value, ctx)
                for element in node.elements
            ]
            if isinstance(node, cst.Set):
                return ast.Set(elements)
            return (ast.List if isinstance(node, cst.List) else ast.Tuple)(elements, ctx)
        if isinstance(node, cst.ListComp | cst.SetComp | cst.GeneratorExp):
            comprehension: Any = {cst.ListComp: ast.ListComp, cst.SetComp: ast.SetComp}.get(
                type(node), ast.GeneratorExp
            )
            made: ast.expr = comprehension(self.expr(node.elt), self.generators(node.for_in))
            return made
        if isinstance(node, cst.DictComp):
            return ast.DictComp(self.expr(node.key), self.expr(node.value), self.generators(node.for_in))
        if isinstance(node, cst.Subscript):
            slices = [self.subscript(element.slice) for element in node.slice]
            index = slices[0] if len(slices) == 1 else ast.Tuple(slices, _LOAD)
            return ast.Subscript(self.expr(node.value), index, ctx)
        if isinstance(node, cst.Await):
            return ast.Await(self.expr(node.expression))
        if isinstance(node, cst.Yield):
            value = node.value
            if isinstance(value, cst.From):
                return ast.YieldFrom(self.expr(value.item))
            return ast.Yield(self.expr(value) if value is not None else None)
        if isinstance(node, cst.NamedExpr):
            return ast.NamedExpr(self.expr(node.target, _STORE), self.expr(node.value))
        if isinstance(node, cst.StarredElement):
            return ast.Starred(self.expr(node.value, ctx), ctx)
        return ast.Constant(None)

    def starred(self, node: Any, ctx: ast.expr_context = _LOAD) -> ast.Starred:
        return self._at(ast.Starred(self.expr(node.value, ctx), ctx), node)  # type: ignore[no-any-return]

    def subscript(self, node: Any) -> ast.expr:
        if isinstance(node, cst.Slice):
            made = ast.Slice(
                self.expr(node.lower) if node.lower is not None else None,
                self.expr(node.upper) if node.upper is not None else None,
                self.expr(node.step) if isinstance(node.step, cst.BaseExpression) else None,
            )
            return self._at(made, node)  # type: ignore[no-any-return]
        return self.expr(node.value)  # type: ignore[no-any-return]

    def generators(self, node: cst.CompFor | None) -> list[ast.comprehension]:
        found = []
        while node is not None:
            ifs = [self.expr(condition.test) for condition in node.ifs]
            is_async = int(node.asynchronous is not None)
            found.append(ast.comprehension(self.expr(node.target, _STORE), self.expr(node.iter), ifs, is_async))
            node = node.inner_for_in
        return found

    def string(self, node: Any) -> ast.expr:
        """A literal (implicit concatenation included) as one node over all of it: a Constant when
        no part is an f-string, else a JoinedStr of its text parts and replacement fields."""
        parts: list[ast.expr] = []
        self._string_parts(node, parts)
        if all(isinstance(part, ast.Constant) for part in parts):
            values = [part.value for part in parts if isinstance(part, ast.Constant)]
            if values and all(isinstance(value, bytes) for value in values):
                return ast.Constant(b"".join(value for value in values if isinstance(value, bytes)))
            return ast.Constant("".join(str(value) for value in values))
        return ast.JoinedStr(parts)

    def _string_parts(self, node: Any, parts: list[ast.expr]) -> None:
        if isinstance(node, cst.ConcatenatedString):
            self._string_parts(node.left, parts)
            self._string_parts(node.right, parts)
        elif isinstance(node, cst.SimpleString):
            try:
                value: str | bytes = node.evaluated_value
            except (ValueError, SyntaxError, UnicodeError):
                value = node.raw_value
            parts.append(self._at(ast.Constant(value), node))
        elif isinstance(node, cst.FormattedString | cst.TemplatedString):
            # a t-string (PEP 750: psycopg 3.3 sends its fields as parameters) reads as an f-string
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText | cst.TemplatedStringText):
                    parts.append(self._at(ast.Constant(part.value), part))
                elif isinstance(part, cst.FormattedStringExpression | cst.TemplatedStringExpression):
                    conversion = ord(part.conversion) if part.conversion else -1
                    field = ast.FormattedValue(self.expr(part.expression), conversion, None)
                    parts.append(self._at(field, part))


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _number(node: cst.Integer | cst.Float | cst.Imaginary) -> int | float | complex:
    text = node.value.replace("_", "")
    try:
        if isinstance(node, cst.Integer):
            return int(text, 0)
        if isinstance(node, cst.Float):
            return float(text)
        return complex(text)
    except ValueError:
        return 0
