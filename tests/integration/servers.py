"""Throw-away PostgreSQL and PgBouncer servers for the integration suite.

PostgreSQL comes from Debian's `postgresql` package (`initdb` into a temporary directory, 127.0.0.1 on a
free port, unix sockets in that directory, `log_statement = all`). PgBouncer 1.18 is Debian's `pgbouncer`
package; 1.25.2 is built from the vendored tarball by scripts/integration-servers.sh into a cache directory
outside the repository. Each PgBouncer runs in transaction mode with two databases in front of the same
PostgreSQL database: `one` (a pool of one server connection: two clients share it, so leaks show) and
`two` (a pool of two: a client's next transaction can land on the other one, so lost state shows).

As root (CI), the servers run as the `postgres` user, since neither will run as root.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import psycopg2.extensions

from pinlint.catalog import PoolerSetup

HOW_TO_RUN = "integration servers not available: run scripts/integration-servers.sh, then pytest -m integration"
CACHE = Path(os.environ.get("PINLINT_INTEGRATION_CACHE", Path.home() / ".cache" / "pinlint-integration"))
USER = "pinlint"  # the PostgreSQL superuser the suite connects as
DATABASE = "pinlint"


@dataclass(frozen=True)
class Variant:
    """One PgBouncer set-up whose verdicts can differ from the others', and what pinlint is told about it."""

    name: str
    release: str  # "1.18" (Debian) or "1.25" (built)
    settings: dict[str, str] = field(default_factory=dict)  # extra [pgbouncer] settings
    setup: PoolerSetup = field(default_factory=PoolerSetup)
    only_startup: bool = False  # only the cases that pass startup parameters differ here


def _setup(
    version: str, mps: int | None = None, extra: tuple[str, ...] | None = None, ignored: tuple[str, ...] = ()
) -> PoolerSetup:
    return PoolerSetup(tuple(int(part) for part in version.split(".")), mps, extra, ignored)


VARIANTS = (
    Variant("1.18", "1.18", setup=_setup("1.18")),
    Variant("1.25-mps0", "1.25", {"max_prepared_statements": "0"}, _setup("1.25.2", 0)),
    Variant("1.25-mps200", "1.25", {"max_prepared_statements": "200"}, _setup("1.25.2", 200)),
    Variant(
        "1.25-extra",
        "1.25",
        {"track_extra_parameters": "IntervalStyle, default_transaction_read_only"},
        _setup("1.25.2", None, ("IntervalStyle", "default_transaction_read_only")),
    ),
    Variant(
        "1.18-ignore-options",
        "1.18",
        {"ignore_startup_parameters": "options"},
        _setup("1.18", ignored=("options",)),
        only_startup=True,
    ),
    Variant(
        "1.25-ignore-options",
        "1.25",
        {"ignore_startup_parameters": "options"},
        _setup("1.25.2", ignored=("options",)),
        only_startup=True,
    ),
)


def postgres_bindir() -> Path | None:
    configured = os.environ.get("PINLINT_PG_BINDIR")
    candidates = [configured] if configured else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


def pgbouncer_binary(release: str) -> Path | None:
    if release == "1.18":
        found = os.environ.get("PINLINT_PGBOUNCER_118") or "/usr/sbin/pgbouncer"
    else:
        found = os.environ.get("PINLINT_PGBOUNCER_125") or str(CACHE / "pgbouncer-1.25.2" / "pgbouncer")
    return Path(found) if Path(found).exists() else None


def missing() -> str:
    """Why the servers cannot be had here ("" when they can)."""
    if postgres_bindir() is None:
        return "PostgreSQL (initdb)"
    for release in ("1.18", "1.25"):
        if pgbouncer_binary(release) is None:
            return f"PgBouncer {release}"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "a postgres user to run the servers as"
    return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _wait_for(port: int, what: str, log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start on port {port}: {log.read_text(errors='replace')[-2000:]}")


class Postgres:
    """A PostgreSQL cluster in a temporary directory; `log` is its server log (every statement)."""

    def __init__(self, root: Path) -> None:
        bindir = postgres_bindir()
        assert bindir is not None
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.port = free_port()

    def start(self) -> None:
        subprocess.run(
            _as_server_user(
                [str(self.bindir / "initdb"), "-D", str(self.data), "-U", USER, "--auth=trust", "--no-sync"]
            ),
            check=True,
            capture_output=True,
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "log_statement": "'all'",
            "log_line_prefix": "'%m [%p] %a: '",
            "fsync": "off",
            "lock_timeout": "'10s'",  # a lock left behind by an earlier case must not hang the suite
            "timezone": "'America/New_York'",  # not UTC, so that `SET TIME ZONE 'UTC'` shows
            "max_connections": "200",
            "shared_preload_libraries": "''",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("".join(f"{key} = {value}\n" for key, value in settings.items()))
        subprocess.run(
            _as_server_user([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "start"]),
            check=True,
            capture_output=True,
        )
        with contextlib.closing(self.connect("postgres")) as conn:
            conn.cursor().execute(f"CREATE DATABASE {DATABASE}")

    def stop(self) -> None:
        subprocess.run(
            _as_server_user([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
            capture_output=True,
        )

    def dsn(self, database: str = DATABASE) -> str:
        return f"host=127.0.0.1 port={self.port} user={USER} dbname={database}"

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = DATABASE) -> psycopg2.extensions.connection:
        conn = psycopg2.connect(self.dsn(database))
        conn.autocommit = True
        return conn

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")


class PgBouncer:
    """One PgBouncer in transaction mode in front of `postgres`, with the databases `one` and `two`."""

    def __init__(self, variant: Variant, postgres: Postgres, root: Path) -> None:
        binary = pgbouncer_binary(variant.release)
        assert binary is not None
        self.binary = binary
        self.variant = variant
        self.postgres = postgres
        self.root = root
        self.port = free_port()
        self.log = root / "pgbouncer.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        target = f"host=127.0.0.1 port={self.postgres.port} dbname={DATABASE}"
        settings = {
            "listen_addr": "127.0.0.1",
            "listen_port": str(self.port),
            "unix_socket_dir": str(self.root),
            "auth_type": "trust",
            "auth_file": str(self.root / "users.txt"),
            "admin_users": USER,
            "pool_mode": "transaction",
            "logfile": str(self.log),
            "pidfile": str(self.root / "pgbouncer.pid"),
            "server_round_robin": "0",
            **self.variant.settings,
        }
        (self.root / "users.txt").write_text(f'"{USER}" ""\n')
        ini = f"[databases]\none = {target} pool_size=1\ntwo = {target} pool_size=2\n[pgbouncer]\n" + "".join(
            f"{key} = {value}\n" for key, value in settings.items()
        )
        (self.root / "pgbouncer.ini").write_text(ini)
        binary = self.binary
        if os.geteuid() == 0:  # the postgres user may not reach a root's home: run a copy
            binary = Path(shutil.copy(self.binary, self.root / "pgbouncer"))
        with (self.root / "stderr.log").open("wb") as stderr:
            self.process = subprocess.Popen(
                _as_server_user([str(binary), str(self.root / "pgbouncer.ini")]),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        _wait_for(self.port, f"PgBouncer {self.variant.name}", self.root / "stderr.log")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def dsn(self, database: str, extra: str = "") -> str:
        return f"host=127.0.0.1 port={self.port} user={USER} dbname={database} {extra}".strip()

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def fresh_servers(self, database: str) -> None:
        """Close the pool's server connections, so that a case starts from clean ones."""
        admin = psycopg2.connect(self.dsn("pgbouncer"))
        admin.autocommit = True
        try:
            cursor = admin.cursor()
            cursor.execute(f"KILL {database}")
            cursor.execute(f"RESUME {database}")
        finally:
            admin.close()


class Servers:
    """PostgreSQL and one PgBouncer per variant, started on first use and stopped at the end."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pinlint-integration-"))
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.postgres = Postgres(self.root)
        self.bouncers: dict[str, PgBouncer] = {}

    def start(self) -> None:
        self.postgres.start()

    def bouncer(self, variant: Variant) -> PgBouncer:
        if variant.name not in self.bouncers:
            directory = self.root / variant.name
            directory.mkdir()
            if os.geteuid() == 0:
                entry = pwd.getpwnam("postgres")
                os.chown(directory, entry.pw_uid, entry.pw_gid)
            bouncer = PgBouncer(variant, self.postgres, directory)
            bouncer.start()
            self.bouncers[variant.name] = bouncer
        return self.bouncers[variant.name]

    def stop(self) -> None:
        for bouncer in self.bouncers.values():
            bouncer.stop()
        self.postgres.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def running() -> Iterator[Servers]:
    """The servers, stopped on the way out, also when the run is terminated (SIGTERM, e.g. `timeout`)."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    servers = Servers()
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()
