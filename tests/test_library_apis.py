"""Library APIs that hide SQL or open connections (rules PIN060-PIN065, PgstacDB in PIN022):
the forms a user writes them in, and the look-alikes that stay quiet."""

from __future__ import annotations

import pytest

from conftest import codes, where


@pytest.mark.parametrize(
    "source",
    [
        "from pglock.core import advisory\n\nwith advisory('job'):\n    run()\n",
        "import pglock\n\nacquired = pglock.advisory('job', timeout=0).acquire()\n",
        "import pglock as locks\n\n@locks.advisory('job')\ndef nightly():\n    run()\n",
    ],
)
def test_session_level_pglock_advisory_in_every_form(source: str) -> None:
    assert codes(source) == ["PIN061"]


@pytest.mark.parametrize(
    "source",
    [
        "import pglock\n\nwith pglock.advisory('job', xact=True):\n    run()\n",
        "import pglock\n\nwith pglock.model('shop.Order'):\n    run()\n",  # a table lock in a transaction
        "from locks import advisory\n\nwith advisory('job'):\n    run()\n",  # not django-pglock's
    ],
)
def test_transaction_level_and_other_locks_stay_quiet(source: str) -> None:
    assert codes(source) == []


def test_a_decorator_call_is_read_on_its_own_line() -> None:
    """A decorator sits above its ``def``: its call is found on the decorator's line."""
    source = (
        "import django_pglocks\n\nclass Jobs:\n    @django_pglocks.advisory_lock(7)\n    def run(self):\n        ...\n"
    )
    assert where(source) == [("PIN060", 4, 6)]


def test_pgstacdb_made_in_a_handler_opens_a_pool_on_every_invocation() -> None:
    source = (
        "from pypgstac.db import PgstacDB\n\n\n"
        "def lambda_handler(event, context):\n"
        "    with PgstacDB(dsn=DSN) as db:\n"
        "        return list(db.query_one('SELECT 1'))\n"
    )
    assert sorted(codes(source)) == ["PIN022", "PIN065"]
    module_level = "from pypgstac.db import PgstacDB\n\ndb = PgstacDB(dsn=DSN)\n\n"
    module_level += "def lambda_handler(event, context):\n    return db\n"
    assert codes(module_level) == ["PIN065"]


def test_job_queue_workers_and_their_look_alikes() -> None:
    worker = "import procrastinate\n\napp = procrastinate.App(connector=connector)\napp.run_worker()\n"
    assert codes(worker) == ["PIN062"]
    assert codes(worker.replace("run_worker()", "run_worker(listen_notify=settings.LISTEN)")) == []
    elsewhere = "from tasks import app\n\napp.run_worker()\n"  # no procrastinate import: not known to be one
    assert codes(elsewhere) == []
    runner = (
        "import asyncio\nimport pgqueuer\n\nclass Job:\n    def run(self): ...\n\nJob().run()\nasyncio.run(main())\n"
    )
    assert codes(runner) == []


def test_alembic_command_in_a_helper_the_handler_calls() -> None:
    source = (
        "from alembic import command\nfrom alembic.config import Config\n\n\n"
        "def migrate():\n    command.upgrade(Config('alembic.ini'), 'head')\n\n\n"
        "def handler(event, context):\n    migrate()\n"
    )
    assert where(source) == [("PIN064", 6, 5)]


def test_in_memory_queues_of_tests_send_nothing_to_a_database() -> None:
    """procrastinate's InMemoryConnector and PgQueuer's InMemoryDriver/InMemoryQueries (their
    test doubles) never reach PostgreSQL: the modules that use them are left alone."""
    procrastinate = (
        "import procrastinate\nfrom procrastinate import testing\n\n"
        "app = procrastinate.App(connector=testing.InMemoryConnector())\napp.run_worker()\n"
    )
    assert codes(procrastinate) == []
    pgqueuer = (
        "from pgqueuer import QueueManager\nfrom pgqueuer.adapters.inmemory import InMemoryQueries\n\n"
        "async def test_run(queries: InMemoryQueries):\n    qm = QueueManager(queries)\n    await qm.run()\n"
    )
    assert codes(pgqueuer) == []
    assert codes(pgqueuer.replace("InMemoryQueries", "Queries").replace(".adapters.inmemory", ".queries")) == ["PIN063"]
