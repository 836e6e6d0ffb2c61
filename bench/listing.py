"""A filtered page of 50 agreements: at 1,000,000 against 10,000, and against its own raw SQL.

Two keyset pages from the middle of the listing, as `accord agreements list --limit 50 --after`
reads them through `workflow.agreements.queries.page` (the table's rows): in force by expiry
(`--state active --sort expires_on`) and newest first (`--state active --kind mou --sort -id`).
The baseline is the very statement the service sent, captured, run again through psycopg alone
on one open connection. Cost should grow with the page, not the table.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from bench import common
from models import make_engine
from workflow.agreements import listing, queries
from workflow.agreements.proposals import Proposal, propose
from workflow.uow import UnitOfWork

LIMIT = 50


@dataclass(frozen=True)
class Case:
    """One page: its filters, as `page` takes them, and its cursor."""

    name: str
    filters: dict[str, Any]
    after: str


def templates(url: str, today: date) -> list[common.Template]:
    """Two signed MoUs and one still proposed, made through the service."""
    engine = make_engine(url)
    common.institutions(engine)
    signed = [
        common.signed_template(engine, title, today - timedelta(days=days), today)
        for title, days in (("Exchange memorandum", 400), ("Research memorandum", 900))
    ]
    with UnitOfWork(engine) as uow:
        proposal = Proposal(
            home="home",
            partner="partner",
            kind="mou",
            title="Memorandum under discussion",
            proposed_on=today - timedelta(days=30),
            actor="bench",
            today=today,
            term_months=common.TERM_MONTHS,
        )
        slug = propose(uow, proposal).slug
        uow.commit()
    proposed = common.template_of(engine, slug)
    engine.dispose()
    return [*signed, proposed]


@contextmanager
def world(admin_url: str, size: int, today: date, seed: int) -> Iterator[str]:
    """A database of `size` agreements (two thirds in force, expiries spread over ten years)."""
    with common.scratch_database(admin_url, f"_{size}") as url:
        made = templates(url, today)
        rng = random.Random(seed)
        share = (size - len(made)) // len(made)
        jobs = [(t, [rng.randrange(-1800, 1800) for _ in range(share)]) for t in made]
        common.clone_agreement_rows(url, jobs)
        common.analyze(url)
        yield url


def cases(url: str, today: date) -> list[Case]:
    """The two pages, each from the middle of its listing."""
    middle_day = today + timedelta(days=1800 - 400)  # the first template's expiry, unshifted
    middle_id = common.count(url, "SELECT max(id) / 2 FROM agreements")
    by_expiry = listing.encode_cursor(
        listing.Sort("expires_on"), {"id": 0, "expires_on": middle_day.isoformat()}
    )
    newest = listing.encode_cursor(listing.Sort("id", descending=True), {"id": middle_id})
    return [
        Case("in force by expiry", {"state": "active", "sort": "expires_on"}, by_expiry),
        Case("newest first", {"state": "active", "kind": "mou", "sort": "-id"}, newest),
    ]


def service(session: Session, case: Case, today: date) -> list[int]:
    """The page as the CLI reads it, `queries.page` for the table's rows, in a transaction of
    its own (rolled back, as a read's is)."""
    page = queries.page(
        session, full=False, limit=LIMIT, after=case.after, today=today, **case.filters
    )
    session.rollback()
    assert page.next is not None, "the page is from the middle: a next page exists"
    return [row["id"] for row in page.items]


def fresh(engine: Engine, case: Case, today: date) -> list[int]:
    """The same through a new Session per page, as each CLI command and API request has one:
    the pool's checkout pre-pings the connection first (one more transaction)."""
    with Session(engine) as session:
        return service(session, case, today)


def captured(engine: Engine, work: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The statements `work` sends, with their parameters."""
    sent: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return sent


def timed(work: Callable[[], Any], cpu: list[float]) -> float:
    """The milliseconds of one call of `work`; its client CPU milliseconds go to `cpu`."""
    started, used = time.perf_counter(), time.process_time()
    work()
    cpu.append((time.process_time() - used) * 1000)
    return (time.perf_counter() - started) * 1000


def raw_page(conn: psycopg.Connection[Any], sql: str, params: Any) -> list[Any]:
    """The captured statement in a transaction of its own, as the service's read has one:
    BEGIN, the SELECT, ROLLBACK on one connection held open."""
    rows = conn.execute(sql, params).fetchall()
    conn.rollback()
    return rows


@dataclass
class Figures:
    """One case at one size: service and raw medians, and the raw statement's plan."""

    service_ms: float
    raw_ms: float
    fresh_ms: float
    plan: list[str]
    service_cpu_ms: float = 0.0
    raw_cpu_ms: float = 0.0


def measure(url: str, today: date, calls: int) -> dict[str, Figures]:
    """Every case at this size: service and raw, call by call in turn, warm."""
    engine = make_engine(url)
    out: dict[str, Figures] = {}
    with (
        psycopg.connect(common.libpq_dsn(url)) as conn,
        engine.connect() as held,
        Session(bind=held) as session,
    ):
        for case in cases(url, today):
            sent = captured(engine, lambda c=case: fresh(engine, c, today))  # type: ignore[misc]
            pages = [s for s in sent if "FROM agreements" in s[0]]
            assert len(pages) == 1, f"{case.name}: the page took {len(pages)} statements"
            sql, params = pages[0]
            raw_ids = [r[0] for r in raw_page(conn, sql, params)][:LIMIT]
            if raw_ids != service(session, case, today):
                sys.exit(f"{case.name}: the service and the raw SQL read different rows")
            svc, raw, new = [], [], []
            cpu: tuple[list[float], list[float], list[float]] = ([], [], [])
            for _ in range(calls):  # call by call in turn: all three see the same load
                svc.append(timed(lambda c=case: service(session, c, today), cpu[0]))  # type: ignore[misc]
                raw.append(timed(lambda s=sql, p=params: raw_page(conn, s, p), cpu[1]))  # type: ignore[misc]
                new.append(timed(lambda c=case: fresh(engine, c, today), cpu[2]))  # type: ignore[misc]
            plan = [r[0] for r in conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)]
            conn.rollback()
            medians = [statistics.median(x) for x in (svc, raw, new)]
            client = [statistics.mean(x) for x in cpu[:2]]
            out[case.name] = Figures(medians[0], medians[1], medians[2], plan, *client)
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.listing", description=__doc__.split("\n")[0]
    )
    common.admin_url_arg(parser)
    parser.add_argument("--sizes", type=int, nargs=2, default=[10_000, 1_000_000])
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 12, 1))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--calls", type=int, default=500, help="pages per side (median)")
    parser.add_argument("--flat", type=float, default=1.5, help="large ≤ this × small")
    parser.add_argument("--target", type=float, default=2.0, help="service ≤ this × raw")
    args = parser.parse_args(argv)
    print(f"load average before: {common.load()}; pages of {LIMIT}")
    results: dict[int, dict[str, Figures]] = {}
    for size in sorted(args.sizes):
        started = time.perf_counter()
        with world(args.admin_url, size, args.today, args.seed) as url:
            loaded = time.perf_counter() - started
            results[size] = measure(url, args.today, args.calls)
        print(f"{size:>9,} agreements (loaded in {loaded:.0f}s); load average {common.load()}")
        for name, f in results[size].items():
            print(
                f"    {name:20} service {f.service_ms:6.2f} ms   raw {f.raw_ms:6.2f} ms   "
                f"×{f.service_ms / f.raw_ms:.2f}   (new session per page {f.fresh_ms:6.2f} ms; "
                f"client CPU service {f.service_cpu_ms:.2f} ms, raw {f.raw_cpu_ms:.2f} ms)"
            )
    small, large = sorted(results)
    failures = []
    for name, f in results[large].items():
        growth = f.service_ms / results[small][name].service_ms
        ratio = f.service_ms / f.raw_ms
        print(f"{name}: {large:,} vs {small:,}: ×{growth:.2f}; service vs raw ×{ratio:.2f}")
        if growth > args.flat:
            failures.append(f"{name}: ×{growth:.2f} from {small:,} to {large:,} (≤ {args.flat})")
        if ratio > args.target:
            failures.append(f"{name}: service ×{ratio:.2f} raw (≤ {args.target})")
        if any("Seq Scan on agreements" in line for line in f.plan):
            failures.append(f"{name}: the page scans the whole agreements table")
        print("\n".join("    " + line for line in f.plan))
    for failure in failures:
        print(f"MISSED: {failure}", file=sys.stderr)
    if not failures:
        print(f"target met: ≤ ×{args.flat} from the small to the large table, ≤ ×{args.target} raw")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
