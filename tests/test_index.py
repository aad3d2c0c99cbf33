"""The project pass: connections a Lambda handler opens on every invocation through helpers in
other modules, classes and threads, the lazy-init patterns that cache them, where the finding
lands, and the cache that must see an edit of a module the handler reaches."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import pinlint.index.project as project
from conftest import FIXTURES, run_cli, write_files
from pinlint.index.summary import from_json, summarise
from pinlint.pymodel import parse_python

HOUR = 3600 * 10**9


def _findings(root: Path, *paths: str, cache: bool = False) -> list[str]:
    options = () if cache else ("--no-cache",)
    result = run_cli(
        "check", *options, "--select", "PIN022", "--output-format", "concise", "-q", *(paths or (".",)), cwd=root
    )
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    return result.stdout.splitlines()


def _places(root: Path, *paths: str) -> list[str]:
    return [line.split(" ", 1)[0] for line in _findings(root, *paths)]


HANDLER = "from {module} import {name}\n\n\ndef lambda_handler(event, context):\n    return {call}\n"
DB = "import psycopg2\n\n\ndef get_conn():\n    return psycopg2.connect('')\n"


def test_a_helper_in_another_module_is_reported_at_the_call_that_leads_there(tmp_path: Path) -> None:
    write_files(tmp_path, {"app.py": HANDLER.format(module="db", name="get_conn", call="get_conn()"), "db.py": DB})
    (finding,) = _findings(tmp_path)
    assert finding.startswith("app.py:5:12: PIN022 `psycopg2.connect()` in db.py:5 runs on every invocation of")
    assert finding.endswith("handler `lambda_handler`, through `get_conn()`")


@pytest.mark.parametrize(
    ("files", "handler"),
    [
        # a package, a relative import inside it and a re-export from its __init__
        (
            {"common/__init__.py": "from .db import get_conn\n", "common/db.py": DB},
            HANDLER.format(module="common", name="get_conn", call="get_conn()"),
        ),
        # `import a.b as c`, and `import a.b` then `a.b.f()`
        (
            {"common/__init__.py": "", "common/db.py": DB},
            "import common.db as database\n\n\ndef lambda_handler(event, context):\n    return database.get_conn()\n",
        ),
        (
            {"common/__init__.py": "", "common/db.py": DB},
            "import common.db\n\n\ndef lambda_handler(event, context):\n    return common.db.get_conn()\n",
        ),
        # `from x import y as z`, through two modules
        (
            {"lib/__init__.py": "", "lib/session.py": "from lib.db import get_conn as open_db\n", "lib/db.py": DB},
            HANDLER.format(module="lib.session", name="open_db", call="open_db()"),
        ),
        # the handler in a package that imports its sibling relatively
        ({"db.py": DB}, HANDLER.format(module=".db", name="get_conn", call="get_conn()")),
    ],
)
def test_imports_of_every_shape_reach_the_helper(tmp_path: Path, files: dict[str, str], handler: str) -> None:
    write_files(tmp_path, {"app.py": handler, **files})
    assert _places(tmp_path, "app.py") == ["app.py:5:12:"]


CLASSES = """import psycopg2


class Database:
    def __init__(self):
        self.conn = psycopg2.connect("")


class Repository:
    def __init__(self):
        self._conn = None

    @property
    def conn(self):
        if self._conn is None:
            self._conn = psycopg2.connect("")
        return self._conn

    def fetch(self):
        return self.conn.cursor()


class Service:
    def __init__(self):
        self.db = Database()

    def run(self):
        return self.db.conn


class Child(Repository):
    pass


shared = Repository()
"""


@pytest.mark.parametrize(
    ("body", "flagged"),
    [
        ("Database()", True),  # a constructor that connects
        ("Service().run()", True),  # a constructor that makes one
        ("Repository().fetch()", True),  # a lazy property on an instance made every invocation
        ("Child().fetch()", True),  # ... inherited
        ("shared.fetch()", False),  # the same property on an instance made once, at import
        ("Repository", False),  # a class named, not called
    ],
)
def test_classes(tmp_path: Path, body: str, flagged: bool) -> None:
    names = "Child, Database, Repository, Service, shared"
    handler = f"from models import {names}\n\n\ndef lambda_handler(event, context):\n    return {body}\n"
    write_files(tmp_path, {"app.py": handler, "models.py": CLASSES})
    assert bool(_findings(tmp_path, "app.py")) is flagged


def test_a_method_of_an_attribute_set_in_the_constructor(tmp_path: Path) -> None:
    service = (
        "from models import Database\n\n\nclass Handler:\n    def __init__(self):\n        self.db = None\n\n"
        "    def open(self):\n        self.db = Database()\n\n\ndef lambda_handler(event, context):\n"
        "    return Handler().open()\n"
    )
    write_files(tmp_path, {"app.py": service, "models.py": CLASSES})
    (finding,) = _findings(tmp_path, "app.py")
    assert finding.startswith("app.py:9:19: PIN022 `psycopg2.connect()` in models.py:6 ")  # where it leaves app.py
    assert "through `Handler.open()` -> `Database.__init__()`" in finding


LAZY = """import psycopg2

_conn = None


def _connect():
    return psycopg2.connect("")

"""
GUARDED = "def get():\n    global _conn\n    if _conn is None:\n        _conn = _connect()\n    return _conn\n"


@pytest.mark.parametrize(
    ("helper", "handler_body", "flagged"),
    [
        # lazy init through a helper, in every guard shape: quiet
        (
            "def get():\n    global _conn\n    if _conn is None:\n        _conn = _connect()\n    return _conn\n",
            "",
            False,
        ),
        (
            "def get():\n    global _conn\n    if _conn is None or _conn.closed:\n        _conn = _connect()\n"
            "    return _conn\n",
            "",
            False,
        ),
        ("def get():\n    global _conn\n    if not _conn:\n        _conn = _connect()\n    return _conn\n", "", False),
        (
            "def get():\n    global _conn\n    if _conn is not None:\n        return _conn\n    _conn = _connect()\n"
            "    return _conn\n",
            "",
            False,
        ),
        ("def get():\n    global _conn\n    _conn = _conn or _connect()\n    return _conn\n", "", False),
        (
            "def get():\n    global _conn\n    try:\n        _conn.ping()\n    except Exception:\n"
            "        _conn = _connect()\n    return _conn\n",
            "",
            False,
        ),
        # the guard around the call in the caller
        ("def init():\n    global _conn\n    _conn = _connect()\n", "    if _conn is None:\n        init()\n", False),
        # a global assigned on every call, with no guard
        ("def get():\n    global _conn\n    _conn = _connect()\n    return _conn\n", "", True),
        # cached, then closed by the handler on every invocation
        (
            "def get():\n    global _conn\n    if _conn is None or _conn.closed:\n        _conn = _connect()\n"
            "    return _conn\n",
            "    conn = get()\n    try:\n        conn.cursor()\n    finally:\n        conn.close()\n",
            True,
        ),
        (
            "def get():\n    global _conn\n    if _conn is None or _conn.closed:\n        _conn = _connect()\n"
            "    return _conn\n",
            "    get().cursor()\n    _conn.close()\n",
            True,
        ),
    ],
)
def test_lazy_init_guards(tmp_path: Path, helper: str, handler_body: str, flagged: bool) -> None:
    handler = f"{LAZY}{helper}\n\ndef lambda_handler(event, context):\n{handler_body or '    return get()'}\n"
    write_files(tmp_path, {"app.py": handler})
    assert bool(_findings(tmp_path)) is flagged


def test_a_guarded_global_the_handler_closes_names_why(tmp_path: Path) -> None:
    helper = "def get():\n    global _conn\n    if _conn is None:\n        _conn = _connect()\n    return _conn\n"
    body = "    conn = get()\n    try:\n        return conn.cursor()\n    finally:\n        conn.close()\n"
    write_files(
        tmp_path,
        {"db.py": LAZY + helper, "app.py": f"from db import get\n\n\ndef lambda_handler(event, context):\n{body}"},
    )
    (finding,) = _findings(tmp_path)
    assert finding.startswith("app.py:5:12: PIN022 `psycopg2.connect()` in db.py:7 ")
    assert finding.endswith("through `get()` -> `_connect()`, and `_conn` is closed each time")


@pytest.mark.parametrize(
    "call",
    [
        "asyncio.to_thread(work)",
        "asyncio.get_running_loop().run_in_executor(None, work)",
        "asyncio.get_running_loop().run_in_executor(None, functools.partial(work, 1))",
        "threading.Thread(target=work).start()",
        "asyncio.to_thread(lambda: work(1))",
    ],
)
def test_functions_handed_to_threads_run_per_invocation(tmp_path: Path, call: str) -> None:
    handler = (
        "import asyncio\nimport functools\nimport threading\n\nfrom db import get_conn\n\n\n"
        "def work(*args):\n    return get_conn()\n\n\n"
        f"async def lambda_handler(event, context):\n    return await {call}\n"
    )
    write_files(tmp_path, {"app.py": handler, "db.py": DB})
    (finding,) = _findings(tmp_path, "app.py")
    assert finding.startswith("app.py:9:12: PIN022 `psycopg2.connect()` in db.py:5 ")
    assert "through `work()` -> `get_conn()`" in finding


def test_a_nested_def_handed_to_a_thread(tmp_path: Path) -> None:
    handler = (
        "import asyncio\n\nimport psycopg2\n\n\nasync def lambda_handler(event, context):\n"
        "    def work():\n        return psycopg2.connect('')\n\n    return await asyncio.to_thread(work)\n"
    )
    write_files(tmp_path, {"app.py": handler})
    assert _places(tmp_path) == ["app.py:8:16:"]


def test_what_no_handler_reaches_stays_quiet_and_cycles_end(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "a.py": "from b import ping\n\n\ndef pong(n):\n    return ping(n - 1)\n",
            "b.py": "import a\n\n\ndef ping(n):\n    return a.pong(n)\n\n\n"
            "def unused():\n    import psycopg2\n    return psycopg2.connect('')\n",
            "app.py": "from b import ping\n\n\ndef lambda_handler(event, context):\n    return ping(3)\n",
        },
    )
    assert _findings(tmp_path) == []


def test_noqa_on_the_call_in_the_handler_module_silences_the_chain(tmp_path: Path) -> None:
    handler = HANDLER.format(module="db", name="get_conn", call="get_conn()  # noqa: PIN022")
    write_files(tmp_path, {"app.py": handler, "db.py": DB})
    assert _findings(tmp_path) == []


def test_a_module_outside_the_project_is_not_followed(tmp_path: Path) -> None:
    """The search for a module stops at the project root (here the directory with pyproject.toml)."""
    write_files(
        tmp_path,
        {
            "db.py": DB,
            "service/pyproject.toml": "[project]\nname = 'service'\n",
            "service/app.py": HANDLER.format(module="db", name="get_conn", call="get_conn()"),
        },
    )
    assert _findings(tmp_path, "service/app.py") == []


def _age(root: Path) -> None:
    """Every file an hour old, so that the cache records their size and mtime (git's racy rule)."""
    for path in root.rglob("*"):
        if path.is_file():
            old = path.stat().st_mtime_ns - HOUR
            os.utime(path, ns=(old, old))


def test_a_warm_run_sees_an_edit_of_a_module_the_handler_reaches(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "multi-module-app", app)
    _age(app)
    one_file = ("handlers/orders.py",)  # as pre-commit runs it: the helper module is not named
    assert len(_findings(app, *one_file, cache=True)) == 1
    db = app / "common" / "db.py"
    original = db.read_text(encoding="utf-8")
    db.write_text(original.replace("    return psycopg2.connect(DSN)\n", "    return cached_connection()\n"), "utf-8")
    assert _findings(app, *one_file, cache=True) == []
    db.write_text(original, encoding="utf-8")
    assert len(_findings(app, *one_file, cache=True)) == 1


def test_a_warm_run_reads_no_summarised_module_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = tmp_path / "app"
    shutil.copytree(FIXTURES / "multi-module-app", app)
    _age(app)
    cold = _findings(app, cache=True)
    handler = app / "handlers" / "orders.py"
    handler.write_text(handler.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    read: list[str] = []
    real = project.read_bytes

    def counting(path: str, limit: int) -> bytes:
        read.append(path)
        return real(path, limit)

    monkeypatch.setattr(project, "read_bytes", counting)
    assert _findings(app, cache=True) == cold  # the edited handler is linted again, its helpers are not read
    assert read == []


def test_a_module_without_handlers_reads_no_other_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, {"tool.py": "from db import get_conn\n\n\ndef main():\n    return get_conn()\n", "db.py": DB})
    read: list[str] = []
    monkeypatch.setattr(project, "read_bytes", lambda path, limit: read.append(path) or b"")
    assert _findings(tmp_path, "tool.py") == []
    assert read == []


def test_summaries_read_back_as_written() -> None:
    model = parse_python((FIXTURES / "multi-module-app" / "common" / "db.py").read_text(encoding="utf-8"))
    summary = summarise(model)
    assert {"get_conn", "cached_connection", "Database.__init__", "Database.query"} <= set(summary.functions)
    assert from_json(summary.to_json()) == summary
    assert from_json(["?", {}]) is None and from_json({"functions": 1}) is None


def test_the_generated_benchmark_project_finds_the_handlers_that_reach_a_fresh_connection(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_project", FIXTURES.parent / "bench" / "project.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    handlers = generator.write_project(tmp_path, 30)  # 6 handlers; those of services 0 and 3 reach a fresh one
    assert len(handlers) == 6
    found = _findings(tmp_path)
    assert [line.split(" ", 1)[0] for line in found] == ["app/handlers/h0.py:5:21:", "app/handlers/h3.py:5:21:"]
    assert "in app/db.py:11 " in found[0]
    assert "through `run_0()` -> `FreshRepository0.__init__()` -> `connect()`" in found[0]


def test_a_very_long_chain_and_a_broken_module_end_quietly(tmp_path: Path) -> None:
    chain = "".join(f"def f{i}():\n    return f{i + 1}()\n\n\n" for i in range(3000))
    chain += "def f3000():\n    import psycopg2\n    return psycopg2.connect('')\n"
    write_files(
        tmp_path,
        {
            "chain.py": chain,
            "broken.py": "def get_conn(:\n",
            "app.py": "from broken import get_conn\nfrom chain import f0\n\n\n"
            "def lambda_handler(event, context):\n    return f0(), get_conn()\n",
        },
    )
    assert _findings(tmp_path, "app.py") == []  # beyond the path limit, and a module that does not parse


# --- SQL constants of another module ------------------------------------------------------------

QUERIES = 'LOCK = "SELECT pg_advisory_lock(1)"\nXACT = "SELECT pg_advisory_xact_lock(1)"\nLIMIT = 10\n'


def _sql_findings(root: Path, *paths: str, cache: bool = False) -> list[str]:
    options = () if cache else ("--no-cache",)
    result = run_cli("check", *options, "--output-format", "concise", "-q", *(paths or (".",)), cwd=root)
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    ("files", "importer"),
    [
        ({"common/__init__.py": "", "common/queries.py": QUERIES}, "from common.queries import LOCK, LIMIT, XACT"),
        (
            {"common/__init__.py": "from .queries import LOCK, LIMIT, XACT\n", "common/queries.py": QUERIES},
            "from common import LOCK, LIMIT, XACT",
        ),
    ],
)
def test_an_imported_sql_constant_is_read_where_it_is_sent(
    tmp_path: Path, files: dict[str, str], importer: str
) -> None:
    calls = "    cur.execute(LOCK)\n    cur.execute(XACT)\n    cur.execute(LIMIT)\n"
    source = f"import psycopg2\n{importer}\n\n\ndef work(cur):\n{calls}"
    write_files(tmp_path, {"app.py": source, **files})
    (finding,) = _sql_findings(tmp_path, "app.py")
    assert finding.startswith("app.py:6:17: PIN019 `pg_advisory_lock()`")  # on the name the sink is given
    assert finding.endswith(" reaches `cur.execute()` on line 6)")


TABLES = """\
QUERIES = {"lock": "SELECT pg_advisory_lock(1)", "xact": "SELECT pg_advisory_xact_lock(1)", 3: "SELECT 1"}
STMTS = ("SELECT 1", "SELECT pg_advisory_lock(2)")
CHANGED = {"lock": "SELECT pg_advisory_lock(3)"}
CHANGED["lock"] = "SELECT 1"
OPEN = {"lock": "SELECT pg_advisory_lock(4)", **EXTRA}
"""


@pytest.mark.parametrize(
    ("sent", "flagged"),
    [
        ('QUERIES["lock"]', True),  # a dict entry under a constant key
        ('QUERIES.get("lock")', True),
        ("STMTS[1]", True),  # a tuple entry by position
        ('QUERIES["xact"]', False),  # the entry there is a transaction lock
        ("QUERIES[3]", False),
        ("STMTS[0]", False),
        ('QUERIES["missing"]', False),
        ('CHANGED["lock"]', False),  # its module changes the entry: the literal is not what is sent
        ('OPEN["lock"]', False),  # `**EXTRA` may hold any key
        ("QUERIES[name]", False),  # a key the code does not show
    ],
)
def test_an_entry_of_an_imported_dict_is_read_where_it_is_sent(tmp_path: Path, sent: str, flagged: bool) -> None:
    source = (
        f"from app.queries import CHANGED, OPEN, QUERIES, STMTS\n\n\ndef work(cur, name):\n    cur.execute({sent})\n"
    )
    write_files(tmp_path, {"main.py": source, "app/__init__.py": "", "app/queries.py": TABLES})
    found = _sql_findings(tmp_path, "main.py")
    assert bool(found) is flagged, found
    if flagged:
        (finding,) = found
        assert finding.startswith("main.py:5:17: PIN019 `pg_advisory_lock()`")  # where the entry is sent
        assert f"(`app.queries.{sent.split('[')[0].split('.')[0]}" in finding


def test_a_local_name_shadowing_an_imported_dict_is_not_read_as_it(tmp_path: Path) -> None:
    source = (
        "from app.queries import QUERIES\n\n\n"
        'def work(cur):\n    QUERIES = {"lock": "SELECT 1"}\n    cur.execute(QUERIES["lock"])\n'
    )
    write_files(tmp_path, {"main.py": source, "app/__init__.py": "", "app/queries.py": TABLES})
    assert _sql_findings(tmp_path, "main.py") == []


def test_a_warm_run_sees_an_edit_of_the_module_holding_the_constant(tmp_path: Path) -> None:
    source = "import psycopg2\nfrom queries import LOCK\n\n\ndef work(cur):\n    cur.execute(LOCK)  # the module\n"
    write_files(tmp_path, {"app.py": source, "queries.py": QUERIES})
    _age(tmp_path)
    assert len(_sql_findings(tmp_path, "app.py", cache=True)) == 1
    (tmp_path / "queries.py").write_text(QUERIES.replace("pg_advisory_lock", "pg_advisory_xact_lock"), "utf-8")
    assert _sql_findings(tmp_path, "app.py", cache=True) == []


# --- an instance made per invocation and handed around (a Lambda layer's database client) --------

CLIENT = """from typing import Generic, TypeVar

from sqlalchemy import create_engine

T = TypeVar("T")


class SqlDB:
    def __init__(self):
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            self._engine = create_engine("postgresql://")
        return self._engine


class BaseRepo(Generic[T]):
    def __init__(self, db: "SqlDB"):
        self._db = db

    def fetch(self):
        return self._db.engine.connect()


class UserRepo(BaseRepo[int]):
    pass
"""


@pytest.mark.parametrize(
    ("made", "flagged"),
    [
        ("    db = SqlDB()\n", True),  # per invocation: its lazy engine is made again every time
        ("", False),  # the module-level instance below: made once
    ],
)
def test_an_instance_made_per_invocation_and_passed_on(tmp_path: Path, made: str, flagged: bool) -> None:
    handler = (
        "from layer.client import SqlDB, UserRepo\n\ndb = SqlDB()\n\n\n"
        "def work(database: SqlDB):\n    return UserRepo(database).fetch()\n\n\n"
        f"def lambda_handler(event, context):\n{made}    return work(db)\n"
    )
    write_files(
        tmp_path,
        {
            "functions/users/app.py": handler,
            "layers/common/layer/__init__.py": "",  # a Lambda layer: not above the handler, found by its name
            "layers/common/layer/client.py": CLIENT,
        },
    )
    found = _findings(tmp_path)
    assert bool(found) is flagged
    if flagged:
        assert found[0].startswith("functions/users/app.py:7:12: PIN022 `sqlalchemy.create_engine()` in ")
        assert "layers/common/layer/client.py:15 " in found[0]


LOADERS = """\
import psycopg2


class Loader:
    def __init__(self, dsn):
        self.conn = psycopg2.connect(dsn)


class Quiet:
    def __init__(self, dsn):
        self.dsn = dsn


class Fetcher(Quiet):
    def load(self):
        return psycopg2.connect(self.dsn)


def run(event, loader_cls):
    loader = loader_cls("dsn")
    return loader.load()


def run_keyword(event, *, loader_cls):
    return loader_cls("dsn")


def forward(event, loader_cls):
    return run(event, loader_cls)


def named_only(event, loader_cls):
    return loader_cls.__name__
"""


@pytest.mark.parametrize(
    ("call", "flagged"),
    [
        ("run(event, Loader)", True),  # the class handed over is constructed by the callee
        ("run_keyword(event, loader_cls=Loader)", True),  # ... by keyword
        ("forward(event, Loader)", True),  # ... handed on through another parameter
        ("run(event, Fetcher)", True),  # a method of the instance the callee made connects
        ("run(event, Quiet)", False),  # a class whose constructor and methods connect nowhere
        ("named_only(event, Loader)", False),  # the parameter is never called
        ("run(Loader, Quiet)", False),  # the connecting class lands in a parameter nobody calls
    ],
)
def test_a_class_passed_as_an_argument_is_constructed_by_the_callee(tmp_path: Path, call: str, flagged: bool) -> None:
    handler = "from loaders import Fetcher, Loader, Quiet, forward, named_only, run, run_keyword\n\n\n" + (
        f"def handler(event, _):\n    return {call}\n"
    )
    write_files(tmp_path, {"app.py": handler, "loaders.py": LOADERS})
    found = _findings(tmp_path)
    assert bool(found) is flagged, found
    if call == "run(event, Loader)":
        (finding,) = found
        assert finding.startswith("app.py:5:12: PIN022 `psycopg2.connect()` in loaders.py:6 runs on every invocation")
        assert finding.endswith("through `run()` -> `Loader()` -> `Loader.__init__()`")


SUPER = """\
import psycopg2


class Base:
    def __init__(self, dsn):
        self.conn = psycopg2.connect(dsn)

    def ping(self):
        return None


class Child(Base):
    def __init__(self, dsn, retries=3):
        super().__init__(dsn)


class Quiet(Base):
    def __init__(self, dsn):
        self.dsn = dsn

    def ping(self):
        return super().ping()
"""


@pytest.mark.parametrize(
    ("call", "flagged"),
    [
        ("Child('dsn')", True),  # its constructor runs the base's, which connects
        ("Quiet('dsn').ping()", False),  # the base's `ping` connects nowhere, and its constructor is not run
    ],
)
def test_super_calls_enter_the_base_class_method(tmp_path: Path, call: str, flagged: bool) -> None:
    handler = f"from models import Child, Quiet\n\n\ndef lambda_handler(event, context):\n    return {call}\n"
    write_files(tmp_path, {"app.py": handler, "models.py": SUPER})
    found = _findings(tmp_path)
    assert bool(found) is flagged, found
    if flagged:
        assert found[0].endswith("through `Child.__init__()` -> `Base.__init__()`")


def test_every_handler_file_records_the_re_exports_it_went_through(tmp_path: Path) -> None:
    cached = "def cached():\n    global _conn\n    if _conn is None:\n        _conn = get_conn()\n    return _conn\n"
    core = f"{DB}\n\n_conn = None\n\n\n{cached}"
    handler = HANDLER.format(module="common.db", name="open_db", call="open_db()")
    write_files(
        tmp_path,
        {
            "common/__init__.py": "",
            "common/db.py": "from .impl import get_conn\n\n\ndef open_db():\n    return get_conn()\n",
            "common/impl/__init__.py": "from .core import get_conn\n",
            "common/impl/core.py": core,
            "a.py": handler,
            "b.py": handler,
        },
    )
    _age(tmp_path)
    assert len(_findings(tmp_path, "a.py", "b.py", cache=True)) == 2
    (tmp_path / "common" / "impl" / "__init__.py").write_text("from .core import cached as get_conn\n", "utf-8")
    assert _findings(tmp_path, "a.py", "b.py", cache=True) == []


def test_a_long_lived_linter_sees_a_helper_edited_between_two_runs(tmp_path: Path) -> None:
    """The language server keeps one Linter: the helper's summary is looked at again by its stat."""
    from conftest import CATALOG
    from pinlint.config import Settings
    from pinlint.engine import Linter

    write_files(tmp_path, {"db.py": DB})
    handler = HANDLER.format(module="db", name="get_conn", call="get_conn()")
    linter = Linter(CATALOG, Settings(root=tmp_path))
    path = str(tmp_path / "app.py")
    assert [finding.code for finding in linter.lint_source(handler, path).findings] == ["PIN022"]
    (tmp_path / "db.py").write_text("def get_conn():\n    return None\n", encoding="utf-8")
    old = (tmp_path / "db.py").stat().st_mtime_ns - HOUR
    os.utime(tmp_path / "db.py", ns=(old, old))
    assert linter.lint_source(handler, path).findings == []


def test_linting_the_same_text_twice_gives_the_same_result() -> None:
    """The second lint finds the module's summary already made (so it has none to hand to the
    cache), and its result, findings and all, is the same as the first's."""
    source = (
        "import psycopg2\n\n_conn = None\n\n\ndef handler(event, context):\n    global _conn\n"
        "    if _conn is None:\n        _conn = psycopg2.connect()\n"
        "    _conn.cursor().execute('SET search_path TO a')\n"
    )
    from conftest import CATALOG
    from pinlint.config import Settings
    from pinlint.engine import Linter

    linter = Linter(CATALOG, Settings())
    first, second = linter.lint_source(source, "app.py"), linter.lint_source(source, "app.py")
    assert first.summaries and not second.summaries
    assert first == second and [f.code for f in first.findings] == ["PIN001"]


RETURNS = """\
import functools
from contextlib import contextmanager

import psycopg2


class Database:
    def __init__(self):
        self._conn = None

    def query(self, sql):
        if self._conn is None:
            self._conn = psycopg2.connect("")
        return self._conn.cursor().execute(sql)

    def name(self):
        return "db"

    @classmethod
    def create(cls):
        return cls()

    def raw(self):
        return psycopg2.connect("")


_db = None
shared = Database()
_registry = {"db": shared}


def typed() -> Database:
    return _registry["db"]


def reused_db():
    if _db is not None:
        return _db
    return Database()


def get_db():
    return Database()


def make_db():
    db = Database()
    return db


def outer():
    return make_db()


@contextmanager
def session():
    db = Database()
    yield db


@contextmanager
def get_conn():
    conn = psycopg2.connect("")
    yield conn


def cached_db():
    global _db
    if _db is None:
        _db = Database()
    return _db


@functools.lru_cache
def memo_db():
    return Database()


def get_shared():
    return shared


def label():
    return str("db")
"""


@pytest.mark.parametrize(
    ("body", "flagged"),
    [
        ("get_db().query('x')", True),  # a method of what a helper returned: its lazy guard is per instance
        ("db = get_db()\n    return db.query('x')", True),  # ... kept in a local first
        ("outer().query('x')", True),  # ... returned through another helper and a local
        ("with session() as s:\n        s.query('x')", True),  # ... yielded by a context manager
        ("with get_conn() as conn:\n        conn.cursor()", True),  # a context manager that connects
        ("cached_db().query('x')", False),  # a guarded global: the same instance on every invocation
        ("memo_db().query('x')", False),  # a cached function returns the same instance
        ("get_shared().query('x')", False),  # an instance made at import
        ("get_db().name()", False),  # a method that connects nowhere
        ("label().query('x')", False),  # a helper that returns no project instance
        ("Database.create().query('x')", True),  # a classmethod's `cls()`
        ("typed().raw()", True),  # the return annotation names the class: its method connects
        ("typed().query('x')", False),  # ... but says nothing of a fresh instance: the guard caches
        ("reused_db().query('x')", False),  # a new instance only when the global is unset: kept
    ],
)
def test_a_method_called_on_what_a_helper_returns(tmp_path: Path, body: str, flagged: bool) -> None:
    names = "Database, cached_db, get_conn, get_db, get_shared, label, memo_db, outer, reused_db, session, typed"
    handler = f"from db import {names}\n\n\ndef lambda_handler(event, context):\n    {body}\n"
    write_files(tmp_path, {"app.py": handler, "db.py": RETURNS})
    found = _findings(tmp_path)
    assert bool(found) is flagged, found
    if body == "get_db().query('x')":
        (finding,) = found
        assert finding.startswith("app.py:5:5: PIN022 `psycopg2.connect()` in db.py:13 runs on every invocation")
        assert finding.endswith("through `get_db()` -> `Database.query()`")


VALUES = """\
import functools

import psycopg2

DSN = "dbname=app"
connect = functools.partial(psycopg2.connect, DSN)


class DefaultLoader:
    def __init__(self):
        self.conn = psycopg2.connect(DSN)


class QuietLoader:
    def __init__(self):
        self.conn = None


def open_conn():
    return psycopg2.connect(DSN)


def quiet():
    return None


def run(fn):
    return fn()


def retry(fn, *args):
    return fn(*args)


def get(conn_factory=psycopg2.connect):
    return conn_factory(DSN)


def load(loader_cls=DefaultLoader):
    return loader_cls()
"""


@pytest.mark.parametrize(
    ("call", "flagged"),
    [
        ("run(open_conn)", True),  # a function handed over and called by the callee
        ("run(quiet)", False),  # ... one that connects nowhere
        ("retry(psycopg2.connect, DSN)", True),  # a connection factory handed over
        ("retry(str, DSN)", False),  # ... a builtin
        ("asyncio.get_running_loop().run_in_executor(None, psycopg2.connect, DSN)", True),
        ("connect()", True),  # a module-level `functools.partial` of a factory
        ("get()", True),  # a factory as a parameter's default value
        ("get(pool.getconn)", False),  # ... the caller hands another one
        ("load()", True),  # a class as a parameter's default value
        ("load(QuietLoader)", False),  # ... the caller hands a quiet one
        ("load(*loaders)", False),  # ... or may: a starred argument fills every parameter
    ],
)
def test_functions_and_defaults_passed_as_values(tmp_path: Path, call: str, flagged: bool) -> None:
    handler = (
        "import asyncio\n\nimport psycopg2\n\nfrom helpers import DSN, QuietLoader, connect, get, load, open_conn,"
        f" quiet, retry, run\n\npool = loaders = None\n\n\ndef lambda_handler(event, context):\n    return {call}\n"
    )
    write_files(tmp_path, {"app.py": handler, "helpers.py": VALUES})
    found = _findings(tmp_path)
    assert bool(found) is flagged, found
    if call == "run(open_conn)":
        (finding,) = found
        assert finding.startswith("app.py:11:12: PIN022 `psycopg2.connect()` in helpers.py:20 runs on every")
        assert finding.endswith("through `run()` -> `open_conn()`")


@pytest.mark.parametrize(
    ("default", "flagged"),
    [("loader_cls=DefaultLoader", True), ("loader_cls=QuietLoader", False)],
)
def test_a_default_value_of_the_handler_itself(tmp_path: Path, default: str, flagged: bool) -> None:
    handler = f"from helpers import DefaultLoader, QuietLoader\n\n\ndef main(event, context, {default}):\n"
    handler += "    return loader_cls()\n"
    declaration = "service: s\nprovider:\n  name: aws\nfunctions:\n  f:\n    handler: app.main\n"
    write_files(tmp_path, {"app.py": handler, "helpers.py": VALUES, "serverless.yml": declaration})
    found = _findings(tmp_path)
    assert bool(found) is flagged, found
    if flagged:
        assert found[0].endswith("through `DefaultLoader()` -> `DefaultLoader.__init__()`")


TWO_ARGUMENT_SUPER = """\
import psycopg2


class Base:
    def __init__(self):
        self.conn = psycopg2.connect("")


class Middle(Base):
    def __init__(self):
        self.conn = None


class Leaf(Middle):
    def __init__(self):
        super(Middle, self).__init__()


class Skip(Middle):
    def __init__(self):
        super(Skip, self).__init__()
"""


@pytest.mark.parametrize(("call", "flagged"), [("Leaf()", True), ("Skip()", False)])
def test_two_argument_super_starts_after_the_class_it_names(tmp_path: Path, call: str, flagged: bool) -> None:
    handler = f"from models import Leaf, Skip\n\n\ndef lambda_handler(event, context):\n    return {call}\n"
    write_files(tmp_path, {"app.py": handler, "models.py": TWO_ARGUMENT_SUPER})
    found = _findings(tmp_path)
    assert bool(found) is flagged, found
    if flagged:
        assert found[0].endswith("through `Leaf.__init__()` -> `Base.__init__()`")


CONTEXT_MANAGERS = """\
import psycopg2


class Db:
    def __enter__(self):
        self.conn = psycopg2.connect("")
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()


class AsyncDb:
    async def __aenter__(self):
        self.conn = psycopg2.connect("")
        return self.conn

    async def __aexit__(self, *exc):
        self.conn.close()


class Quiet:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def get_db():
    return Db()
"""


@pytest.mark.parametrize(
    ("body", "flagged"),
    [
        ("with Db() as conn:\n        conn.cursor()", True),  # `with` runs the class's `__enter__`
        ("with get_db() as conn:\n        conn.cursor()", True),  # ... of what a helper returns
        ("async with AsyncDb() as conn:\n        conn.cursor()", True),  # ... `__aenter__`
        ("with Quiet():\n        pass", False),  # an `__enter__` that connects nowhere
        ("with open('x') as f:\n        f.read()", False),  # a builtin
        ("db = Db()\n    return db", False),  # made, never entered
    ],
)
def test_with_enters_the_context_manager(tmp_path: Path, body: str, flagged: bool) -> None:
    handler = f"from db import AsyncDb, Db, Quiet, get_db\n\n\nasync def lambda_handler(event, context):\n    {body}\n"
    write_files(tmp_path, {"app.py": handler, "db.py": CONTEXT_MANAGERS})
    found = _findings(tmp_path)
    assert bool(found) is flagged, found
    if body.startswith("with get_db()"):
        assert found[0].endswith("through `get_db()` -> `Db.__enter__()`")
