"""The reminder sweep, against one raw SQL statement doing the same work, as the table grows.

    .venv/bin/python -m bench.sweep [--sizes 10000 100000 1000000] [--due 1000] [--today D]

For each size, a new database holds that many agreements, of which --due have a renewal reminder
falling due on --today (a quarter per default offset: 180, 90, 30 and 7 days before expiry) and
--due/2 more had one due within the catch-up window that an earlier sweep already made; the rest
are in force with no reminder in the window, or expired; every reminder whose day has passed
exists as a sent `notifications` row. The same state is then swept two ways, alternately, each
from the same starting state (the rows one side made are deleted and the table vacuumed):

  raw    one statement on a psycopg connection held open: INSERT INTO notifications … SELECT the
         due set (offsets unnested, joined to agreements by date window) … ON CONFLICT
         (dedupe_key) DO NOTHING; COMMIT.
  sweep  workflow.notices.reminders.materialize_due(uow, today, default_offsets=…,
         catchup_days=…) in
         a UnitOfWork then commit(), as workflow.notices.sweep.sweep calls it.

Prints per size: stored, due, raw ms, sweep ms and the ratio (median of --trials), that both made
the same rows, a second sweep the same day (nothing new: it must be cheap), and at the largest
size the same with ten times as many due; then the EXPLAIN (ANALYZE, BUFFERS) of the sweep's
statements. Each size is measured twice: on the schema as the migrations make it (this decides
the exit status), and with one partial index the schema lacks (PROPOSED_INDEX, created in the
scratch database only, dropped after; skipped once the schema has an index on reminder_offsets),
to show what it would change. Exits 1 when the sweep is above --target × raw at some size, when
the sweep at the largest size costs more than --flat × the smallest (due held constant), when
both sides disagree, or when the sweep's INSERT does not use ix_agreements_expires_in_force.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

import psycopg
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, event

from bench import common
from models import make_engine
from workflow.lifecycle import add_months
from workflow.notices import reminders
from workflow.settings import Settings
from workflow.uow import UnitOfWork

DEFAULTS = Settings.model_fields
OFFSETS: list[int] = list(DEFAULTS["reminder_offsets"].default)
CATCHUP: int = DEFAULTS["reminder_catchup_days"].default
KIND = reminders.KIND

RAW = """
INSERT INTO notifications (kind, dedupe_key, agreement_id, due_on, status, attempts, payload,
                           created_at)
SELECT 'renewal_reminder', 'renewal_reminder:' || a.id || ':' || a.expires_on || ':' || o.days,
       a.id, a.expires_on - o.days, 'pending', 0, '{}'::jsonb, %(now)s
FROM unnest(%(offsets)s::int[]) AS o(days)
JOIN agreements a ON a.expires_on BETWEEN %(today)s::date + o.days - %(catchup)s
                                      AND %(today)s::date + o.days
WHERE a.state IN ('active', 'renewed', 'renewal_due') AND a.reminder_offsets IS NULL
ON CONFLICT (dedupe_key) DO NOTHING
"""

# Every reminder whose day has passed was made (and sent) long ago: history, set-based.
HISTORY = """
INSERT INTO notifications (kind, dedupe_key, agreement_id, due_on, status, attempts, payload,
                           created_at, sent_at, message_id)
SELECT 'renewal_reminder', k.key, a.id, k.due_on, 'sent', 0, '{}'::jsonb, k.at, k.at,
       '<' || replace(k.key, ':', '.') || '@accord.bench>'
FROM agreements a CROSS JOIN unnest(%(offsets)s::int[]) AS o(days)
CROSS JOIN LATERAL (
    SELECT 'renewal_reminder:' || a.id || ':' || a.expires_on || ':' || o.days AS key,
           a.expires_on - o.days AS due_on,
           (a.expires_on - o.days) + time '08:00' AT TIME ZONE 'UTC' AS at) k
WHERE a.id BETWEEN %(low)s AND %(high)s AND a.expires_on - o.days < %(today)s
"""

INDEX = "ix_agreements_expires_in_force"
# The sweep's lookup of agreements with days of their own (in the schema since migration 0003;
# created here only when a database lacks it).
PROPOSED_INDEX = (
    "CREATE INDEX ix_agreements_reminder_offsets_set ON agreements (id) "
    "WHERE reminder_offsets IS NOT NULL"
)
FINGERPRINT = """
SELECT count(*), md5(coalesce(string_agg(concat_ws(':', kind, dedupe_key, agreement_id, due_on,
                                                   status, attempts, payload::text),
                                         ',' ORDER BY dedupe_key), ''))
FROM notifications WHERE id > %(base)s
"""


@dataclass
class World:
    """One database of `stored` agreements; what it holds, and the id above the seeded rows."""

    url: str
    stored: int
    counts: dict[str, int]
    history: int
    base: int  # max(notifications.id) once seeded: rows above it are the sweep's


@dataclass
class Sample:
    """The measured times (s) of both sides at one size, and what each made."""

    raw: list[float] = field(default_factory=list)
    sweep: list[float] = field(default_factory=list)
    made: dict[str, set[int]] = field(default_factory=lambda: {"raw": set(), "sweep": set()})
    fingerprints: dict[str, set[tuple[Any, ...]]] = field(
        default_factory=lambda: {"raw": set(), "sweep": set()}
    )
    # On top of the last trial's rows, the same day: (seconds, reminders made) per side.
    again: dict[str, tuple[float, int]] = field(default_factory=dict)

    @property
    def raw_ms(self) -> float:
        return 1000 * statistics.median(self.raw)

    @property
    def sweep_ms(self) -> float:
        return 1000 * statistics.median(self.sweep)


def _windows(today: date) -> set[date]:
    """Every expiry day with a reminder due within the catch-up window ending `today`."""
    return {today + timedelta(d - k) for d in OFFSETS for k in range(CATCHUP + 1)}


def plan(
    today: date, stored: int, due: int, templates: dict[str, common.Template], seed: int
) -> dict[str, tuple[common.Template, list[int]]]:
    """The clones' shifts: exactly `due` reminders fall due today, `due // 2` earlier in the
    window (already made); the rest 60 % in force beyond their window, 10 % in it, 30 %
    expired; none of the rest has a reminder in the catch-up window."""
    rng = random.Random(seed)
    active, in_window, expired = templates["active"], templates["in_window"], templates["expired"]
    window = (active.expires_on - active.renewal_opens_on).days
    busy = _windows(today)

    def shift_to(expiry: date) -> tuple[common.Template, int]:
        if expiry < today:
            tpl = expired
        elif (expiry - today).days < window:
            tpl = in_window
        else:
            tpl = active
        return tpl, (expiry - tpl.expires_on).days

    def pick(low: int, high: int) -> date:
        while (day := today + timedelta(rng.randint(low, high))) in busy:
            pass
        return day

    earlier = due // 2
    rest = stored - len(templates) - due - earlier
    n_window, n_expired = rest * 10 // 100, rest * 30 // 100
    n_active = rest - n_window - n_expired
    latest = (active.expires_on - today).days + (today - active.signed_on).days  # signed ≤ today
    expiries: dict[str, list[date]] = {
        "due today (not yet made)": [
            today + timedelta(OFFSETS[i % len(OFFSETS)]) for i in range(due)
        ],
        "due earlier in the catch-up window (made)": [
            today + timedelta(OFFSETS[i % len(OFFSETS)] - 1 - (i // len(OFFSETS)) % CATCHUP)
            for i in range(earlier)
        ],
        "in force, window opens later": [pick(window, latest) for _ in range(n_active)],
        "in force, in the renewal window": [pick(1, window - 1) for _ in range(n_window)],
        "expired in the last five years": [pick(-1825, -1) for _ in range(n_expired)],
    }
    jobs: dict[str, tuple[common.Template, list[int]]] = {}
    for label, days in expiries.items():
        rng.shuffle(days)
        for expiry in days:
            tpl, shift = shift_to(expiry)
            jobs.setdefault(f"{label} [{tpl.state}]", (tpl, []))[1].append(shift)
    return jobs


def templates_for(url: str, today: date) -> dict[str, common.Template]:
    """Three agreements made through the service (and the tick), none with a reminder due."""
    engine = make_engine(url)
    common.institutions(engine)
    expired = common.ticked_template(engine, "Lapsed memorandum", add_months(today, -72), today)
    # Ends 100 days from today: in its renewal window, no reminder in the catch-up window.
    in_window = common.ticked_template(
        engine, "Memorandum in its renewal window", add_months(today, -60) + timedelta(100), today
    )
    active = common.signed_template(engine, "Memorandum in force", add_months(today, -12), today)
    engine.dispose()
    got = {"active": active, "in_window": in_window, "expired": expired}
    assert [t.state for t in got.values()] == ["active", "renewal_due", "expired"], got
    assert not {t.expires_on for t in got.values()} & _windows(today), "a template is due"
    return got


def load_history(url: str, today: date, high: int, done: Callable[[int], None]) -> None:
    """Every reminder of agreements 1..high whose day has passed, as sent rows; set-based, in
    chunks of agreements over two connections."""
    step = 25_000

    def chunk(low: int) -> None:
        with psycopg.connect(common.libpq_dsn(url)) as conn:
            conn.execute("SET LOCAL synchronous_commit = off")  # a bench load, not a bank
            params = {"offsets": OFFSETS, "today": today, "low": low, "high": low + step - 1}
            conn.execute(HISTORY, params)
        done(min(step, high - low + 1))

    with ThreadPoolExecutor(2) as pool:
        for _ in pool.map(chunk, range(1, high + 1, step)):
            pass


@contextmanager
def world(admin_url: str, today: date, stored: int, due: int, seed: int) -> Iterator[World]:
    """A new database of `stored` agreements and their past reminders; dropped afterwards."""
    with common.scratch_database(admin_url, f"_{stored}") as url:
        templates = templates_for(url, today)
        jobs = plan(today, stored, due, templates, seed)
        total = sum(len(shifts) for _, shifts in jobs.values())
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn()) as progress:
            task = progress.add_task(f"{stored:,}: agreements", total=total)
            common.clone_agreement_rows(
                url, list(jobs.values()), done=lambda n: progress.advance(task, n)
            )
            high = common.count(url, "SELECT max(id) FROM agreements")
            task = progress.add_task(f"{stored:,}: their past reminders", total=high)
            load_history(url, today, high, done=lambda n: progress.advance(task, n))
            task = progress.add_task(f"{stored:,}: VACUUM ANALYZE", total=1)
            common.mark_history_dispatched(url)
            with psycopg.connect(common.libpq_dsn(url), autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
            progress.advance(task)
        counts = {label: len(shifts) for label, (_, shifts) in jobs.items()}
        counts["templates (made through the service)"] = len(templates)
        history = common.count(url, "SELECT count(*) FROM notifications")
        base = common.count(url, "SELECT coalesce(max(id), 0) FROM notifications")
        yield World(url, high, counts, history, base)


def reset(w: World) -> None:
    """Back to the seeded state: drop whatever a side made, vacuum, fresh statistics."""
    with psycopg.connect(common.libpq_dsn(w.url), autocommit=True) as conn:
        conn.execute("DELETE FROM notifications WHERE id > %(base)s", {"base": w.base})
        conn.execute("VACUUM ANALYZE notifications")


def run_raw(conn: psycopg.Connection[Any], today: date, now: datetime) -> int:
    """The raw statement and its commit, on a connection already open."""
    params = {"offsets": OFFSETS, "today": today, "catchup": CATCHUP, "now": now}
    made = conn.execute(RAW, params).rowcount
    conn.commit()
    return made


def run_sweep(engine: Engine, today: date, now: datetime) -> int:
    """materialize_due through a UnitOfWork, committed, as workflow.notices.sweep.sweep calls it."""
    with UnitOfWork(engine) as uow:
        made = reminders.materialize_due(
            uow, today, default_offsets=OFFSETS, catchup_days=CATCHUP, now=now
        )
        uow.commit()
    return made


def timed(work: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    made = work()
    return time.perf_counter() - started, made


def fingerprint(w: World) -> tuple[Any, ...]:
    """(count, md5) of the rows made since the seeding."""
    with psycopg.connect(common.libpq_dsn(w.url)) as conn:
        row = conn.execute(FINGERPRINT, {"base": w.base}).fetchone()
    assert row is not None
    return tuple(row)


def measure(w: World, today: date, now: datetime, trials: int) -> Sample:
    """`trials` rounds of raw then sweep (or sweep then raw), each from the seeded state; then,
    on top of the last trial's rows, one more sweep (warm-up) and, timed, a second sweep and a
    second raw statement the same day: nothing new to make."""
    sample = Sample()
    engine = make_engine(w.url)
    with psycopg.connect(common.libpq_dsn(w.url)) as conn:
        sides: dict[str, Callable[[], int]] = {
            "raw": lambda: run_raw(conn, today, now),
            "sweep": lambda: run_sweep(engine, today, now),
        }
        for trial in range(trials):
            for side in sorted(sides, reverse=bool(trial % 2)):
                reset(w)
                seconds, made = timed(sides[side])
                getattr(sample, side).append(seconds)
                sample.made[side].add(made)
                sample.fingerprints[side].add(fingerprint(w))
        sides["sweep"]()
        sample.again = {side: timed(sides[side]) for side in ("sweep", "raw")}
    engine.dispose()
    return sample


def capture(engine: Engine, today: date, now: datetime) -> list[tuple[str, Any]]:
    """The SQL (and parameters) materialize_due sends, captured as it runs; rolled back."""
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    with UnitOfWork(engine) as uow:
        event.listen(uow.conn, "before_cursor_execute", grab)
        reminders.materialize_due(
            uow, today, default_offsets=OFFSETS, catchup_days=CATCHUP, now=now
        )
    return seen


def explain(w: World, today: date, now: datetime) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement the sweep sends, in a rolled-back
    transaction, from the seeded state (the INSERT does run: its plan shows what it makes)."""
    reset(w)
    engine = make_engine(w.url)
    queries = capture(engine, today, now)
    out = []
    with engine.connect() as conn:
        for statement, parameters in queries:
            plan_rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            out.append(" ".join(statement.split())[:160] + " …")
            out.extend("    " + line for (line,) in plan_rows.all())
        conn.rollback()
    engine.dispose()
    reset(w)
    return out


def more_due(w: World, today: date, extra: int, seed: int) -> int:
    """Make `extra` more agreements of the quiet in-force ones due today (their dates moved
    as a whole); returns how many are due now."""
    rng = random.Random(seed)
    with psycopg.connect(common.libpq_dsn(w.url)) as conn:
        ids = [
            i
            for (i,) in conn.execute(
                "SELECT id FROM agreements WHERE state = 'active' AND expires_on > %(far)s",
                {"far": today + timedelta(max(OFFSETS) + 1)},
            )
        ]
        chosen = rng.sample(ids, min(extra, len(ids)))
        conn.execute(
            "UPDATE agreements a SET expires_on = p.expiry, "
            "renewal_opens_on = a.renewal_opens_on + (p.expiry - a.expires_on), "
            "effective_on = a.effective_on + (p.expiry - a.expires_on), "
            "signed_on = a.signed_on + (p.expiry - a.expires_on), "
            "proposed_on = a.proposed_on + (p.expiry - a.expires_on) "
            "FROM unnest(%(ids)s::int[], %(expiries)s::date[]) AS p(id, expiry) WHERE a.id = p.id",
            {
                "ids": chosen,
                "expiries": [
                    today + timedelta(OFFSETS[i % len(OFFSETS)]) for i in range(len(chosen))
                ],
            },
        )
    with psycopg.connect(common.libpq_dsn(w.url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE agreements")
    return len(chosen)


@contextmanager
def proposed_index(w: World) -> Iterator[bool]:
    """While inside: a partial index on the agreements with offsets of their own (what the
    sweep's first lookup needs to stop reading every row). True if this made it, False if the
    schema already has an index on reminder_offsets (then there is nothing to try)."""
    has = common.count(
        w.url,
        "SELECT count(*) FROM pg_indexes WHERE tablename = 'agreements' "
        "AND indexdef LIKE '%reminder_offsets%'",
    )
    if has:
        yield False
        return
    with psycopg.connect(common.libpq_dsn(w.url), autocommit=True) as conn:
        conn.execute(PROPOSED_INDEX)
        conn.execute("ANALYZE agreements")
    try:
        yield True
    finally:
        with psycopg.connect(common.libpq_dsn(w.url), autocommit=True) as conn:
            conn.execute("DROP INDEX ix_agreements_reminder_offsets_set")
            conn.execute("ANALYZE agreements")


@dataclass
class Size:
    """Everything measured on one database."""

    stored: int
    history: int
    as_is: Sample
    indexed: Sample | None
    plans: list[str]
    indexed_plans: list[str]


def row(stored: int, history: int, s: Sample, t: Sample | None) -> str:
    """One line of the results table."""
    due = min(s.made["sweep"])
    line = (
        f"{stored:>10,}  {history:>10,}  {due:>6,}  {s.raw_ms:>7.1f}  {s.sweep_ms:>8.1f}  "
        f"{s.sweep_ms / s.raw_ms:>5.2f}×  {s.again['sweep'][0] * 1000:>7.1f}"
    )
    if t is None:
        return line + "  (the schema already has an index on reminder_offsets)"
    return line + (
        f"  │ {t.raw_ms:>7.1f}  {t.sweep_ms:>8.1f}  {t.sweep_ms / t.raw_ms:>5.2f}×  "
        f"{t.again['sweep'][0] * 1000:>7.1f}"
    )


HEADER = (
    f"{'stored':>10}  {'notifs':>10}  {'due':>6}  {'raw ms':>7}  {'sweep ms':>8}  {'ratio':>6}  "
    f"{'again':>7}  │ with the proposed index: raw, sweep ms, ratio, again"
)


def check(label: str, s: Sample, due: int, target: float) -> list[str]:
    """What is wrong with one measurement, if anything."""
    failures = []
    made = s.made["raw"] | s.made["sweep"]
    if made != {due}:
        failures.append(f"{label}: expected {due} reminders, made {sorted(made)}")
    if s.fingerprints["raw"] != s.fingerprints["sweep"] or len(s.fingerprints["raw"]) != 1:
        failures.append(f"{label}: raw and sweep made different rows")
    if s.again["sweep"][1] or s.again["raw"][1]:
        failures.append(f"{label}: a second run the same day made reminders")
    ratio = s.sweep_ms / s.raw_ms
    if ratio > target:
        failures.append(f"{label}: sweep {ratio:.2f}× raw, target ≤ {target:g}×")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sweep", description=__doc__.split("\n")[0]
    )
    common.admin_url_arg(parser)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000], help="agreements"
    )
    parser.add_argument("--due", type=int, default=1_000, help="reminders due today, every size")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--seed", type=int, default=7, help="of the spread of the other dates")
    parser.add_argument("--trials", type=int, default=7, help="rounds per side (median)")
    parser.add_argument("--target", type=float, default=2.0, help="sweep ≤ this × raw")
    parser.add_argument(
        "--flat", type=float, default=2.0, help="sweep at the largest size ≤ this × the smallest"
    )
    args = parser.parse_args(argv)
    today: date = args.today
    now = datetime.combine(today, clock(8), UTC)
    print(
        f"load average before: {common.load()}; today {today}; offsets {OFFSETS}, "
        f"catch-up {CATCHUP} days; {args.trials} trials per side (median)"
    )
    sizes = sorted(args.sizes)
    results: list[Size] = []
    scaled: tuple[Sample, Sample | None] | None = None
    for stored in sizes:
        started = time.perf_counter()
        with world(args.admin_url, today, stored, args.due, args.seed) as w:
            print(
                f"{w.stored:,} agreements and {w.history:,} past reminders (sent) loaded in "
                f"{time.perf_counter() - started:.1f}s; load average {common.load()}"
            )
            for label, n in w.counts.items():
                print(f"    {n:>9,}  {label}")
            plans = explain(w, today, now)  # also warms the pages both sides read
            as_is = measure(w, today, now, args.trials)
            indexed, indexed_plans = None, []
            with proposed_index(w) as made:
                if made:
                    indexed_plans = explain(w, today, now)
                    indexed = measure(w, today, now, args.trials)
            size = Size(w.stored, w.history, as_is, indexed, plans, indexed_plans)
            results.append(size)
            print(HEADER)
            print(row(size.stored, size.history, as_is, indexed))
            if stored == sizes[-1]:
                more_due(w, today, 9 * args.due, args.seed)
                more = measure(w, today, now, args.trials)
                with proposed_index(w) as made:
                    scaled = (more, measure(w, today, now, args.trials) if made else None)

    print(f"\nload average after: {common.load()}")
    print(HEADER)
    for size in results:
        print(row(size.stored, size.history, size.as_is, size.indexed))
    if scaled is not None:
        last = results[-1]
        print(row(last.stored, last.history, *scaled) + "  ← ten times as many due")
    failures: list[str] = []
    what_if: list[str] = []
    for size in results:
        label = f"{size.stored:,} stored"
        failures += check(label, size.as_is, args.due, args.target)
        if size.indexed is not None:
            what_if += check(label, size.indexed, args.due, args.target)
        for name, s in (("as is", size.as_is), ("with the index", size.indexed)):
            if s is not None:
                print(
                    f"{label}, {name}: raw {', '.join(f'{x * 1000:.1f}' for x in s.raw)} ms; "
                    f"sweep {', '.join(f'{x * 1000:.1f}' for x in s.sweep)} ms; same rows "
                    f"{s.fingerprints['raw'] == s.fingerprints['sweep']}; again the same day: "
                    f"sweep made {s.again['sweep'][1]} in {s.again['sweep'][0] * 1000:.1f} ms, "
                    f"raw made {s.again['raw'][1]} in {s.again['raw'][0] * 1000:.1f} ms"
                )
    pairs = [(r.as_is, r.indexed) for r in results]
    for name, first, last_s, sink in (
        ("as is", pairs[0][0], pairs[-1][0], failures),
        ("with the index", pairs[0][1], pairs[-1][1], what_if),
    ):
        if first is None or last_s is None or len(results) < 2:
            continue
        growth = last_s.sweep_ms / first.sweep_ms
        print(
            f"{name}: stored ×{sizes[-1] / sizes[0]:,.0f} with due constant: sweep "
            f"×{growth:.2f}, raw ×{last_s.raw_ms / first.raw_ms:.2f} (limit ×{args.flat:g})"
        )
        if growth > args.flat:
            sink.append(f"{name}: the sweep grew ×{growth:.2f} with stored, limit ×{args.flat:g}")
    if scaled is not None:
        for name, s, base, sink in (
            ("as is", scaled[0], pairs[-1][0], failures),
            ("with the index", scaled[1], pairs[-1][1], what_if),
        ):
            if s is None or base is None:
                continue
            print(
                f"{name}: due ×{min(s.made['sweep']) / args.due:.0f} at {sizes[-1]:,} stored: "
                f"sweep ×{s.sweep_ms / base.sweep_ms:.1f}, raw ×{s.raw_ms / base.raw_ms:.1f}"
            )
            sink.extend(check("ten times as many due", s, 10 * args.due, args.target))
    last = results[-1]
    print(f"\nthe sweep's statements at {last.stored:,}, as is (EXPLAIN ANALYZE, rolled back):")
    print("\n".join("  " + line for line in last.plans))
    if last.indexed_plans:
        print(f"\nthe same with the proposed index ({PROPOSED_INDEX}):")
        print("\n".join("  " + line for line in last.indexed_plans))
    if not all(any(INDEX in line for line in size.plans) for size in results):
        failures.append(f"the sweep does not use {INDEX}")
    for failure in failures:
        print(f"MISSED: {failure}", file=sys.stderr)
    if results[0].indexed is not None:
        verdict = "; ".join(what_if) if what_if else f"every target met (≤ {args.target:g}× raw)"
        print(f"with the proposed index: {verdict}")
    if not failures:
        print(f"target met: sweep ≤ {args.target:g}× raw at every size, flat in stored")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
