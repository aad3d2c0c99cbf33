"""Calls of the RDS Data API in one Python module, read from its model (``pinlint.pymodel``).

A call counts only when its receiver traces to an ``rds-data`` client: ``boto3.client("rds-data")``,
``session.client("rds-data")`` (boto3, aioboto3, also ``async with ... as client``), aiobotocore's
``create_client("rds-data")``, or a parameter annotated with a ``mypy_boto3_rds_data`` type. The
receiver is a name (bound in the call's function, the functions around it or the module), an
attribute set anywhere in the module (``self.client = boto3.client("rds-data")``), or the client
call itself. So an unrelated ``.execute_statement()`` stays out.

Each ``DataApiCall`` carries its keywords (names and places), and for ``execute_statement`` and
``batch_execute_statement`` the ``sql=`` fragment that the SQL reader (``pinlint.extract.python``)
read, split into statements the usual way. A ``begin_transaction`` call also says where its
transaction id goes: kept at module scope (it outlives the invocation), and whether the function
ends the transaction on every path (a ``commit_transaction``/``rollback_transaction`` in a
``finally``, or a commit with a rollback in an ``except`` handler).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from pinlint.bindings import PARAMETER, Binding, dotted_name
from pinlint.model import Fragment
from pinlint.pymodel import PythonModule
from pinlint.sql.statements import Statement, split_statements

SERVICE = "rds-data"
STATEMENT_METHODS = frozenset({"execute_statement", "batch_execute_statement"})
TRANSACTION_ENDS = frozenset({"commit_transaction", "rollback_transaction"})
DATA_API_METHODS = STATEMENT_METHODS | TRANSACTION_ENDS | {"begin_transaction", "execute_sql"}
CLIENT_FACTORIES = frozenset({"client", "create_client"})  # boto3/aioboto3 sessions, aiobotocore
TYPED_CLIENT_MODULE = "mypy_boto3_rds_data"
TEXT_MARKERS = ("rds-data", "rds_data")  # a module without either cannot make or type such a client
# Calls that read a transaction id without taking charge of it: logging it does not end it.
READERS = frozenset({"print", "str", "repr", "bool", "len", "format", "isinstance"})
LOGGING_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})

# where a transaction begun in a function is ended
EVERY_PATH = "every-path"  # in a ``finally``, or a commit plus a rollback in an ``except`` handler
SUCCESS_PATH = "success-path"  # ended, but an exception on the way skips it
NEVER = "never"  # no commit or rollback in the function
HANDED_OUT = "handed-out"  # the id is returned or passed on: its caller ends it (not judged)

Span = tuple[int, int, int, int]  # line, column, end line, end column (1-based, characters; end exclusive)


@dataclass(frozen=True)
class Transaction:
    """Where the id of one ``begin_transaction`` goes."""

    module_scope: str = ""  # how it is kept beyond one invocation ('' when it is not)
    ended: str = NEVER
    function: str = ""  # the function that begins it ('' at module level)


@dataclass
class DataApiCall:
    method: str
    display: str  # the callee as written, e.g. ``rds_data.execute_statement``
    span: Span  # the callee
    keywords: dict[str, Span] = field(default_factory=dict)  # keyword -> from its name to its value's end
    fragment: Fragment | None = None  # the ``sql=`` text, when the code shows it
    statements: list[Statement] = field(default_factory=list)
    transaction: Transaction | None = None  # begin_transaction only


@dataclass(frozen=True)
class DataApiHit:
    """Where a Data API check fired: a statement of the call's ``sql`` (offsets in the fragment), or
    a place in the Python code."""

    captures: dict[str, str]
    span: Span | None = None
    fragment: Fragment | None = None
    start: int = 0
    end: int = 0
    sql: str = ""


def _unwrap(value: ast.expr | None) -> ast.expr | None:
    while isinstance(value, ast.Await):
        value = value.value
    return value


def makes_data_api_client(value: ast.expr | None) -> bool:
    """Whether ``value`` is a call that makes an rds-data client (``boto3.client("rds-data")``,
    ``session.client(service_name="rds-data")``, ``create_client("rds-data")``)."""
    value = _unwrap(value)
    if isinstance(value, ast.IfExp):  # boto3.client("rds-data", region_name=r) if r else boto3.client("rds-data")
        return makes_data_api_client(value.body) and makes_data_api_client(value.orelse)
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in CLIENT_FACTORIES:
        return False
    service = value.args[0] if value.args else None
    for keyword in value.keywords:
        if keyword.arg == "service_name":
            service = keyword.value
    return isinstance(service, ast.Constant) and service.value == SERVICE


def _annotation_is_client(annotation: ast.expr | None, model: PythonModule) -> bool:
    if annotation is None:
        return False
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return TYPED_CLIENT_MODULE in annotation.value or "RDSDataServiceClient" in annotation.value
    return model.qualify(annotation).startswith(TYPED_CLIENT_MODULE + ".")


class _Module:
    def __init__(self, model: PythonModule, fragments: list[Fragment], dialect: str) -> None:
        self.model = model
        self.dialect = dialect
        self.returning: dict[str, bool] = {}  # module function -> it returns an rds-data client
        self.fragments: dict[tuple[int, str], Fragment] = {}
        for fragment in fragments:
            method = fragment.sink.rsplit(".", 1)[-1]
            if method in STATEMENT_METHODS:
                self.fragments.setdefault((fragment.sink_line, method), fragment)

    def _origin(self, binding: Binding) -> str:
        if binding.kind == PARAMETER:
            return SERVICE if _annotation_is_client(binding.annotation, self.model) else ""
        if self.makes_client(binding.value):
            return SERVICE
        value = binding.value
        return "" if value is None or (isinstance(value, ast.Constant) and value.value is None) else "other"

    def makes_client(self, value: ast.expr | None) -> bool:
        """A client factory's call, or the call of a module function that returns a client
        (``def get_client(): ... return _client``, the lazy global)."""
        if makes_data_api_client(value):
            return True
        value = _unwrap(value)
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)):
            return False
        return self._returns_client(value.func.id)

    def _returns_client(self, name: str) -> bool:
        if name in self.returning:
            return self.returning[name]
        self.returning[name] = False  # (a function that calls itself is not followed)
        function = next(
            (
                node
                for node in self.model.tree.body
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
            ),
            None,
        )
        returns = [node.value for node in ast.walk(function) if isinstance(node, ast.Return)] if function else []
        chain: tuple[ast.AST | None, ...] = (None, function)
        found = bool(returns) and all(value is not None and self.is_client(value, chain) for value in returns)
        self.returning[name] = found
        return found

    def is_client(self, receiver: ast.expr, chain: tuple[ast.AST | None, ...]) -> bool:
        """Whether ``receiver`` traces to an rds-data client (every binding pinlint sees makes one)."""
        scopes = self.model.scopes
        if isinstance(receiver, ast.Name):
            return scopes.origins(receiver.id, chain, self._origin) == {SERVICE}
        if isinstance(receiver, ast.Attribute) and dotted_name(receiver):
            return scopes.attribute_origins(dotted_name(receiver), self._origin) == {SERVICE}
        return self.makes_client(receiver)

    def span(self, node: ast.AST, start: ast.AST | None = None) -> Span:
        first = start or node
        line = getattr(first, "lineno", 1)
        end_line = getattr(node, "end_lineno", None) or line
        return (
            line,
            self.model.column(line, getattr(first, "col_offset", 0)),
            end_line,
            self.model.column(end_line, getattr(node, "end_col_offset", None)),
        )

    def call(self, node: ast.Call, chain: tuple[ast.AST | None, ...]) -> DataApiCall | None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr in DATA_API_METHODS):
            return None
        if not self.is_client(func.value, chain):
            return None
        dotted = dotted_name(func)
        found = DataApiCall(
            method=func.attr,
            display=dotted if dotted and dotted.count(".") <= 2 else f"….{func.attr}",
            span=self.span(func),
        )
        for keyword in node.keywords:
            if keyword.arg is not None:
                found.keywords[keyword.arg] = self.span(keyword.value, keyword)
        if func.attr in STATEMENT_METHODS:
            found.fragment = self.fragments.get((node.lineno, func.attr))
            if found.fragment is not None:
                found.statements = split_statements(found.fragment.text, dialect=self.dialect)
        return found


def _names_read(node: ast.AST) -> set[str]:
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)}


def _assigned_names(statement: ast.AST) -> list[ast.expr]:
    if isinstance(statement, ast.Assign):
        return list(statement.targets)
    if isinstance(statement, ast.AnnAssign | ast.AugAssign):
        return [statement.target]
    return []


class _Transactions:
    """Where the transaction ids of one function's (or the module's) ``begin_transaction`` calls go."""

    def __init__(self, module: _Module, calls: list[tuple[ast.Call, DataApiCall, ast.AST | None]]) -> None:
        self.module = module
        self.ends: dict[ast.AST | None, list[ast.Call]] = {}
        for node, call, function in calls:
            if call.method in TRANSACTION_ENDS:
                self.ends.setdefault(function, []).append(node)

    def judge(self, begin: ast.Call, function: ast.AST | None, parents: dict[ast.AST, ast.AST]) -> Transaction:
        tree = self.module.model.tree
        name = function.name if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) else ""
        if function is None:
            return Transaction(module_scope="begun at import", ended=EVERY_PATH, function="")
        ids = self._id_names(begin, function, parents)
        kept = self._kept_globally(begin, function, ids, parents, tree)
        if kept:
            return Transaction(module_scope=kept, ended=EVERY_PATH, function=name)
        if self._handed_out(begin, function, ids, parents):
            return Transaction(ended=HANDED_OUT, function=name)
        return Transaction(ended=self._ended(function, parents), function=name)

    def _id_names(self, begin: ast.Call, function: ast.AST, parents: dict[ast.AST, ast.AST]) -> set[str]:
        """The local names holding the begin call's result, or a value made from it (``tx["transactionId"]``)."""
        names: set[str] = set()
        statement = _statement_of(begin, parents)
        for target in _assigned_names(statement) if statement is not None else []:
            names |= _names_read(target) if isinstance(target, ast.Name | ast.Tuple) else set()
        if not names:
            return names
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and _names_read(node.value) & names:
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        names.add(target.id)
        return names

    def _kept_globally(
        self, begin: ast.Call, function: ast.AST, ids: set[str], parents: dict[ast.AST, ast.AST], tree: ast.Module
    ) -> str:
        globals_ = self.module.model.scopes.scope(function).globals
        if ids & globals_:
            return f"stored in the global `{sorted(ids & globals_)[0]}`"
        module_names = {
            target.id
            for statement in tree.body
            for target in _assigned_names(statement)
            if isinstance(target, ast.Name)
        }
        local = self.module.model.scopes.local_names(function)
        for node in ast.walk(function):
            if not isinstance(node, ast.Assign):
                continue
            if not (node.value is begin or _contains(node.value, begin) or _names_read(node.value) & ids):
                continue
            for target in node.targets:
                base = target
                while isinstance(base, ast.Attribute | ast.Subscript):
                    base = base.value
                if base is target or not isinstance(base, ast.Name):
                    continue
                if base.id in globals_ or (base.id in module_names and base.id not in local):
                    return f"stored in the module-level `{base.id}`"
        return ""

    def _handed_out(self, begin: ast.Call, function: ast.AST, ids: set[str], parents: dict[ast.AST, ast.AST]) -> bool:
        """The id leaves the function: returned, yielded, or passed to a call that is not the Data API."""
        for node in ast.walk(function):
            returned = node.value if isinstance(node, ast.Return | ast.Yield) else None
            if returned is not None and (_contains(returned, begin) or _names_read(returned) & ids):
                return True
            if isinstance(node, ast.Call) and node is not begin:
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr in DATA_API_METHODS | LOGGING_METHODS:
                    continue
                if isinstance(func, ast.Name) and func.id in READERS:
                    continue
                passed = [*node.args, *(keyword.value for keyword in node.keywords)]
                if any(_names_read(argument) & ids for argument in passed):
                    return True
        return False

    def _ended(self, function: ast.AST, parents: dict[ast.AST, ast.AST]) -> str:
        ends = self.ends.get(function, [])
        if not ends:
            return NEVER
        commits = False
        guarded = False
        for end in ends:
            method = end.func.attr if isinstance(end.func, ast.Attribute) else ""
            place = _guard_of(end, parents)
            if place == "finally":
                return EVERY_PATH
            if place == "except":
                guarded = True
            elif method == "commit_transaction":
                commits = True
        return EVERY_PATH if guarded and commits else SUCCESS_PATH


def _contains(tree: ast.AST, node: ast.AST) -> bool:
    return any(child is node for child in ast.walk(tree))


def _statement_of(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> ast.stmt | None:
    current: ast.AST | None = node
    while current is not None and not isinstance(current, ast.stmt):
        current = parents.get(current)
    return current if isinstance(current, ast.stmt) else None


def _guard_of(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str:
    """'finally' or 'except' when ``node`` runs in a ``finally`` block or an ``except`` handler, else ''."""
    child: ast.AST = node
    parent = parents.get(child)
    while parent is not None and not isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        if isinstance(parent, ast.ExceptHandler):
            return "except"
        if isinstance(parent, ast.Try) and any(child is statement for statement in parent.finalbody):
            return "finally"
        child, parent = parent, parents.get(parent)
    return ""


def mentions_data_api(source: str) -> bool:
    """The cheap test: a module that never writes ``rds-data`` or ``rds_data`` makes no such client."""
    return any(marker in source for marker in TEXT_MARKERS)


def data_api_calls(model: PythonModule, fragments: list[Fragment], dialect: str) -> list[DataApiCall]:
    """The Data API calls of ``model`` (see the module docstring); ``fragments`` are the SQL reader's
    fragments of the module, ``dialect`` the one its SQL is read in."""
    if not mentions_data_api(model.source):
        return []
    module = _Module(model, fragments, dialect)
    parents: dict[ast.AST, ast.AST] = {}
    found: list[tuple[ast.Call, DataApiCall, ast.AST | None]] = []
    stack: list[tuple[ast.AST, tuple[ast.AST | None, ...]]] = [(model.tree, (None,))]
    while stack:
        node, chain = stack.pop()
        if isinstance(node, ast.Call):
            call = module.call(node, chain)
            if call is not None:
                function = next((key for key in reversed(chain) if not isinstance(key, ast.ClassDef)), None)
                found.append((node, call, function))
        scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
        inner = (*chain, node) if isinstance(node, scope) else chain
        for child in ast.iter_child_nodes(node):
            parents[child] = node
            stack.append((child, inner))
    transactions = _Transactions(module, found)
    for node, call, function in found:
        if call.method == "begin_transaction":
            call.transaction = transactions.judge(node, function, parents)
    found.sort(key=lambda item: item[1].span)
    return [call for _, call, _ in found]
