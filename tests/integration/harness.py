"""Run a rule's examples through a real PgBouncer and say what happened to the session state.

A rule file's ``[integration]`` table says how to see the state its statements touch:

* ``probe``: SQL whose one value shows the state as a session sees it (``SHOW search_path``,
  ``pg_prepared_statements``, ``pg_locks``, ``pg_listening_channels()``...);
* ``victim``: SQL another client runs first on the shared server connection (for statements that
  reset or release: does the example wipe someone else's state?);
* ``victim-connect``: libpq connection parameters of that other client;
* ``before``: SQL the client runs before the example (state that the example reads, e.g. a nextval);
* ``connect``: libpq connection parameters of the client (``options=-c ...``, ``application_name=...``);
* ``probe-other``: ``false`` when only the client's own probe counts (the example reads state, as
  ``currval()``: another client's answer changing is that client's finding, not this one's);
* ``answers``: compare the example's own results with a direct connection's (a wrong answer is a leak);
* ``driver``: a scenario of drivers.py that runs the example's own Python code with the real driver;
* ``setup``: SQL run directly on PostgreSQL before each run, after the base schema below;
* ``sql``: what the client sends for every example of a driver rule (a runnable entry can override it).

``[[integration.runnable]]`` entries (``example = "bad 2"``) replace an example that cannot run as it
stands (placeholders, driver code) with the SQL it sends, and may override any of the keys above;
``fails-directly = true`` says the example fails on PostgreSQL itself (MySQL syntax, no transaction),
``skip`` says why an example is not run.

Each case runs three times from a fresh schema and fresh server connections:

1. directly on PostgreSQL, the reference;
2. through the pool of ONE server connection: client A runs ``before``, client B runs ``victim`` and
   the probe, A runs the example, B runs the probe again. B's answer changing, or A's answers differing
   from the reference (``answers``), is **leaked**;
3. through the pool of TWO: A runs ``before`` and the example (on server connection S1), client C opens
   a transaction (and holds S1), A runs the probe (on S2). A's answer differing from the reference is
   **lost**.

A statement or a connection that fails through PgBouncer and not directly is **refused**. Nothing of
these is **nothing**. pinlint's consequences map onto these: ``errors`` = refused, ``breaks`` = leaked
or lost, ``ok`` = nothing.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions

from pinlint.catalog import Example, PoolerSetup, Rule
from pinlint.config import Settings
from pinlint.engine import Linter
from pinlint.extract.python import extract_python
from pinlint.pymodel import parse_python
from pinlint.sql.statements import split_statements
from servers import PgBouncer, Postgres

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# The tables, sequences, schemas and roles the rule examples name, rebuilt before every run.
ROLES = ("reporting", "alice", "app")
BASE_SCHEMA = """
DROP SCHEMA IF EXISTS public, tenant_42, billing, b_schema, app CASCADE;
CREATE SCHEMA public;
CREATE SCHEMA tenant_42;
CREATE SCHEMA billing;
CREATE SCHEMA b_schema;
CREATE SCHEMA app;
CREATE TABLE users (id int PRIMARY KEY, name text);
INSERT INTO users VALUES (1, 'user1'), (2, 'user2');
CREATE TABLE events (id int PRIMARY KEY, payload text);
INSERT INTO events SELECT n, 'e' || n FROM generate_series(1, 20) n;
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, total numeric, created timestamptz DEFAULT now());
INSERT INTO orders (customer_id, total) SELECT n, n * 10 FROM generate_series(1, 20) n;
CREATE TABLE invoices (id serial PRIMARY KEY, customer_id int, total numeric);
CREATE TABLE tenant_42.invoices (id int);
CREATE TABLE accounts (id int PRIMARY KEY, balance numeric);
INSERT INTO accounts VALUES (1, 100);
CREATE TABLE stock (sku text PRIMARY KEY, qty int);
INSERT INTO stock VALUES ('A1', 10);
CREATE TABLE jobs (id int PRIMARY KEY, state text);
INSERT INTO jobs VALUES (42, 'new');
CREATE TABLE sales (id int);
CREATE TABLE settings (discard text);
CREATE TABLE staging (x int);
CREATE TABLE "temp" (x int);
CREATE SEQUENCE invoice_number_seq;
CREATE SEQUENCE invoice_id_seq;
CREATE FUNCTION expensive() RETURNS int LANGUAGE sql AS 'SELECT 1';
GRANT ALL ON SCHEMA public TO PUBLIC;
GRANT ALL ON ALL TABLES IN SCHEMA public TO reporting, alice, app;
"""

LEAKED, LOST, REFUSED = "leaked", "lost", "refused"
OBSERVED_CONSEQUENCE = {REFUSED: "errors", LEAKED: "breaks", LOST: "breaks"}
SEVERITY = ("ok", "breaks", "errors")  # how pinlint's PgBouncer consequences combine: the worst wins


@dataclass(frozen=True)
class Case:
    """One example of one rule, in the form that runs, with how to observe it."""

    rule: Rule
    label: str  # "bad 1", "good 2"
    example: Example
    statements: tuple[str, ...]
    probe: str = ""
    victim: str = ""
    before: str = ""
    connect: str = ""
    victim_connect: str = ""
    setup: str = ""
    answers: bool = False
    probe_other: bool = True
    fails_directly: bool = False
    skip: str = ""
    driver: str = ""  # a scenario of drivers.py that runs the example's own code
    replayed: bool = False  # a driver rule's statements are what its call sends (``sql``), not the example's

    @property
    def id(self) -> str:
        return f"{self.rule.code}-{self.label.replace(' ', '')}"


@dataclass
class Observation:
    seen: set[str] = field(default_factory=set)
    details: list[str] = field(default_factory=list)

    @property
    def consequence(self) -> str:
        consequences = {OBSERVED_CONSEQUENCE[kind] for kind in self.seen} or {"ok"}
        return max(consequences, key=SEVERITY.index)

    @property
    def summary(self) -> str:
        return ", ".join(sorted(self.seen)) or "nothing"


def split(sql: str) -> tuple[str, ...]:
    return tuple(sql[s.start : s.end].strip().rstrip(";").strip() for s in split_statements(sql) if s.tokens)


def _example_sql(example: Example) -> str:
    if example.language == "sql":
        return example.source
    fragments = extract_python(parse_python(example.source), "example.py").fragments
    return ";\n".join(fragment.text for fragment in fragments)


def _spec(rule: Rule) -> dict[str, Any]:
    path = Path(rule_file_directory(), rule.file)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    spec = data.get("integration", {})
    return spec if isinstance(spec, dict) else {}


def rule_file_directory() -> Path:
    from pinlint.catalog import rules_directory

    return rules_directory()


KEYS = (
    *("probe", "victim", "victim-connect", "before", "connect", "setup"),
    *("sql", "answers", "probe-other", "fails-directly", "skip", "driver"),
)


def cases(rules: tuple[Rule, ...]) -> list[Case]:
    """Every example of every rule with an ``[integration]`` table."""
    found = []
    for rule in rules:
        spec = _spec(rule)
        if not spec:
            continue
        runnable = {entry["example"]: entry for entry in spec.get("runnable", []) if "example" in entry}
        for kind, examples in (("bad", rule.bad), ("good", rule.good)):
            for number, example in enumerate(examples, start=1):
                label = f"{kind} {number}"
                entry = {**{key: value for key, value in spec.items() if key in KEYS}, **runnable.get(label, {})}
                sql = entry.get("sql", "") or ("" if "driver" in entry else _example_sql(example))
                found.append(
                    Case(
                        rule=rule,
                        label=label,
                        example=example,
                        statements=split(sql),
                        probe=entry.get("probe", ""),
                        victim=entry.get("victim", ""),
                        before=entry.get("before", ""),
                        connect=entry.get("connect", ""),
                        victim_connect=entry.get("victim-connect", ""),
                        setup=entry.get("setup", ""),
                        answers=bool(entry.get("answers", False)),
                        probe_other=bool(entry.get("probe-other", True)),
                        fails_directly=bool(entry.get("fails-directly", False)),
                        skip=entry.get("skip", ""),
                        driver=entry.get("driver", ""),
                        replayed="sql" in entry and rule.kind.name == "call-arguments",
                    )
                )
    return found


def expected(case: Case, catalog: tuple[Rule, ...], setup: PoolerSetup, settings: Settings) -> tuple[str, list[str]]:
    """pinlint's PgBouncer consequence for the example as written: the worst of the rules that flag it,
    each adjusted to the pooler setup; and which rules those were."""
    path = "example.py" if case.example.language == "python" else "example.sql"
    result = Linter(catalog, settings).lint_source(case.example.source, path)
    by_code = {rule.code: rule for rule in catalog}
    verdicts = []
    codes = {finding.code for finding in result.findings}
    # A driver scenario, or the SQL a driver call sends replayed (``sql``), observes its own rule's state
    # only: PIN035's reset has its own case, and the replay of PIN035's pool does not introspect a type
    # (PIN041) or prepare a statement (PIN024).
    if case.driver or case.replayed:
        codes &= {case.rule.code}
    for code in sorted(codes):
        consequence = by_code[code].for_setup(setup).targets.get("pgbouncer", "ok")
        verdicts.append(f"{code}={consequence}")
    consequences = [verdict.split("=")[1] for verdict in verdicts]
    relevant = [consequence for consequence in consequences if consequence in SEVERITY] or ["ok"]
    return max(relevant, key=SEVERITY.index), verdicts


# --- running SQL -------------------------------------------------------------------------------


Outcome = tuple[str, str]  # ("ok", rows) or ("error", sqlstate and message)


class Client:
    """One client session: psycopg2 in autocommit, the simple query protocol, like psql."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True

    def run(self, statement: str) -> Outcome:
        cursor = self.conn.cursor()
        try:
            cursor.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
            return ("ok", repr(rows))
        except psycopg2.Error as error:
            message = (error.pgerror or str(error)).strip().splitlines()[0] if (error.pgerror or str(error)) else ""
            return ("error", f"{error.pgcode or type(error).__name__}: {message}")
        finally:
            cursor.close()

    def run_all(self, sql: str) -> list[Outcome]:
        return [self.run(statement) for statement in split(sql)]

    def probe(self, sql: str) -> str:
        if not sql:
            return ""
        return repr([self.run(statement) for statement in split(sql)])

    def close(self) -> None:
        with contextlib.suppress(psycopg2.Error):
            self.conn.close()


@contextlib.contextmanager
def clients(*dsns: str) -> Iterator[list[Client]]:
    opened: list[Client] = []
    try:
        for dsn in dsns:
            opened.append(Client(dsn))
        yield opened
    finally:
        for client in opened:
            client.close()


def prepare_database(postgres: Postgres, case: Case) -> None:
    admin = postgres.connect()
    try:
        cursor = admin.cursor()
        for role in ROLES:
            cursor.execute(f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'")
            if not cursor.fetchall():
                cursor.execute(f"CREATE ROLE {role}")
        cursor.execute(BASE_SCHEMA)
        if case.setup:
            cursor.execute(case.setup)
    finally:
        admin.close()


@dataclass(frozen=True)
class Reference:
    answers: tuple[Outcome, ...]
    probe: str


def reference(postgres: Postgres, case: Case, *, victim: bool) -> Reference:
    """What the client sees on direct connections: with another client's ``victim`` SQL in between
    (as in the pool of one) or without (as in the pool of two)."""
    prepare_database(postgres, case)
    with clients(f"{postgres.dsn()} {case.connect}", f"{postgres.dsn()} {case.victim_connect}") as (a, b):
        a.run_all(case.before)
        if victim:
            b.run_all(case.victim)
        answers = tuple(a.run(statement) for statement in case.statements)
        return Reference(answers, a.probe(case.probe))


def _compare(answers: list[Outcome], ref: Reference, case: Case, observation: Observation, where: str) -> None:
    for statement, got, want in zip(case.statements, answers, ref.answers, strict=True):
        if got[0] == "error" and want[0] != "error":
            observation.seen.add(REFUSED)
            observation.details.append(f"{where}: {statement!r} refused: {got[1]}")
        elif case.answers and got != want:
            observation.seen.add(LEAKED)
            observation.details.append(f"{where}: {statement!r} answered {got[1]}, directly {want[1]}")


def observe(postgres: Postgres, bouncer: PgBouncer, case: Case, refs: tuple[Reference, Reference]) -> Observation:
    """Run ``case`` through ``bouncer``; ``refs`` are the direct runs with and without the victim."""
    observation = Observation()
    try:
        _observe(postgres, bouncer, case, refs, observation)
    finally:  # no lock or listener of this case stays on a server connection
        bouncer.fresh_servers("one")
        bouncer.fresh_servers("two")
    return observation


def _observe(
    postgres: Postgres, bouncer: PgBouncer, case: Case, refs: tuple[Reference, Reference], observation: Observation
) -> None:
    ref_one, ref_two = refs
    # Pool of one: does another client's session change?
    bouncer.fresh_servers("one")
    bouncer.fresh_servers("two")
    prepare_database(postgres, case)
    try:
        with clients(bouncer.dsn("one", case.connect), bouncer.dsn("one", case.victim_connect)) as (a, b):
            a.run_all(case.before)
            b.run_all(case.victim)
            b_before = b.probe(case.probe)
            answers = [a.run(statement) for statement in case.statements]
            b_after = b.probe(case.probe)
    except psycopg2.OperationalError as error:
        observation.seen.add(REFUSED)
        observation.details.append(f"connection refused: {str(error).strip().splitlines()[-1]}")
        return
    _compare(answers, ref_one, case, observation, "pool of one")
    if case.probe_other and b_before != b_after:
        observation.seen.add(LEAKED)
        observation.details.append(f"another client's probe: {b_before} -> {b_after}")
    # Pool of two: does the client's own next transaction still see its state?
    bouncer.fresh_servers("one")
    bouncer.fresh_servers("two")
    prepare_database(postgres, case)
    with clients(bouncer.dsn("two", case.connect), bouncer.dsn("two")) as (a, c):
        a.run_all(case.before)
        answers = [a.run(statement) for statement in case.statements]
        c.run("BEGIN")
        c.run("SELECT 1")  # C now holds the server connection A used
        a_probe = a.probe(case.probe)
        c.run("COMMIT")
    _compare(answers, ref_two, case, observation, "pool of two")
    if a_probe != ref_two.probe:
        observation.seen.add(LOST)
        observation.details.append(f"the client's next transaction: {a_probe}, directly {ref_two.probe}")


def settings_for(setup: PoolerSetup, root: Path) -> Settings:
    version = ".".join(map(str, setup.pgbouncer_version))
    return replace(
        Settings(root=root),
        pgbouncer_version=version,
        max_prepared_statements=setup.max_prepared_statements,
        track_extra_parameters=setup.track_extra_parameters,
        ignore_startup_parameters=setup.ignore_startup_parameters,
    )
