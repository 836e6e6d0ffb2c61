"""The day's time-driven moves as one set-based tick, against the same moves one at a time.

    .venv/bin/python -m bench.tick [--agreements 100000] [--due 1000] [--today YYYY-MM-DD]

Builds --agreements agreements (about 60 % active, 10 % in their renewal window, 30 % expired,
plus --due that time moves on --today: a third open their renewal window that day, a third lapse
that day, a third renew themselves that day, being auto-renewing), copies the database
(CREATE DATABASE … TEMPLATE), then:

  tick      workflow.agreements.tick.run_tick for --today on the first database: one transaction;
  one by one  the same moves on the copy, each through workflow.agreements.moves.advance with
              its own
            UnitOfWork, as `accord agreements advance REF TRIGGER --on DATE --actor system`;

prints both times and the ratio (target --target, default 10×), a second tick for the same day
(it must move nothing), that both databases end identical (states, versions, histories), and
the EXPLAIN ANALYZE of the tick's two due-set queries (they should use the partial indexes).
Exits 1 when the ratio is missed or a check fails.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event

from bench import common
from models import make_engine
from workflow.agreements import tick as tick_module
from workflow.agreements.moves import advance
from workflow.agreements.tick import SYSTEM, run_tick
from workflow.lifecycle import add_months
from workflow.uow import UnitOfWork

FINGERPRINT = """
SELECT md5(string_agg(concat_ws(':', id, state, version, expires_on, renewal_opens_on), ','
                      ORDER BY id)) FROM agreements
"""
HISTORY_FINGERPRINT = """
SELECT md5(string_agg(concat_ws(':', agreement_id, seq, trigger, from_state, to_state, actor,
                                at::date), ',' ORDER BY agreement_id, seq)),
       (SELECT count(*) FROM outbox), (SELECT count(*) FROM agreement_events)
FROM agreement_events
"""

# The terms and who signed each (the tick marks carried signatories as an assumption; a renewal by
# hand names them: the names must be the same).
TERMS_FINGERPRINT = """
SELECT md5(string_agg(concat_ws(':', t.agreement_id, t.number, t.signed_on, t.effective_on,
                                t.expires_on, s.institution_id, s.name), ','
                      ORDER BY t.agreement_id, t.number, s.institution_id)), count(*)
FROM agreement_terms t JOIN signatories s ON s.term_id = t.id
"""


def build(url: str, today: date, total: int, due: int, seed: int) -> dict[str, int]:
    """Templates through the service, then clones planned so exactly `due` move on `today`."""
    engine = make_engine(url)
    common.institutions(engine)
    # Made oldest first: each template's own ticks must not touch the ones made before it.
    expired = common.ticked_template(engine, "Lapsed memorandum", add_months(today, -72), today)
    in_window = common.ticked_template(
        engine, "Memorandum in its renewal window", add_months(today, -60) + timedelta(90), today
    )
    active = common.signed_template(engine, "Memorandum in force", add_months(today, -12), today)
    auto = common.signed_template(
        engine, "Auto-renewing memorandum", add_months(today, -12), today, renewal_type="auto"
    )
    engine.dispose()
    assert (expired.state, in_window.state, active.state) == ("expired", "renewal_due", "active")
    assert auto.state == "active"

    rng = random.Random(seed)
    rest = total - 4 - due
    n_active, n_window = rest * 60 // 100, rest * 10 // 100
    n_expired = rest - n_active - n_window
    window = active.expires_on - active.renewal_opens_on
    # A clone's dates are its template's shifted by whole days (see bench/common.py).
    opening = today - active.renewal_opens_on  # renewal window opens on `today`
    lapsing = today - in_window.expires_on  # term ends on `today`
    renewing = today - auto.expires_on  # auto-renewing, term ends on `today`
    n_opening, n_lapsing = due // 3, due // 3
    plan = {
        "active (not due)": (
            active,
            [
                rng.randint(opening.days + 1, (today - active.signed_on).days)
                for _ in range(n_active)
            ],
        ),
        "renewal window opens today": (active, [opening.days] * n_opening),
        "renewal_due (not due)": (
            in_window,
            [rng.randint(lapsing.days + 1, lapsing.days + window.days) for _ in range(n_window)],
        ),
        "term ends today": (in_window, [lapsing.days] * n_lapsing),
        "auto-renewing, term ends today": (auto, [renewing.days] * (due - n_opening - n_lapsing)),
        "expired": (
            expired,
            [
                rng.randint(
                    (today - expired.expires_on).days - 1800, (today - expired.expires_on).days - 1
                )
                for _ in range(n_expired)
            ],
        ),
    }
    cloned = common.clone_all(url, list(plan.values()))
    counts = {label: len(ids) for label, ids in zip(plan, cloned, strict=True)}
    counts["templates (made through the service)"] = 4
    common.mark_history_dispatched(url)
    common.analyze(url)
    return counts


def capture_due_queries(engine: Engine, today: date) -> list[tuple[str, Any]]:
    """The SQL (and parameters) `workflow.agreements.tick.due` sends, captured as it runs;
    rolled back."""
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    with UnitOfWork(engine) as uow:
        event.listen(uow.conn, "before_cursor_execute", grab)
        tick_module.due(uow, today)
    return seen


def explain(engine: Engine, queries: list[tuple[str, Any]]) -> list[str]:
    """Replay what `due` sent in one transaction, EXPLAIN (ANALYZE, BUFFERS) for each SELECT."""
    out = []
    with engine.connect() as conn:
        for statement, parameters in queries:
            if not statement.lstrip().upper().startswith("SELECT"):
                conn.exec_driver_sql(statement, parameters)  # e.g. SET LOCAL
                out.append(" ".join(statement.split()))
                continue
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            out.append(" ".join(statement.split()))
            out.extend("    " + line for (line,) in plan.all())
        conn.rollback()
    return out


def one_by_one(engine: Engine, today: date) -> tuple[float, int]:
    """The due moves, each through the service in its own transaction; (seconds, moves)."""
    with UnitOfWork(engine) as uow:
        todo = [(row.id, trigger, when) for row, trigger, when in tick_module.due(uow, today)]
    started = time.perf_counter()
    for agreement_id, trigger, when in todo:
        # as `accord agreements advance ID TRIGGER --on DATE --actor system` would make it
        on = when.date() if isinstance(when, datetime) else when
        # a renewal by hand names the signatories the tick carries from the term ending
        signatories = common.SIGNATORIES if trigger == "renew" else None
        advance(
            UnitOfWork(engine),
            agreement_id,
            trigger,
            actor=SYSTEM,
            today=today,
            on=on,
            signatories=signatories,
        )
    return time.perf_counter() - started, len(todo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.tick", description=__doc__.split("\n")[0]
    )
    common.admin_url_arg(parser)
    parser.add_argument("--agreements", type=int, default=100_000, help="agreements in all")
    parser.add_argument("--due", type=int, default=1_000, help="how many time moves today")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--seed", type=int, default=7, help="of the spread of the other dates")
    parser.add_argument("--target", type=float, default=10.0, help="tick must be this × faster")
    args = parser.parse_args(argv)
    today: date = args.today
    failures: list[str] = []

    print(f"load average before: {common.load()}")
    with common.scratch_database(args.admin_url) as url:
        started = time.perf_counter()
        counts = build(url, today, args.agreements, args.due, args.seed)
        agreements = common.count(url, "SELECT count(*) FROM agreements")
        events = common.count(url, "SELECT count(*) FROM agreement_events")
        print(
            f"load: {agreements:,} agreements, {events:,} events (with as many outbox rows, "
            f"terms, signatories, parties) in {time.perf_counter() - started:.1f}s"
        )
        for label, n in counts.items():
            print(f"    {n:>7,}  {label}")
        started = time.perf_counter()
        with common.copy_of(args.admin_url, url, "_copy") as copy_url:
            print(f"copy: identical second database in {time.perf_counter() - started:.1f}s")

            engine = make_engine(url)
            queries = capture_due_queries(engine, today)
            plans = explain(engine, queries)

            started = time.perf_counter()
            report = run_tick(UnitOfWork(engine), today)
            tick_seconds = time.perf_counter() - started
            started = time.perf_counter()
            again = run_tick(UnitOfWork(engine), today)
            again_seconds = time.perf_counter() - started
            engine.dispose()

            copy_engine = make_engine(copy_url)
            single_seconds, single_moves = one_by_one(copy_engine, today)
            copy_engine.dispose()

            same = [
                common.rows(url, FINGERPRINT) == common.rows(copy_url, FINGERPRINT),
                common.rows(url, HISTORY_FINGERPRINT) == common.rows(copy_url, HISTORY_FINGERPRINT),
                common.rows(url, TERMS_FINGERPRINT) == common.rows(copy_url, TERMS_FINGERPRINT),
            ]

        moved = {k: len(v) for k, v in report.moved.items()}
        ratio = single_seconds / tick_seconds
        print(
            f"tick:        {report.total:,} moves {moved} in {tick_seconds * 1000:,.0f} ms "
            f"({common.rate(report.total, tick_seconds)}), refused {len(report.refused)}, "
            f"stale {report.skipped_stale}"
        )
        print(
            f"one by one:  {single_moves:,} moves through advance() in "
            f"{single_seconds * 1000:,.0f} ms ({common.rate(single_moves, single_seconds)})"
        )
        print(f"ratio:       the tick is {ratio:.1f}× faster (target ≥ {args.target:g}×)")
        print(
            f"second tick: {again.total} moves in {again_seconds * 1000:,.0f} ms "
            f"(refused {len(again.refused)})"
        )
        print(
            f"same result: states and versions {same[0]}; histories and outbox {same[1]}; "
            f"terms and signatories {same[2]}"
        )
        print("the tick's due-set queries (EXPLAIN ANALYZE, before the tick):")
        print("\n".join("  " + line for line in plans))
        print(f"load average after: {common.load()}")

    expected = (
        counts["renewal window opens today"]
        + counts["term ends today"]
        + counts["auto-renewing, term ends today"]
    )
    if report.total != expected or single_moves != expected:
        failures.append(f"expected {expected} due moves, tick made {report.total}")
    if again.total:
        failures.append(f"the second tick moved {again.total}")
    if not all(same):
        failures.append("the tick and the one-by-one moves left different databases")
    if not any("ix_agreements_expires_in_force" in line for line in plans) or not any(
        "ix_agreements_renewal_opens_in_force" in line for line in plans
    ):
        failures.append("a due-set query does not use its partial index")
    if ratio < args.target:
        failures.append(f"the tick is only {ratio:.1f}× faster, target {args.target:g}×")
    for failure in failures:
        print(f"MISSED: {failure}", file=sys.stderr)
    if not failures:
        print(f"target met: tick ≥ {args.target:g}× one by one; second tick moved nothing")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
