"""Two transactions made to overlap on purpose, on any machine: no sleep decides the order.

The first holds its transaction open (in a callback run before its commit) until the second is
provably inside or behind it: on PostgreSQL the second has run its statements, or waits for a
lock the first holds (pg_stat_activity says so); on SQLite, where BEGIN IMMEDIATE queues every
writer behind the one in progress, the second has been released to begin.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Engine, text

T = TypeVar("T")
TIMEOUT = 20.0  # seconds: a bound for a wait that, on a healthy run, ends at once


def together(*calls: Callable[[], T]) -> list[T]:
    """Run each call in a thread of its own; their results in order (or the first one's error)."""
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result(timeout=3 * TIMEOUT) for future in futures]


def wait(event: threading.Event, what: str) -> None:
    """Wait for `event`, failing with `what` when it never comes."""
    assert event.wait(TIMEOUT), f"waited {TIMEOUT:.0f}s for {what}"


def blocked_on_a_lock(engine: Engine, kind: str | None = None) -> None:
    """Wait until some session of this PostgreSQL database waits for a lock (polled, bounded);
    with `kind`, a lock of that kind (pg_stat_activity's wait_event: 'advisory', 'tuple' …)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        + (" AND wait_event = :kind" if kind else "")
    ).bindparams(**({"kind": kind} if kind else {}))
    deadline = time.monotonic() + TIMEOUT
    with engine.connect() as conn:
        while conn.execute(query).scalar_one() == 0:
            conn.rollback()  # a fresh snapshot of pg_stat_activity on the next round
            assert time.monotonic() < deadline, "the second transaction never waited on a lock"
            time.sleep(0.01)
