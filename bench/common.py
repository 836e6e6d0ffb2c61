"""Shared by the benchmarks: a throw-away PostgreSQL database, template agreements made through
the real service, and set-based cloning of those templates (rows, history and all).

Why clone: creating 100,000 agreements through the service would take five moves each, about
half an hour. Instead a few *template* agreements are proposed, reviewed, approved, sent for
signature, signed (and, for some, moved on by the tick) through the real use cases; then each
template is copied N times by INSERT … SELECT, every date of the copy (proposal, signing,
effective, expiry, renewal window, each event's `at`, the term and the `until`/`tick` dates in
the event data, the outbox payload's `at`) shifted by one whole number of days per copy. So every
clone is a valid row with a gap-free event history that replays through the machine, its parties,
its signed term and that term's signatories, and one outbox row per event (marked dispatched:
history that was handed over long ago).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import psycopg
from alembic import command
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

import migrations
from models import Institution, InstitutionKind
from workflow.agreements.moves import SignatoryInput, advance
from workflow.agreements.proposals import Proposal, propose
from workflow.agreements.tick import run_tick
from workflow.uow import UnitOfWork

ADMIN_URL = os.environ.get(
    "ACCORD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SIGNATORIES = {"home": SignatoryInput("Home President"), "partner": SignatoryInput("Partner Head")}
TERM_MONTHS = 60


def admin_url_arg(parser: argparse.ArgumentParser) -> None:
    """The --admin-url flag every benchmark takes."""
    parser.add_argument(
        "--admin-url",
        default=ADMIN_URL,
        help="a PostgreSQL URL allowed to CREATE/DROP DATABASE (env ACCORD_BENCH_PG_URL)",
    )


def _admin(admin_url: str) -> Engine:
    return create_engine(admin_url, isolation_level="AUTOCOMMIT")


def url_for(admin_url: str, name: str) -> str:
    """The URL of database `name` on the admin URL's server."""
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def libpq_dsn(url: str) -> str:
    """A SQLAlchemy URL as a libpq connection string, for the raw psycopg baseline."""
    u = make_url(url)
    parts = {
        "host": u.host,
        "port": u.port,
        "user": u.username,
        "password": u.password,
        "dbname": u.database,
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)


@contextmanager
def scratch_database(admin_url: str, suffix: str = "") -> Iterator[str]:
    """A new database `accord_bench_<pid><suffix>`, migrated to head by Alembic; dropped after."""
    name = f"accord_bench_{os.getpid()}{suffix}"
    admin = _admin(admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = url_for(admin_url, name)
    try:
        command.upgrade(migrations.config(url), "head")
        yield url
    finally:
        drop_database(admin_url, name)
        admin.dispose()


@contextmanager
def copy_of(admin_url: str, source_url: str, suffix: str) -> Iterator[str]:
    """An identical copy of a (quiet) database, by CREATE DATABASE … TEMPLATE; dropped after."""
    source = make_url(source_url).database
    name = f"{source}{suffix}"
    admin = _admin(admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}" STRATEGY FILE_COPY'))
    try:
        yield url_for(admin_url, name)
    finally:
        drop_database(admin_url, name)
        admin.dispose()


def drop_database(admin_url: str, name: str) -> None:
    """Drop database `name`, disconnecting whoever is still on it."""
    admin = _admin(admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def institutions(engine: Engine) -> None:
    """The two universities every bench agreement is between (`home` and `partner`)."""
    with UnitOfWork(engine) as uow:
        uow.session.add_all(
            [
                Institution(
                    slug="home",
                    name="Home University",
                    short_name="HOME",
                    kind=InstitutionKind.UNIVERSITY,
                    country="CN",
                ),
                Institution(
                    slug="partner",
                    name="Partner University",
                    short_name="PART",
                    kind=InstitutionKind.UNIVERSITY,
                    country="DE",
                ),
            ]
        )
        uow.commit()


@dataclass(frozen=True)
class Template:
    """An agreement made through the service, to be cloned; its dates, to plan the shifts."""

    id: int
    slug: str
    state: str
    signed_on: date
    expires_on: date
    renewal_opens_on: date


def signed_template(
    engine: Engine, title: str, signed: date, today: date, renewal_type: str = "fixed"
) -> Template:
    """propose → review → approve → send_for_signature → sign, each move dated, via the service."""
    proposed_on = signed - timedelta(days=150)
    with UnitOfWork(engine) as uow:
        slug = propose(
            uow,
            Proposal(
                home="home",
                partner="partner",
                kind="mou",
                title=title,
                proposed_on=proposed_on,
                actor="bench",
                today=today,
                term_months=TERM_MONTHS,
                renewal_type=renewal_type,
            ),
        ).slug
        uow.commit()
    for trigger, days in (("review", 30), ("approve", 60), ("send_for_signature", 90)):
        on = proposed_on + timedelta(days=days)
        advance(UnitOfWork(engine), slug, trigger, actor="bench", today=today, on=on)
    advance(
        UnitOfWork(engine),
        slug,
        "sign",
        actor="bench",
        today=today,
        on=signed,
        signatories=SIGNATORIES,
    )
    return template_of(engine, slug)


def ticked_template(engine: Engine, title: str, signed: date, until: date) -> Template:
    """A signed template, then every daily tick's effect up to `until` (the real run_tick)."""
    tpl = signed_template(engine, title, signed, until)
    for day in (tpl.renewal_opens_on, tpl.expires_on):
        if day <= until:
            run_tick(UnitOfWork(engine), day)
    return template_of(engine, tpl.slug)


def template_of(engine: Engine, slug: str) -> Template:
    """Re-read a template's state and dates."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, slug, state, signed_on, expires_on, renewal_opens_on "
                "FROM agreements WHERE slug = :slug"
            ),
            {"slug": slug},
        ).one()
    return Template(*row)


# One INSERT … SELECT per table, all set-based. Every column of the live table is copied from
# the template's row (`t`) unless overridden here, so columns added by later migrations follow.
# :tpl is the template's id; clone_plan(n, new_id, shift) holds one row per clone: its number, its
# new id and its shift in days. `e` is the clone's event with the same seq as the template's `te`.
_SHIFTED_EVENT_DATA = """t.data
    || CASE WHEN t.data->>'until' IS NOT NULL THEN jsonb_build_object(
        'until', to_char((t.data->>'until')::date + p.shift, 'YYYY-MM-DD')) ELSE '{}' END
    || CASE WHEN t.data->>'tick' IS NOT NULL THEN jsonb_build_object(
        'tick', to_char((t.data->>'tick')::date + p.shift, 'YYYY-MM-DD')) ELSE '{}' END"""
_CLONES: list[tuple[str, dict[str, str], str]] = [
    (
        "agreements",
        {
            "id": "p.new_id",
            "slug": "t.slug || '-c' || p.new_id",
            "proposed_on": "t.proposed_on + p.shift",
            "signed_on": "t.signed_on + p.shift",
            "effective_on": "t.effective_on + p.shift",
            "expires_on": "t.expires_on + p.shift",
            "renewal_opens_on": "t.renewal_opens_on + p.shift",
        },
        "FROM agreements t CROSS JOIN clone_plan p WHERE t.id = %(tpl)s ORDER BY p.new_id",
    ),
    (
        "agreement_parties",
        {"agreement_id": "p.new_id"},
        "FROM agreement_parties t CROSS JOIN clone_plan p WHERE t.agreement_id = %(tpl)s",
    ),
    (
        "agreement_events",
        {
            "agreement_id": "p.new_id",
            "at": "t.at + make_interval(days => p.shift)",
            "data": _SHIFTED_EVENT_DATA,
        },
        "FROM agreement_events t CROSS JOIN clone_plan p WHERE t.agreement_id = %(tpl)s "
        "ORDER BY p.new_id, t.seq",
    ),
    (
        "outbox",
        {
            "agreement_id": "e.agreement_id",
            "event_id": "e.id",
            "dispatched_at": "coalesce(t.dispatched_at, t.created_at)",
            "payload": "t.payload || jsonb_build_object('event_id', e.id, 'agreement_id', "
            "e.agreement_id, 'at', "
            "to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+00:00')",
        },
        "FROM outbox t JOIN agreement_events te ON te.id = t.event_id CROSS JOIN clone_plan p "
        "JOIN agreement_events e ON e.agreement_id = p.new_id AND e.seq = te.seq "
        "WHERE t.agreement_id = %(tpl)s ORDER BY e.id",
    ),
    (
        "agreement_terms",
        {
            "agreement_id": "p.new_id",
            "signed_on": "t.signed_on + p.shift",
            "effective_on": "t.effective_on + p.shift",
            "expires_on": "t.expires_on + p.shift",
            "event_id": "e.id",
        },
        "FROM agreement_terms t JOIN agreement_events te ON te.id = t.event_id "
        "CROSS JOIN clone_plan p "
        "JOIN agreement_events e ON e.agreement_id = p.new_id AND e.seq = te.seq "
        "WHERE t.agreement_id = %(tpl)s ORDER BY p.new_id, t.number",
    ),
    (
        "signatories",
        {"term_id": "nt.id"},
        "FROM signatories t JOIN agreement_terms tt ON tt.id = t.term_id "
        "CROSS JOIN clone_plan p "
        "JOIN agreement_terms nt ON nt.agreement_id = p.new_id AND nt.number = tt.number "
        "WHERE tt.agreement_id = %(tpl)s ORDER BY nt.id, t.id",
    ),
]


def _clone_statement(
    conn: psycopg.Connection[Any], table: str, over: dict[str, str], rest: str
) -> str:
    columns = [
        name
        for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s "
            "AND (column_name <> 'id' OR %s) ORDER BY ordinal_position",
            (table, "id" in over),
        )
    ]
    exprs = ", ".join(over.get(c, f"t.{c}") for c in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {exprs} {rest}"


def clone(url: str, template: Template, shifts: Sequence[int]) -> list[int]:
    """Copy `template` once per shift (days added to every date of the copy); return new ids."""
    return clone_all(url, [(template, shifts)])[0]


def clone_all(
    url: str,
    jobs: Sequence[tuple[Template, Sequence[int]]],
    *,
    workers: int = 2,
    chunk: int = 10_000,
) -> list[list[int]]:
    """Run every (template, shifts) job, in chunks over `workers` connections; the new ids per
    job. Ids are handed out here, in order, so the chunks can load in parallel."""

    def clone_chunk(conn: psycopg.Connection[Any], template: Template) -> None:
        conn.execute("ANALYZE clone_plan")
        for table, over, rest in _CLONES:
            conn.execute(_clone_statement(conn, table, over, rest), {"tpl": template.id})

    return _in_chunks(url, jobs, clone_chunk, workers=workers, chunk=chunk)


def _in_chunks(
    url: str,
    jobs: Sequence[tuple[Template, Sequence[int]]],
    clone_chunk: Callable[[psycopg.Connection[Any], Template], None],
    *,
    workers: int,
    chunk: int,
    done: Callable[[int], None] | None = None,
) -> list[list[int]]:
    """Hand out the copies' ids in order; per chunk, on a connection of its own, load the plan
    `clone_plan (n, new_id, shift)` and run `clone_chunk`, `workers` chunks at a time; then move
    the id sequence past the copies. The new ids per job; `done(n)` after each chunk of n."""
    with psycopg.connect(libpq_dsn(url)) as conn:
        row = conn.execute("SELECT coalesce(max(id), 0) FROM agreements").fetchone()
    assert row is not None
    next_id = int(row[0]) + 1
    ids: list[list[int]] = []
    chunks: list[tuple[Template, list[int], Sequence[int]]] = []
    for template, shifts in jobs:
        job_ids = list(range(next_id, next_id + len(shifts)))
        next_id += len(shifts)
        ids.append(job_ids)
        for start in range(0, len(shifts), chunk):
            chunks.append((template, job_ids[start : start + chunk], shifts[start : start + chunk]))

    def load(template: Template, chunk_ids: list[int], shifts: Sequence[int]) -> None:
        with psycopg.connect(libpq_dsn(url)) as conn:
            conn.execute("SET LOCAL synchronous_commit = off")  # a bench load, not a bank
            conn.execute(
                "CREATE TEMP TABLE clone_plan (n int, new_id int PRIMARY KEY, shift int) "
                "ON COMMIT DROP"
            )
            with conn.cursor().copy("COPY clone_plan (n, new_id, shift) FROM STDIN") as copy:
                for n, (new_id, shift) in enumerate(zip(chunk_ids, shifts, strict=True), 1):
                    copy.write_row((n, new_id, shift))
            clone_chunk(conn, template)
        if done is not None:
            done(len(chunk_ids))

    with ThreadPoolExecutor(max(1, workers)) as pool:
        for _ in pool.map(lambda c: load(*c), chunks):
            pass
    with psycopg.connect(libpq_dsn(url)) as conn:
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('agreements', 'id'), "
            "(SELECT max(id) FROM agreements))"
        )
    return ids


def mark_history_dispatched(url: str) -> None:
    """Bulk-loaded history was handed over long ago: no outbox row of it is pending (the clones'
    rows are loaded so; this marks the templates' own)."""
    with psycopg.connect(libpq_dsn(url)) as conn:
        conn.execute("UPDATE outbox SET dispatched_at = created_at WHERE dispatched_at IS NULL")


def analyze(url: str) -> None:
    """What autovacuum would soon do after a bulk load: fresh planner statistics."""
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        conn.execute("ANALYZE")


def count(url: str, sql: str, params: dict[str, Any] | None = None) -> int:
    """One integer from one query."""
    with psycopg.connect(libpq_dsn(url)) as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def rows(url: str, sql: str) -> tuple[Any, ...]:
    """The first row of one query."""
    with psycopg.connect(libpq_dsn(url)) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return tuple(row)


def load() -> str:
    """The machine's 1/5/15-minute load averages: other work skews a run, so each run says."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def rate(n: int, seconds: float) -> str:
    """`n` things in `seconds`, as a rate."""
    return f"{n / seconds:,.0f}/s" if seconds > 0 else "∞/s"


def clone_agreement_rows(
    url: str,
    jobs: Sequence[tuple[Template, Sequence[int]]],
    *,
    done: Callable[[int], None] | None = None,
    workers: int = 2,
    chunk: int = 25_000,
) -> list[list[int]]:
    """Like clone_all, but the `agreements` rows alone (no parties, history, terms or outbox):
    enough for what reads only that table, and ten times quicker to load. Every date of a copy
    is its template's shifted by the copy's days, as in clone_all. `done(n)` is called after
    each chunk of n rows (a progress bar's advance). The new ids per job."""
    with psycopg.connect(libpq_dsn(url)) as conn:
        statement = _clone_statement(conn, *_CLONES[0])

    def clone_chunk(conn: psycopg.Connection[Any], template: Template) -> None:
        conn.execute(statement, {"tpl": template.id})

    return _in_chunks(url, jobs, clone_chunk, workers=workers, chunk=chunk, done=done)


def column(url: str, sql: str) -> list[Any]:
    """The first column of every row of one query."""
    with psycopg.connect(libpq_dsn(url)) as conn:
        return [row[0] for row in conn.execute(sql)]
