"""Where the IAM authentication tokens of one Python module are made and where they go, read from
its model (``pinlint.pymodel``).

A token is the result of ``generate_db_auth_token(...)`` (boto3's RDS client; the method name is
specific enough to need no receiver tracing), or of a module function whose body returns one.
Two facts are read:

* ``import_time_tokens``: a token made at import (module level) whose name, or a module-level
  value built from it (a URL, a dict of connect arguments), reaches a pool or engine factory
  anywhere, or a connect call inside a function. Those open connections later, with a token
  that expires 15 minutes after import. In a module that defines a Lambda handler, a token made
  at import and stored in the environment (``os.environ["DB_PASSWORD"] = token``, ``.update``,
  ``.setdefault``, ``os.putenv``) counts too: whatever builds a pool or engine from the
  environment later, in this module or another, gets a token nothing refreshes; unless a handler
  (or a module function it calls) writes a fresh token to the same key.
* ``invocation_tokens``: a connect call that runs on every invocation of a Lambda handler
  (``pinlint.extract.handlers``) whose password is a token made in the same invocation, with
  what the code shows of the host: a literal (or a name bound to one, or an environment
  variable's literal default), and whether it names an RDS Proxy (``.proxy-`` in the host, or
  ``proxy`` in the name of the variable or environment key it comes from).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from pinlint.bindings import dotted_name
from pinlint.extract.handlers import connections_in_handlers
from pinlint.facts import TOKEN_METHOD
from pinlint.index.project import ProjectIndex
from pinlint.pymodel import PythonModule

PASSWORD_KEYWORDS = ("password", "passwd")
HOST_KEYWORDS = ("host", "DBHostname")
ENVIRONMENT_READS = frozenset({"os.environ.get", "os.getenv", "os.environ", "environ.get", "getenv"})
ENVIRONMENT_WRITES = frozenset({"os.environ.update", "os.environ.setdefault", "os.putenv", "os.environ.__setitem__"})
IN_ENVIRONMENT = (
    "the environment, where nothing refreshes it, and code that builds a pool or engine from there (in this"
    " module or another) reads it later"
)

Span = tuple[int, int, int, int]


@dataclass(frozen=True)
class TokenAtImport:
    span: Span  # the generate_db_auth_token call (or the call of the function that makes it)
    token: str  # " `name`": the module-level name holding it, as the message shows it after "its token"; "" unnamed
    user: str  # the factory that uses it, as written
    user_line: int
    later: str  # why that factory connects later


@dataclass(frozen=True)
class TokenPerInvocation:
    span: Span  # the connect call
    factory: str
    handler: str
    reason: str
    via: str
    host: str  # the host as the code shows it ('' when it does not)
    proxy: bool  # the host (or where it comes from) names an RDS Proxy


def _span(model: PythonModule, node: ast.AST) -> Span:
    line = getattr(node, "lineno", 1)
    end_line = getattr(node, "end_lineno", None) or line
    return (
        line,
        model.column(line, getattr(node, "col_offset", 0)),
        end_line,
        model.column(end_line, getattr(node, "end_col_offset", None)),
    )


def _calls_token_method(node: ast.AST) -> ast.Call | None:
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and child.func.attr == TOKEN_METHOD:
            return child
    return None


def _token_functions(model: PythonModule) -> set[str]:
    """Module functions that return a token: their body calls the method and returns something."""
    found = set()
    for node in model.tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or _calls_token_method(node) is None:
            continue
        if any(isinstance(child, ast.Return) and child.value is not None for child in ast.walk(node)):
            found.add(node.name)
    return found


def _token_call(value: ast.AST | None, token_functions: set[str]) -> ast.Call | None:
    """The call in ``value`` that makes a token: the method itself, or a token function's call."""
    if value is None:
        return None
    direct = _calls_token_method(value)
    if direct is not None:
        return direct
    for child in ast.walk(value):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and child.func.id in token_functions:
            return child
    return None


def _reads(node: ast.AST, names: Iterable[str]) -> str:
    wanted = set(names)
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and child.id in wanted:
            return child.id
    return ""


def _module_assignments(model: PythonModule) -> list[ast.Assign | ast.AnnAssign]:
    """Assignments that run at import: module-level statements, also inside ``if``/``try`` blocks."""
    return [
        statement
        for statement, in_function in model.statements
        if not in_function and isinstance(statement, ast.Assign | ast.AnnAssign) and statement.value is not None
    ]


def _target_names(statement: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return [target.id for target in targets if isinstance(target, ast.Name)]


def _runs_in_function(model: PythonModule, node: ast.AST) -> bool:
    for statement, in_function in model.statements:
        if in_function and any(child is node for child in ast.walk(statement)):
            return True
    return False


def _environment_write(model: PythonModule, statement: ast.stmt) -> tuple[str, str, ast.AST] | None:
    """(the key, where it goes as the message shows it, the value written) when ``statement``
    writes to the environment: ``os.environ["K"] = v``, ``os.environ.update(K=v)``,
    ``os.environ.setdefault("K", v)``, ``os.putenv("K", v)``; the key is "..." when not a literal."""
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            if isinstance(target, ast.Subscript) and model.qualify(target.value) == "os.environ":
                key = target.slice
                named = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else "..."
                return named, (f'os.environ["{named}"]' if named != "..." else "os.environ[...]"), statement.value
    elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        call = statement.value
        if model.qualify(call.func) in ENVIRONMENT_WRITES:
            return _written_key(call), f"{dotted_name(call.func)}()", call
    return None


def _written_key(call: ast.Call) -> str:
    """The environment key a write call names (``update(K=...)``, ``setdefault("K", ...)``)."""
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    named = [keyword.arg for keyword in call.keywords if keyword.arg is not None]
    return named[0] if len(named) == 1 else "..."


def _environment_writes(
    model: PythonModule, made: dict[str, tuple[ast.Call, str]], token_functions: set[str]
) -> list[tuple[ast.Call, str, str, int, str]]:
    """(the call that made the token, its name as the message shows it, where it goes, the line,
    the key) for each import-time write of a token into the environment (``_environment_write``)."""
    found: list[tuple[ast.Call, str, str, int, str]] = []
    for statement, in_function in model.statements:
        write = None if in_function else _environment_write(model, statement)
        if write is None:
            continue
        key, where, value = write
        token = _reads(value, made)
        if token:
            maker, first = made[token]
            shown = f" `{first}`" if token == first else f" `{first}` (through `{token}`)"
            found.append((maker, shown, where, statement.lineno, key))
            continue
        direct = _token_call(value, token_functions)
        if direct is not None:
            found.append((direct, "", where, statement.lineno, key))
    return found


def _refreshed_keys(model: PythonModule, token_functions: set[str], handlers: Iterable[str]) -> set[str]:
    """Environment keys that a handler, or a module function it calls (directly or a few calls
    deep), sets to a fresh token: ``os.environ["PGPASSWORD"] = rds.generate_db_auth_token(...)``,
    or through a local name bound to one. The import-time token in such a key is only its first
    value (survey3b fp3)."""
    functions = {
        node.name: node for node in model.tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    pending = [name for name in handlers if name in functions]
    reached: set[str] = set()
    while pending:
        name = pending.pop()
        if name in reached:
            continue
        reached.add(name)
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions:
                pending.append(node.func.id)
    keys: set[str] = set()
    for name in reached:
        fresh: set[str] = set()  # local names bound to a token in this function
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Assign) and _token_call(node.value, token_functions) is not None:
                fresh.update(target.id for target in node.targets if isinstance(target, ast.Name))
            write = _environment_write(model, node) if isinstance(node, ast.stmt) else None
            if write is None or write[0] == "...":
                continue
            if _token_call(write[2], token_functions) is not None or _reads(write[2], fresh):
                keys.add(write[0])
    return keys


def import_time_tokens(
    model: PythonModule,
    pools: frozenset[str],
    connects: frozenset[str],
    *,
    handler_module: bool = False,
    handlers: Iterable[str] = (),
) -> list[TokenAtImport]:
    """Tokens made at import that a pool, an engine or a later connect call uses, or, in a module
    that defines a Lambda handler (``handler_module``; ``handlers`` names its functions), that go
    into the environment where no handler writes a fresh token to the same key (module docstring)."""
    if TOKEN_METHOD not in model.source:
        return []
    token_functions = _token_functions(model)
    made: dict[str, tuple[ast.Call, str]] = {}  # module-level name -> the call that made its token, its first name
    for statement in _module_assignments(model):
        call = _token_call(statement.value, token_functions)
        source = _reads(statement.value, made) if call is None and statement.value is not None else ""
        for name in _target_names(statement):
            if call is not None:
                made[name] = (call, name)
            elif source:
                made[name] = made[source]  # a URL or dict of connect arguments built from a token
    if not made and not handler_module:
        return []
    found: dict[tuple[int, int], TokenAtImport] = {}
    for node in ast.walk(model.tree):
        if not isinstance(node, ast.Call):
            continue
        factory = model.qualify(node.func)
        if factory not in pools and factory not in connects:
            continue
        arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
        token = next((name for argument in arguments if (name := _reads(argument, made))), "")
        if not token:
            continue
        if factory in pools:
            later = "a pool or engine, which opens connections whenever it needs one"
        elif _runs_in_function(model, node):
            later = "a connect call inside a function, which runs after import"
        else:
            continue  # connected at import: the token is fresh then, and a session outlives it
        maker, first = made[token]
        user = f"`{dotted_name(node.func) or factory}()`"
        shown = f" `{first}`" if token == first else f" `{first}` (through `{token}`)"
        key = (maker.lineno, maker.col_offset)
        found.setdefault(key, TokenAtImport(_span(model, maker.func), shown, user, node.lineno, later))
    writes = _environment_writes(model, made, token_functions) if handler_module else []
    refreshed = _refreshed_keys(model, token_functions, handlers) if writes else set()
    for maker, shown, where, line, written in writes:
        if written in refreshed:
            continue  # a handler writes a fresh token there before it is used (survey3b fp3)
        fact = TokenAtImport(_span(model, maker.func), shown, f"`{where}`", line, IN_ENVIRONMENT)
        found.setdefault((maker.lineno, maker.col_offset), fact)
    return sorted(found.values(), key=lambda fact: fact.span)


def _function_around(model: PythonModule, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The module-level function whose lines hold ``line``."""
    for node in model.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.lineno <= line <= (node.end_lineno or 0):
            return node
    return None


def _call_at(model: PythonModule, line: int, column: int) -> ast.Call | None:
    for statement, _ in model.statements_on([line]):
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and node.lineno == line and model.column(line, node.col_offset) == column:
                return node
    return None


def _bound_value(model: PythonModule, name: str, chain: tuple[ast.AST | None, ...]) -> ast.expr | None:
    """The one value ``name`` is bound to in the innermost scope of ``chain`` that binds it."""
    for key in reversed(chain):
        bindings = model.scopes.scope(key).bindings.get(name, ())
        values = [binding.value for binding in bindings if binding.value is not None]
        if bindings:
            return values[0] if len(values) == 1 and len(bindings) == 1 else None
    return None


def _host(model: PythonModule, value: ast.expr | None, chain: tuple[ast.AST | None, ...]) -> tuple[str, bool]:
    """(the host's literal text, or ''; whether it or where it comes from names a proxy)."""
    names: list[str] = []
    for _ in range(4):  # a few names deep: HOST = os.environ["DB_PROXY_HOST"]
        if isinstance(value, ast.Name):
            names.append(value.id)
            value = _bound_value(model, value.id, chain)
            continue
        break
    text = ""
    keys: list[str] = []
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        text = value.value
    elif isinstance(value, ast.Subscript) and model.qualify(value.value) in ENVIRONMENT_READS:
        if isinstance(value.slice, ast.Constant) and isinstance(value.slice.value, str):
            keys.append(value.slice.value)
    elif isinstance(value, ast.Call) and model.qualify(value.func) in ENVIRONMENT_READS:
        literals = [arg.value for arg in value.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
        keys.extend(literals[:1])
        text = literals[1] if len(literals) > 1 else ""  # os.environ.get("DB_HOST", "db.cluster-x...")
    elif isinstance(value, ast.JoinedStr | ast.Attribute | ast.Call):
        names.append(dotted_name(value) if not isinstance(value, ast.JoinedStr) else "")
    proxy = ".proxy-" in text or any("proxy" in word.lower() for word in [*names, *keys])
    return text, proxy


def invocation_tokens(
    model: PythonModule,
    *,
    connects: frozenset[str],
    cache_decorators: frozenset[str],
    declared: dict[str, str],
    use_convention: bool,
    path: str,
    source: bytes | str,
    index: ProjectIndex,
) -> list[TokenPerInvocation]:
    """Connect calls run per invocation whose password is a token made in the same run (module docstring)."""
    if TOKEN_METHOD not in model.source:
        return []
    token_functions = _token_functions(model)
    facts = connections_in_handlers(
        model,
        path=path,
        source=source,
        index=index,
        factories=connects,
        cache_decorators=cache_decorators,
        declared=declared,
        use_convention=use_convention,
    )
    found = []
    for fact in facts:
        call = _call_at(model, fact.line, fact.column)
        function = _function_around(model, fact.line)
        if call is None or function is None:
            continue
        chain: tuple[ast.AST | None, ...] = (None, function)
        keywords = {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}
        password = next((keywords[name] for name in PASSWORD_KEYWORDS if name in keywords), None)
        if password is None:
            continue
        value: ast.expr | None = password
        if isinstance(password, ast.Name):
            value = _bound_value(model, password.id, chain)
        token = _token_call(value, token_functions) if value is not None else None
        if token is None or not any(child is token for child in ast.walk(function)):
            continue  # (a module-level token is import_time_tokens' business)
        host_value = next((keywords[name] for name in HOST_KEYWORDS if name in keywords), None)
        if host_value is None:
            token_keywords = {keyword.arg: keyword.value for keyword in token.keywords if keyword.arg}
            host_value = token_keywords.get("DBHostname")
        host, proxy = _host(model, host_value, chain)
        found.append(
            TokenPerInvocation(
                (fact.line, fact.column, fact.end_line, fact.end_column),
                fact.factory,
                fact.handler,
                fact.reason,
                fact.via,
                host,
                proxy,
            )
        )
    return found
