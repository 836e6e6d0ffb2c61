"""Moves per second through the service, beside the same statements sent by the raw driver.

    .venv/bin/python -m bench.moves [--seconds 6] [--rounds 6] [--agreements 100]
                                    [--processes 1 4] [--target 0.5] [--profile N]

For each process count P, P processes run at once; each has its own two disjoint sets of
active agreements (one per kind) and alternates suspend (with a comment) / resume on them,
round-robin:

  raw      psycopg on one connection held open: SELECT state, version; UPDATE … SET state,
           version = version + 1 WHERE id AND version; INSERT event RETURNING id; INSERT outbox;
           COMMIT (psycopg sends BEGIN first: 6 round trips).
  service  workflow.agreements.moves.advance(UnitOfWork(engine), id, trigger, …): a fresh unit
           of work per
           move, on an engine from models.make_engine, exactly as the CLI and the API call it
           (pool checkout with its pre-ping, BEGIN, SELECT, one UPDATE+event+outbox statement,
           COMMIT: 5 round trips).

Both kinds run in the same processes, on the same database and tables, interleaved: the
--seconds per kind are cut into --rounds slices, raw and service alternating (and which goes
first alternating too), every process starting each slice at a barrier. So a neighbour's load
on the machine hits both alike. The ratio service/raw is printed per process count; the exit
status is 1 when a ratio is below --target, 2 when an agreement's version, state, events and
outbox rows disagree afterwards. --profile N instead profiles N service moves (cProfile, CPU).
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing as mp
import pstats
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import text

from bench import common
from models import make_engine
from workflow.agreements.moves import advance
from workflow.uow import UnitOfWork

TODAY = date.today()
COMMENT = "bench: compliance audit"
NEXT = {"active": ("suspend", "suspended"), "suspended": ("resume", "active")}
WARMUP = 40  # moves per process before the clock starts (statement caches, prepared plans)

RAW_SELECT = "SELECT state, version FROM agreements WHERE id = %s"
RAW_UPDATE = (
    "UPDATE agreements SET state = %s, version = version + 1, updated_at = %s "
    "WHERE id = %s AND version = %s"
)
RAW_EVENT = (
    "INSERT INTO agreement_events (agreement_id, seq, at, recorded_at, actor, trigger, "
    "from_state, to_state, comment, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "RETURNING id"
)
RAW_OUTBOX = (
    "INSERT INTO outbox (topic, agreement_id, event_id, payload, created_at, available_at, "
    "attempts) VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


def raw_worker(url: str, ids: list[int]) -> Callable[[], None]:
    """One move per call with the driver alone; the same rows a service move writes."""
    conn = psycopg.connect(common.libpq_dsn(url))
    cursor = conn.cursor()
    position = 0

    def move() -> None:
        nonlocal position
        agreement_id = ids[position % len(ids)]
        position += 1
        cursor.execute(RAW_SELECT, (agreement_id,))
        row = cursor.fetchone()
        assert row is not None
        state, version = row
        trigger, to_state = NEXT[state]
        now = datetime.now(UTC)
        comment = COMMENT if trigger == "suspend" else None
        cursor.execute(RAW_UPDATE, (to_state, now, agreement_id, version))
        if cursor.rowcount != 1:
            raise RuntimeError(f"agreement {agreement_id} changed under the raw bench")
        cursor.execute(
            RAW_EVENT,
            (
                agreement_id,
                version + 1,
                now,
                now,
                "bench",
                trigger,
                state,
                to_state,
                comment,
                Jsonb({}),
            ),
        )
        event = cursor.fetchone()
        assert event is not None
        payload = {
            "event_id": event[0],
            "agreement_id": agreement_id,
            "trigger": trigger,
            "from_state": state,
            "to_state": to_state,
            "at": now.isoformat(),
        }
        cursor.execute(
            RAW_OUTBOX,
            (f"agreement.{trigger}", agreement_id, event[0], Jsonb(payload), now, now, 0),
        )
        conn.commit()

    return move


def service_worker(url: str, ids: list[int]) -> Callable[[], None]:
    """One move per call through workflow.agreements.moves.advance, a fresh UnitOfWork each time."""
    engine = make_engine(url)
    with engine.connect() as conn:
        states: dict[int, str] = dict(
            conn.execute(
                text("SELECT id, state FROM agreements WHERE id = ANY(:ids)"), {"ids": ids}
            ).all()
        )
    position = 0

    def move() -> None:
        nonlocal position
        agreement_id = ids[position % len(ids)]
        position += 1
        trigger, to_state = NEXT[states[agreement_id]]
        advance(
            UnitOfWork(engine),
            agreement_id,
            trigger,
            actor="bench",
            today=TODAY,
            comment=COMMENT if trigger == "suspend" else None,
        )
        states[agreement_id] = to_state

    return move


KINDS: dict[str, Callable[[str, list[int]], Callable[[], None]]] = {
    "raw": raw_worker,
    "service": service_worker,
}


def _worker(
    url: str,
    ids: dict[str, list[int]],
    rounds: int,
    slice_seconds: float,
    barrier: Any,
    results: Any,
) -> None:
    """One process: both kinds, interleaved in short slices that all processes start together."""
    movers = {kind: make(url, ids[kind]) for kind, make in KINDS.items()}
    for move in movers.values():
        for _ in range(WARMUP):
            move()
    totals = {kind: [0, 0.0, 0.0] for kind in movers}
    for r in range(rounds):
        # Alternate which kind goes first, so neither always runs on the warmer/quieter half.
        for kind in sorted(movers, reverse=bool(r % 2)):
            move = movers[kind]
            barrier.wait()
            n, start, cpu = 0, time.perf_counter(), time.process_time()
            while (elapsed := time.perf_counter() - start) < slice_seconds:
                move()
                n += 1
            total = totals[kind]
            total[0] += n
            total[1] += elapsed
            total[2] += time.process_time() - cpu
    results.put(totals)


def measure(
    url: str, id_sets: list[dict[str, list[int]]], seconds: float, rounds: int
) -> dict[str, tuple[float, float]]:
    """Per kind: (moves/s summed over the processes, client CPU ms per move)."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(id_sets))
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(url, ids, rounds, seconds / rounds, barrier, results))
        for ids in id_sets
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=seconds * 2 + 300) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a bench worker failed (exit {p.exitcode})")
    measured = {}
    for kind in KINDS:
        moves = sum(o[kind][0] for o in outcomes)
        per_second = sum(o[kind][0] / o[kind][1] for o in outcomes)
        measured[kind] = (per_second, 1000 * sum(o[kind][2] for o in outcomes) / moves)
    return measured


def setup(url: str, total: int) -> list[int]:
    """`total` active agreements: one through the service, the rest cloned from it."""
    engine = make_engine(url)
    common.institutions(engine)
    signed = date(TODAY.year - 1, 6, 1)
    template = common.signed_template(engine, "Bench memorandum", signed, TODAY)
    engine.dispose()
    ids = [template.id, *common.clone(url, template, [0] * (total - 1))]
    common.mark_history_dispatched(url)
    common.analyze(url)
    return ids


def profile(url: str, ids: list[int], n: int) -> None:
    """cProfile `n` service moves in this process; print the top of the cumulative listing."""
    move = service_worker(url, ids)
    for _ in range(WARMUP):
        move()
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(n):
        move()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(45)


CONSISTENCY = """
SELECT count(*) FROM agreements a
WHERE a.id = ANY(%(ids)s) AND (
    a.version <> (SELECT count(*) FROM agreement_events e WHERE e.agreement_id = a.id)
    OR a.version <> (SELECT max(seq) FROM agreement_events e WHERE e.agreement_id = a.id)
    OR a.state <> (SELECT e.to_state FROM agreement_events e
                   WHERE e.agreement_id = a.id ORDER BY e.seq DESC LIMIT 1)
    OR a.version <> (SELECT count(*) FROM outbox o WHERE o.agreement_id = a.id))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.moves", description=__doc__.split("\n")[0]
    )
    common.admin_url_arg(parser)
    parser.add_argument(
        "--seconds", type=float, default=6.0, help="measured seconds per kind and process count"
    )
    parser.add_argument(
        "--rounds", type=int, default=6, help="raw/service alternations the seconds are cut into"
    )
    parser.add_argument(
        "--agreements", type=int, default=100, help="agreements per process and kind"
    )
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--target", type=float, default=0.5, help="service/raw must reach this")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile N moves")
    args = parser.parse_args(argv)

    n = args.agreements
    with common.scratch_database(args.admin_url) as url:
        started = time.perf_counter()
        ids = setup(url, max(args.processes) * 2 * n)
        print(
            f"setup: {len(ids):,} active agreements (1 through the service, the rest cloned) "
            f"in {time.perf_counter() - started:.1f}s"
        )
        if args.profile:
            profile(url, ids[:n], args.profile)
            return 0
        print(
            f"each process: {n} agreements per kind, suspend/resume round-robin; "
            f"{args.seconds:g}s per kind in {args.rounds} alternating slices; "
            f"load average before: {common.load()}"
        )
        print(
            f"{'procs':>5}  {'raw moves/s':>12}  {'service moves/s':>15}  {'ratio':>6}  "
            "client CPU ms/move: raw / service"
        )
        missed = []
        for p in args.processes:
            id_sets = [
                {
                    "raw": ids[2 * i * n : (2 * i + 1) * n],
                    "service": ids[(2 * i + 1) * n : (2 * i + 2) * n],
                }
                for i in range(p)
            ]
            got = measure(url, id_sets, args.seconds, args.rounds)
            (raw, raw_cpu), (service, service_cpu) = got["raw"], got["service"]
            ratio = service / raw
            print(
                f"{p:>5}  {raw:>12,.0f}  {service:>15,.0f}  {ratio:>5.2f}×  "
                f"{raw_cpu:.2f} / {service_cpu:.2f}"
            )
            if ratio < args.target:
                missed.append(p)
        print(f"load average after: {common.load()}")
        moves = common.count(url, "SELECT count(*) FROM agreement_events WHERE actor = 'bench'")
        broken = common.count(url, CONSISTENCY, {"ids": ids})
        print(
            f"check: {moves:,} moves made (warm-ups included); agreements whose version, state, "
            f"events and outbox rows disagree: {broken}"
        )
    if broken:
        print("BROKEN: a move left an agreement inconsistent with its history")
        return 2
    if missed:
        print(f"MISSED: service/raw below {args.target}× with {missed} process(es)")
        return 1
    print(f"target met: service ≥ {args.target}× raw at every process count")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
