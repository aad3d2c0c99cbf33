"""Driver rules observed with the real drivers: the rule's example code runs with `DSN` pointing at PgBouncer.

A rule's ``[integration]`` table names a scenario with ``driver = "..."``. The example (the same code the
unit tests lint) is executed with ``DSN`` bound to the pool of two, as two clients A and B; a third
client C holds a server connection so that A's next transaction lands on the other one:

* ``psycopg-prepared`` (psycopg 3 auto-prepare): A runs query QA until psycopg prepares it (`_pg3_0` on
  S1); C holds S1; B runs QB until it is prepared on S2 under the same name; A runs QA again, now on S2.
  A wrong answer (B's statement answered) or "already exists" is **leaked**; "does not exist" is **lost**.
* ``sqlalchemy-asyncpg`` (an async engine on asyncpg, the URL pointed at PgBouncer): one engine
  connection runs QA in two transactions (S1), C holds S1, the third transaction runs on S2.
* ``asyncpg-function`` (the example defines ``async def f(conn, ids)``): called on a default asyncpg
  connection with ids 1 and 2; after the first id, C holds the server connection used so far.
* ``psycopg2-session`` (the example works on a psycopg2 `conn`): pool of one, another client's
  `default_transaction_isolation`; pool of two, the client's own next transaction.
* ``asyncpg-prepared`` (asyncpg statement cache, prepare()): A runs QA twice on S1 (a named statement if
  the cache is on); C holds S1; A runs QA again, on S2. "does not exist" is **lost**, a wrong answer
  **leaked**.
* ``asyncpg-jit`` (asyncpg's type introspection): the example's connection or pool runs a query whose
  result has a type asyncpg must introspect (an ``int[]`` parameter). asyncpg's
  ``set_config('jit', 'off', false)`` runs first; right after it, C takes that server connection, so the
  introspection and asyncpg's restore run on the other one. C's ``current_setting('jit')`` then differing
  from a direct connection's is **leaked**.

* ``asyncpg-cursor`` (the example defines ``async def f(conn)``): pool of one, client A calls it, then
  client B, a fresh process (asyncpg's statement-name counter back where A's started), calls it on the
  server connection A used: "already exists" or a wrong answer is **leaked**. Pool of two, A calls it,
  C holds that server connection, A calls it again on the other: "does not exist" is **lost**. The
  connections get ``connect`` (``statement_cache_size=0``, the advice of PIN024) when given.

* ``startup-parameters`` (asyncpg ``server_settings``, pg8000 ``startup_params``): the example connects
  (``DSN`` for asyncpg; ``USER``, ``HOST``, ``PORT``, ``DATABASE`` for pg8000) through the pool of two.
  The login failing with "unsupported startup parameter" is **refused**; each parameter of the example's
  dict read back differently from a direct connection, in the client's first transaction or in its next
  one on the other server connection (C holds the first), is **lost**.

* ``sqlalchemy-isolation`` (an engine with ``isolation_level=``, its URL pointed at PgBouncer): pool of one,
  another client's ``default_transaction_isolation`` before and after the engine's first connection;
  pool of two, the engine connection's ``transaction_isolation`` in its next transaction while C holds
  the server connection it used, against the same engine on a direct connection.

* ``django-connect`` (a Django settings example): Django's PostgreSQL backend opens a connection with the
  example's ``DATABASES["default"]`` (host, port, name and user pointed at the server) and runs what it
  runs on connect. Pool of one: another client's ``probe`` before and after; pool of two: the
  connection's ``probe`` in its next transaction while C holds the server connection it used, against
  a direct connection's.

* ``client-cancel`` (a client-side timeout or cancel): the example's asyncpg pool or connection runs
  ``SELECT pg_sleep(3)`` (its ``command_timeout`` fires), or the example's ``async def f(conn)`` runs on
  an asyncpg connection, or its ``def f(conn)`` is called from a timer while a psycopg connection runs
  that query. The client must see its query cancelled or timed out; the query still running on the
  server afterwards (pg_stat_activity) is **leaked**: the cancel did not reach the server.

* ``sqlalchemy-prepared`` (a sync engine on psycopg 3, its URL pointed at PgBouncer): as
  ``psycopg-prepared``, with two engines A and B each running its query in committed transactions on
  one engine connection (a rollback would reset psycopg's counts).

What the driver really sent is read from PostgreSQL's log (`log_statement = all`) and kept in the
details: the names it executed (`_pg3_0`, `__asyncpg_stmt_1__`, PgBouncer's `PGBOUNCER_1`, unnamed).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import threading
from collections.abc import Callable
from typing import Any

import psycopg2

from harness import LEAKED, LOST, REFUSED, Observation
from servers import DATABASE, USER, PgBouncer, Postgres

QA = "SELECT name FROM users WHERE id = {}"  # answers 'user1' for 1
QB = "SELECT payload FROM events WHERE id = {}"  # answers 'e1' for 1
RIGHT = "user1"


def _run_example(source: str, dsn: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"DSN": dsn}
    exec(compile(source, "example.py", "exec"), namespace)
    return namespace


async def _run_async_example(source: str, dsn: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"DSN": dsn}
    code = compile(source, "example.py", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(code, namespace)
    if asyncio.iscoroutine(result):
        await result
    return namespace


def _holder(bouncer: PgBouncer) -> psycopg2.extensions.connection:
    holder = psycopg2.connect(bouncer.dsn("two"))
    holder.autocommit = True
    return holder


def _hold(holder: psycopg2.extensions.connection) -> None:
    cursor = holder.cursor()
    cursor.execute("BEGIN")
    cursor.execute("SELECT 1")  # the holder now keeps the server connection the last client used


def _release(holder: psycopg2.extensions.connection) -> None:
    holder.cursor().execute("COMMIT")


def _classify(answer: Any, error: Exception | None, observation: Observation) -> None:
    if error is not None:
        text = str(error).strip().splitlines()[0]
        observation.seen.add(LOST if "does not exist" in text else LEAKED)
        observation.details.append(f"the client's next query failed: {text}")
    elif answer != RIGHT:
        observation.seen.add(LEAKED)
        observation.details.append(f"the client's query answered {answer!r}, directly {RIGHT!r}: wrong rows, no error")


def _sent(postgres: Postgres, offset: int) -> str:
    names = re.findall(r"execute ([A-Za-z_0-9<>]+)", postgres.log_since(offset))
    return "sent: " + (", ".join(sorted(set(names))) or "simple queries only")


def psycopg_prepared(postgres: Postgres, bouncer: PgBouncer, source: str, connect: str = "") -> Observation:
    import psycopg
    import psycopg_pool

    observation = Observation()
    opened: list[Any] = []

    def client() -> Any:
        namespace = _run_example(source, bouncer.dsn("two"))
        made = [
            value for value in namespace.values() if isinstance(value, psycopg.Connection | psycopg_pool.ConnectionPool)
        ]
        opened.extend(made)
        conn = made[-1]
        if isinstance(conn, psycopg_pool.ConnectionPool):
            conn = conn.getconn()
        conn.autocommit = True  # each query its own transaction, as in a web request
        return conn

    offset = postgres.log_size()
    holder = _holder(bouncer)
    try:
        first, second = client(), client()
        for _ in range(8):
            first.execute(QA.format("%s"), (1,)).fetchall()
        _hold(holder)
        for _ in range(8):
            second.execute(QB.format("%s"), (1,)).fetchall()
        answer, error = None, None
        try:
            answer = first.execute(QA.format("%s"), (1,)).fetchone()[0]
        except psycopg.Error as failure:
            error = failure
        _release(holder)
        _classify(answer, error, observation)
    finally:
        holder.close()
        for made in opened:
            made.close()
    observation.details.append(_sent(postgres, offset))
    return observation


def asyncpg_prepared(postgres: Postgres, bouncer: PgBouncer, source: str, connect: str = "") -> Observation:
    return asyncio.run(_asyncpg_prepared(postgres, bouncer, source))


async def _asyncpg_prepared(postgres: Postgres, bouncer: PgBouncer, source: str) -> Observation:
    import asyncpg

    observation = Observation()
    offset = postgres.log_size()
    namespace = await _run_async_example(source, bouncer.url("two"))
    made = [value for value in namespace.values() if isinstance(value, asyncpg.Connection | asyncpg.Pool)]
    statement = next((value for value in namespace.values() if hasattr(value, "fetchval")), None)
    holder = _holder(bouncer)
    try:
        source_object = made[-1]
        conn = await source_object.acquire() if isinstance(source_object, asyncpg.Pool) else source_object
        if statement is not None and not isinstance(statement, asyncpg.Connection | asyncpg.Pool):
            run: Callable[[], Any] = lambda: statement.fetchval(1)  # noqa: E731 - the example's prepare()
        else:
            run = lambda: conn.fetchval(QA.format("$1"), 1)  # noqa: E731
        await run()
        await run()
        _hold(holder)
        answer, error = None, None
        try:
            answer = await run()
        except asyncpg.PostgresError as failure:
            error = failure
        _release(holder)
        _classify(answer, error, observation)
        if isinstance(source_object, asyncpg.Pool):
            await source_object.release(conn)
    finally:
        holder.close()
        for value in made:
            await value.close()
    observation.details.append(_sent(postgres, offset))
    return observation


def sqlalchemy_asyncpg(postgres: Postgres, bouncer: PgBouncer, source: str, connect: str = "") -> Observation:
    return asyncio.run(_sqlalchemy_asyncpg(postgres, bouncer, source))


async def _sqlalchemy_asyncpg(postgres: Postgres, bouncer: PgBouncer, source: str) -> Observation:
    """One engine connection, three transactions: two on S1, the third on S2 while C holds S1."""
    from sqlalchemy import exc, text
    from sqlalchemy.ext.asyncio import AsyncEngine

    observation = Observation()
    offset = postgres.log_size()
    runnable = re.sub(
        r"postgresql\+asyncpg://[^\"'?]*", bouncer.url("two").replace("postgresql", "postgresql+asyncpg"), source
    )
    namespace = await _run_async_example(runnable, bouncer.url("two"))
    engine = next(value for value in namespace.values() if isinstance(value, AsyncEngine))
    holder = _holder(bouncer)
    query = text(QA.format(":id"))
    try:
        async with engine.connect() as conn:
            for _ in range(2):
                await conn.execute(query, {"id": 1})
                await conn.commit()
            _hold(holder)
            answer, error = None, None
            try:
                answer = (await conn.execute(query, {"id": 1})).scalar()
                await conn.commit()
            except exc.DBAPIError as failure:
                error = failure
                await conn.rollback()
            _release(holder)
            _classify(answer, error, observation)
    finally:
        holder.close()
        await engine.dispose()
    observation.details.append(_sent(postgres, offset))
    return observation


class _HoldingIds(list[int]):
    """The ids a function of the example receives: iterating past the first one makes C hold the server
    connection used so far, so that whatever the function sends next lands on the other one."""

    def __init__(self, ids: list[int], hold: Callable[[], None]) -> None:
        super().__init__(ids)
        self.hold = hold

    def __iter__(self) -> Any:
        for position, value in enumerate(list.__iter__(self)):
            if position == 1:
                self.hold()
            yield value


def asyncpg_function(postgres: Postgres, bouncer: PgBouncer, source: str, connect: str = "") -> Observation:
    return asyncio.run(_asyncpg_function(postgres, bouncer, source, connect))


async def _asyncpg_function(postgres: Postgres, bouncer: PgBouncer, source: str, connect: str) -> Observation:
    """The example defines `async def f(conn, ids)`: call it on an asyncpg connection (the default one,
    statement cache on, unless ``connect`` gives `statement_cache_size=0`) with ids 1 and 2, and compare
    with the same call on a direct connection."""
    import asyncpg

    options = {key: int(value) for key, value in (item.split("=") for item in connect.split())}

    observation = Observation()
    namespace = _run_example(source, bouncer.url("two"))
    function = next(value for name, value in namespace.items() if asyncio.iscoroutinefunction(value))
    direct = await asyncpg.connect(postgres.url())
    try:
        wanted = await function(direct, [1, 2])
    finally:
        await direct.close()
    offset = postgres.log_size()
    holder = _holder(bouncer)
    conn = await asyncpg.connect(bouncer.url("two"), **options)
    try:
        answer, error = None, None
        try:
            answer = await function(conn, _HoldingIds([1, 2], lambda: _hold(holder)))
        except asyncpg.PostgresError as failure:
            error = failure
        _release(holder)
        if error is not None:
            _classify(None, error, observation)
        elif answer != wanted:
            observation.seen.add(LEAKED)
            observation.details.append(f"answered {answer!r}, directly {wanted!r}: wrong rows, no error")
    finally:
        holder.close()
        await conn.close()
    observation.details.append(_sent(postgres, offset))
    return observation


PSYCOPG2_PROBE = "SELECT current_setting('default_transaction_isolation')"


def _psycopg2_example(source: str, dsn: str) -> psycopg2.extensions.connection:
    """Run the example with `conn` bound to a new psycopg2 connection; return that connection."""
    conn = psycopg2.connect(dsn)
    namespace: dict[str, Any] = {"DSN": dsn, "conn": conn}
    exec(compile(source, "example.py", "exec"), namespace)
    conn.autocommit = True
    return conn


def _probe(conn: psycopg2.extensions.connection) -> str:
    cursor = conn.cursor()
    cursor.execute(PSYCOPG2_PROBE)
    return str(cursor.fetchone()[0])


def psycopg2_session(postgres: Postgres, bouncer: PgBouncer, source: str, connect: str = "") -> Observation:
    """The example works on `conn` (psycopg2). Pool of one: does B's default_transaction_isolation change?
    Pool of two: does the client's own next transaction, on the other server connection, keep it?"""
    observation = Observation()
    offset = postgres.log_size()
    direct = _psycopg2_example(source, postgres.dsn())
    wanted = _probe(direct)
    direct.close()
    other = psycopg2.connect(bouncer.dsn("one"))
    other.autocommit = True
    before = _probe(other)
    client = _psycopg2_example(source, bouncer.dsn("one"))
    after = _probe(other)
    client.close()
    other.close()
    if before != after:
        observation.seen.add(LEAKED)
        observation.details.append(f"another client's default_transaction_isolation: {before!r} -> {after!r}")
    bouncer.fresh_servers("one")
    holder = _holder(bouncer)
    client = _psycopg2_example(source, bouncer.dsn("two"))
    _hold(holder)
    own = _probe(client)
    _release(holder)
    client.close()
    holder.close()
    if own != wanted:
        observation.seen.add(LOST)
        observation.details.append(f"the client's next transaction: {own!r}, directly {wanted!r}")
    observation.details.append("sent: " + "; ".join(re.findall(r"statement: (SET [^\n]*)", postgres.log_since(offset))))
    return observation


# int[] is outside asyncpg's built-in codecs (only text[] and oid[] are: protocol/pgtypes.pxi ARRAY_TYPES),
# so the pooler-friendly `= ANY($1)` makes asyncpg introspect it, once per connection.
JIT_QUERY = "SELECT count(*) FROM users WHERE id = ANY($1)"
JIT_PROBE = "SELECT current_setting('jit')"


def asyncpg_jit(postgres: Postgres, bouncer: PgBouncer, source: str, connect: str = "") -> Observation:
    return asyncio.run(_asyncpg_jit(postgres, bouncer, source))


async def _asyncpg_jit(postgres: Postgres, bouncer: PgBouncer, source: str) -> Observation:
    """The example's connection (or a connection of its pool) meets an enum: asyncpg introspects it. C
    takes the server connection right after asyncpg's `set_config('jit', 'off', false)`, so what follows
    (the introspection, asyncpg's restore) runs on the other one; then C reads `jit`."""
    import asyncpg
    import asyncpg.connection

    observation = Observation()
    admin = postgres.connect()
    try:
        cursor = admin.cursor()
        cursor.execute(JIT_PROBE)
        wanted = cursor.fetchone()[0]
    finally:
        admin.close()
    holder = _holder(bouncer)
    held: list[bool] = []
    original = asyncpg.connection.Connection._Connection__execute  # type: ignore[attr-defined]

    async def execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        result = await original(self, query, *args, **kwargs)
        if "set_config('jit', 'off', false)" in query and not held:
            _hold(holder)  # between asyncpg's set_config and its restore
            held.append(True)
        return result

    offset = postgres.log_size()
    asyncpg.connection.Connection._Connection__execute = execute  # type: ignore[attr-defined]
    made: list[Any] = []
    try:
        namespace = await _run_async_example(source, bouncer.url("two"))
        made = [value for value in namespace.values() if isinstance(value, asyncpg.Connection | asyncpg.Pool)]
        source_object = made[-1]
        conn = await source_object.acquire() if isinstance(source_object, asyncpg.Pool) else source_object
        await conn.fetchval(JIT_QUERY, [1, 2])
        if not held:
            _hold(holder)
        cursor = holder.cursor()
        cursor.execute(JIT_PROBE)
        seen = cursor.fetchone()[0]
        _release(holder)
        if seen != wanted:
            observation.seen.add(LEAKED)
            observation.details.append(f"another client's jit: {seen!r}, directly {wanted!r}")
        if isinstance(source_object, asyncpg.Pool):
            await source_object.release(conn)
    finally:
        asyncpg.connection.Connection._Connection__execute = original  # type: ignore[attr-defined]
        holder.close()
        for value in made:
            await value.close()
    log = postgres.log_since(offset)
    counts = {text: log.count(text) for text in ("set_config('jit', 'off', false)", "set_config('jit', $1, false)")}
    observation.details.append("sent: " + ", ".join(f"{text} x{count}" for text, count in counts.items()))
    return observation


def asyncpg_cursor(postgres: Postgres, bouncer: PgBouncer, source: str, connect: str = "") -> Observation:
    return asyncio.run(_asyncpg_cursor(postgres, bouncer, source, connect))


async def _asyncpg_cursor(postgres: Postgres, bouncer: PgBouncer, source: str, connect: str) -> Observation:
    import asyncpg
    import asyncpg.connection

    options = {key: int(value) for key, value in (item.split("=") for item in connect.split())}
    observation = Observation()
    namespace = _run_example(source, bouncer.url("two"))
    function = next(value for value in namespace.values() if asyncio.iscoroutinefunction(value))
    direct = await asyncpg.connect(postgres.url())
    try:
        wanted = await function(direct)
    finally:
        await direct.close()

    async def call(conn: Any, where: str) -> None:
        try:
            answer = await function(conn)
        except asyncpg.PostgresError as failure:
            text = str(failure).strip().splitlines()[0]
            observation.seen.add(LOST if "does not exist" in text else LEAKED)
            observation.details.append(f"{where}: {text}")
            return
        if answer != wanted:
            observation.seen.add(LEAKED)
            observation.details.append(f"{where}: answered {answer!r}, directly {wanted!r}: wrong rows, no error")

    offset = postgres.log_size()
    start = asyncpg.connection._uid  # type: ignore[attr-defined]
    a = await asyncpg.connect(bouncer.url("one"), **options)
    b = await asyncpg.connect(bouncer.url("one"), **options)
    try:
        await call(a, "pool of one, client A")
        asyncpg.connection._uid = start  # type: ignore[attr-defined]  # B: another process, the same names
        await call(b, "pool of one, another client")
    finally:
        await a.close()
        await b.close()
    bouncer.fresh_servers("one")
    holder = _holder(bouncer)
    a = await asyncpg.connect(bouncer.url("two"), **options)
    try:
        await call(a, "pool of two, client A")
        _hold(holder)
        await call(a, "pool of two, the client's next transaction")
        _release(holder)
    finally:
        holder.close()
        await a.close()
    observation.details.append(_sent(postgres, offset))
    return observation


STARTUP_KEYWORDS = ("server_settings", "startup_params")


def _startup_keys(source: str) -> list[str]:
    """The parameter names of the example's ``server_settings={...}`` / ``startup_params={...}``."""
    return [
        key.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.keyword) and node.arg in STARTUP_KEYWORDS and isinstance(node.value, ast.Dict)
        for key in node.value.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    ]


async def _startup_settings(source: str, names: dict[str, Any], keys: list[str], hold: Callable[[], None]) -> Any:
    """Run the example with ``names``; read every key in its first transaction and, after ``hold``, in its
    next one. A pg8000 connection is read with ``run``, an asyncpg one with ``fetchval``."""
    import asyncpg

    namespace: dict[str, Any] = dict(names)
    code = compile(source, "example.py", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(code, namespace)
    if asyncio.iscoroutine(result):
        await result
    conn = next(value for name, value in namespace.items() if name == "conn")
    query = "SELECT " + ", ".join(f"current_setting('{key}')" for key in keys)

    async def read() -> tuple[str, ...]:
        if isinstance(conn, asyncpg.Connection):
            return tuple((await conn.fetchrow(query)).values())
        return tuple(conn.run(query)[0])

    try:
        first = await read()
        hold()
        return first, await read()
    finally:
        closed = conn.close()
        if asyncio.iscoroutine(closed):
            await closed


def startup_parameters(postgres: Postgres, bouncer: PgBouncer, source: str, connect: str = "") -> Observation:
    keys = _startup_keys(source)
    observation = Observation()

    def names(dsn: str, port: int, database: str) -> dict[str, Any]:
        return {"DSN": dsn, "HOST": "127.0.0.1", "PORT": port, "USER": USER, "DATABASE": database}

    direct = names(postgres.url(), postgres.port, DATABASE)
    wanted, _ = asyncio.run(_startup_settings(source, direct, keys, lambda: None))
    offset = postgres.log_size()
    holder = _holder(bouncer)
    try:
        first, following = asyncio.run(
            _startup_settings(source, names(bouncer.url("two"), bouncer.port, "two"), keys, lambda: _hold(holder))
        )
    except Exception as error:  # the driver's own error class: asyncpg's, pg8000's
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if "unsupported startup parameter" not in text:
            raise
        observation.seen.add(REFUSED)
        observation.details.append(f"login refused: {text}")
        return observation
    finally:
        holder.close()
    for where, seen in (("the client's first transaction", first), ("the client's next transaction", following)):
        if seen != wanted:
            observation.seen.add(LOST)
            shown = dict(zip(keys, seen, strict=True))
            observation.details.append(f"{where}: {shown}, directly {dict(zip(keys, wanted, strict=True))}")
    sets = re.findall(r"statement: (SET [^\n]*)", postgres.log_since(offset))
    observation.details.append("server log: " + "; ".join(sets))
    return observation


def _engine_at(source: str, url: str) -> Any:
    """The example's SQLAlchemy engine, its URL's host part replaced by ``url``'s."""
    from sqlalchemy.engine import Engine

    runnable = re.sub(r"(postgresql\+\w+)://[^\"'?]*", lambda found: found.group(1) + url[len("postgresql") :], source)
    namespace = _run_example(runnable, url)
    return next(value for value in namespace.values() if isinstance(value, Engine))


ISOLATION = "SHOW transaction_isolation"


def sqlalchemy_isolation(postgres: Postgres, bouncer: PgBouncer, source: str, connect: str = "") -> Observation:
    observation = Observation()
    direct = _engine_at(source, postgres.url())
    try:
        with direct.connect() as conn:
            conn.exec_driver_sql("SELECT 1").all()
            wanted = conn.exec_driver_sql(ISOLATION).scalar()
    finally:
        direct.dispose()
    offset = postgres.log_size()
    other = psycopg2.connect(bouncer.dsn("one"))
    other.autocommit = True
    engine = _engine_at(source, bouncer.url("one"))
    try:
        before = _probe(other)
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").all()
        after = _probe(other)
    finally:
        engine.dispose()
        other.close()
    if before != after:
        observation.seen.add(LEAKED)
        observation.details.append(f"another client's default_transaction_isolation: {before!r} -> {after!r}")
    bouncer.fresh_servers("one")
    holder = _holder(bouncer)
    engine = _engine_at(source, bouncer.url("two"))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").all()
            conn.commit()
            _hold(holder)
            own = conn.exec_driver_sql(ISOLATION).scalar()
            conn.commit()
            _release(holder)
    finally:
        holder.close()
        engine.dispose()
    if own != wanted:
        observation.seen.add(LOST)
        observation.details.append(f"the client's next transaction: {own!r}, directly {wanted!r}")
    sent = re.findall(r"(?:statement|execute [^:]*): ((?:SET|BEGIN)[^\n]*)", postgres.log_since(offset))
    observation.details.append("sent: " + "; ".join(sorted(set(sent))))
    return observation


def _django_connection(source: str, port: int, database: str) -> Any:
    """A Django PostgreSQL connection made from the example's ``DATABASES["default"]``, at ``port``."""
    import django
    from django.conf import settings
    from django.db.utils import ConnectionHandler

    if not settings.configured:
        settings.configure(USE_TZ=True, INSTALLED_APPS=[], DATABASES={})
        django.setup()
    namespace = _run_example(source, "")
    entry = dict(namespace["DATABASES"]["default"])
    entry.update(HOST="127.0.0.1", PORT=str(port), NAME=database, USER=USER, PASSWORD="")
    return ConnectionHandler({"default": entry})["default"]


def _django_probe(connection: Any, probe: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(probe)
        return str(cursor.fetchone()[0])


def django_connect(
    postgres: Postgres, bouncer: PgBouncer, source: str, connect: str = "", probe: str = ""
) -> Observation:
    observation = Observation()
    direct = _django_connection(source, postgres.port, DATABASE)
    try:
        wanted = _django_probe(direct, probe)
    finally:
        direct.close()
    offset = postgres.log_size()
    other = psycopg2.connect(bouncer.dsn("one"))
    other.autocommit = True
    client = _django_connection(source, bouncer.port, "one")
    try:
        before = _other_probe(other, probe)
        client.ensure_connection()
        after = _other_probe(other, probe)
    finally:
        client.close()
        other.close()
    if before != after:
        observation.seen.add(LEAKED)
        observation.details.append(f"another client's {probe!r}: {before!r} -> {after!r}")
    bouncer.fresh_servers("one")
    holder = _holder(bouncer)
    client = _django_connection(source, bouncer.port, "two")
    try:
        client.ensure_connection()
        _hold(holder)
        own = _django_probe(client, probe)
        _release(holder)
    finally:
        client.close()
        holder.close()
    if own != wanted:
        observation.seen.add(LOST)
        observation.details.append(f"the client's next transaction: {own!r}, directly {wanted!r}")
    sent = re.findall(r"(?:statement|execute [^:]*): ((?:SET|SELECT set_config)[^\n]*)", postgres.log_since(offset))
    observation.details.append("sent: " + ("; ".join(sorted(set(sent))) or "no SET"))
    return observation


def _other_probe(conn: psycopg2.extensions.connection, probe: str) -> str:
    cursor = conn.cursor()
    cursor.execute(probe)
    return str(cursor.fetchone()[0])


SLOW = "SELECT pg_sleep(3)"


def _still_running(postgres: Postgres) -> int:
    admin = postgres.connect()
    try:
        cursor = admin.cursor()
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = %s AND pid <> pg_backend_pid()",
            (SLOW,),
        )
        return int(cursor.fetchone()[0])
    finally:
        admin.close()


def client_cancel(postgres: Postgres, bouncer: PgBouncer, source: str, connect: str = "") -> Observation:
    return asyncio.run(_client_cancel(postgres, bouncer, source))


async def _client_cancel(postgres: Postgres, bouncer: PgBouncer, source: str) -> Observation:
    import asyncpg
    import psycopg

    observation = Observation()
    namespace = await _run_async_example(source, bouncer.url("two"))
    made = [value for value in namespace.values() if isinstance(value, asyncpg.Connection | asyncpg.Pool)]
    functions = [value for value in namespace.values() if inspect.isfunction(value)]
    interrupted = ""
    try:
        if made:
            conn = await made[-1].acquire() if isinstance(made[-1], asyncpg.Pool) else made[-1]
            try:
                await conn.fetchval(SLOW)
            except (asyncio.TimeoutError, asyncpg.QueryCanceledError) as error:
                interrupted = type(error).__name__
            if isinstance(made[-1], asyncpg.Pool):
                await made[-1].release(conn)
        elif asyncio.iscoroutinefunction(functions[-1]):
            conn = await asyncpg.connect(bouncer.url("two"), statement_cache_size=0)
            made.append(conn)
            try:
                await functions[-1](conn)
            except (asyncio.TimeoutError, asyncpg.QueryCanceledError) as error:
                interrupted = type(error).__name__
        else:
            with psycopg.connect(bouncer.dsn("two"), autocommit=True) as sync_conn:
                timer = threading.Timer(0.5, functions[-1], [sync_conn])
                timer.start()
                try:
                    sync_conn.execute(SLOW)
                except psycopg.errors.QueryCanceled as error:
                    interrupted = type(error).__name__
                timer.join()
        await asyncio.sleep(0.5)  # asyncpg sends its cancel from a task, on its own connection
        running = _still_running(postgres)
    finally:
        for value in made:
            await value.close()
    assert interrupted, "the example's timeout or cancel never interrupted the client's query"
    observation.details.append(f"the client saw {interrupted}")
    if running:
        observation.seen.add(LEAKED)
        observation.details.append(f"the server still ran {SLOW!r} after the client gave up")
    return observation


def sqlalchemy_prepared(postgres: Postgres, bouncer: PgBouncer, source: str, connect: str = "") -> Observation:
    from sqlalchemy import exc, text

    observation = Observation()
    offset = postgres.log_size()
    first_engine, second_engine = _engine_at(source, bouncer.url("two")), _engine_at(source, bouncer.url("two"))
    holder = _holder(bouncer)

    def run_committed(conn: Any, query: str) -> Any:
        answer = conn.execute(text(query), {"id": 1}).scalar()
        conn.commit()
        return answer

    try:
        with first_engine.connect() as first, second_engine.connect() as second:
            for _ in range(8):
                run_committed(first, QA.format(":id"))
            _hold(holder)
            for _ in range(8):
                run_committed(second, QB.format(":id"))
            answer, error = None, None
            try:
                answer = run_committed(first, QA.format(":id"))
            except exc.DBAPIError as failure:
                error = failure.orig
                first.rollback()
            _release(holder)
            _classify(answer, error, observation)
    finally:
        holder.close()
        first_engine.dispose()
        second_engine.dispose()
    observation.details.append(_sent(postgres, offset))
    return observation


SCENARIOS: dict[str, Callable[[Postgres, PgBouncer, str, str], Observation]] = {
    "psycopg-prepared": psycopg_prepared,
    "asyncpg-prepared": asyncpg_prepared,
    "sqlalchemy-asyncpg": sqlalchemy_asyncpg,
    "asyncpg-function": asyncpg_function,
    "psycopg2-session": psycopg2_session,
    "asyncpg-jit": asyncpg_jit,
    "asyncpg-cursor": asyncpg_cursor,
    "startup-parameters": startup_parameters,
    "sqlalchemy-isolation": sqlalchemy_isolation,
    "client-cancel": client_cancel,
    "sqlalchemy-prepared": sqlalchemy_prepared,
}

# Scenarios that also take the rule's ``probe`` (SQL whose one value shows the state).
PROBED_SCENARIOS: dict[str, Callable[[Postgres, PgBouncer, str, str, str], Observation]] = {
    "django-connect": django_connect,
}
