"""Redis stopped in the middle of a relay pass: moves still commit, the row handed over just before
the stop is not lost, the rest wait and back off, and all go out when Redis returns; the worker
reconnects and handles every one of them.

The private redis-server keeps an append-only file, as a broker should: what it had accepted
before a graceful stop is there again after the start.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models import Notification
from tests.e2e.conftest import Stack
from tests.e2e.services import wait_for
from tests.e2e.world import awaiting_signature, outbox_rows, people, sign, signed
from workflow.notices import outbox

BACKOFF = 3.0  # seconds after the first failure; doubles on each later one
REDELIVER = 5.0  # seconds after which a dispatched, unhandled row is published again


def test_redis_stopped_mid_relay_loses_nothing(e2e: Stack) -> None:
    worker = e2e.worker
    assert worker is not None
    logged_before = worker.log.stat().st_size  # what it logged in earlier tests is not ours
    people(e2e.engine)
    stop_after: list[int] = []  # the row after whose publish Redis is stopped

    def publish(row: outbox.OutboxRow) -> None:
        # What the relay task does, from this process: the same broker, no publish retries.
        e2e.app.send_task("accord.handle_outbox", args=[row.id], retry=False)
        if row.id in stop_after:
            stop_after.remove(row.id)  # once: a redelivery of that row must not stop Redis again
            e2e.redis.stop()

    def relay() -> outbox.RelayReport:
        return outbox.relay_once(e2e.engine, publish, backoff_base=BACKOFF)

    table = Notification.__table__

    def notices() -> set[int]:
        with e2e.engine.connect() as conn:
            query = select(table.c.event_id).where(table.c.kind == "event_notice")
            return set(conn.execute(query).scalars())

    first = signed(e2e.engine, "Erasmus+ agreement", expires_in=900)
    pending = awaiting_signature(e2e.engine, "Dual PhD agreement")
    assert len(relay().published) == 9  # Redis up: everything so far went out
    wait_for(lambda: notices() == {first.sign_event_id}, 30, "the first signing handled",
             details=e2e.logs)  # fmt: skip

    second = sign(e2e.engine, pending, expires_in=900)
    third = signed(e2e.engine, "Summer school agreement", expires_in=900)
    batch = [r.id for r in outbox_rows(e2e.engine) if r.dispatched_at is None]
    assert len(batch) == 6  # the second signing, then the third agreement's five moves
    stop_after.append(batch[0])

    started, before = time.monotonic(), datetime.now(UTC)
    report = relay()  # publishes the second signing, stops Redis, fails the other five
    assert (report.published, report.failed) == (batch[:1], batch[1:])
    assert time.monotonic() - started < 10, "a relay pass with Redis down must fail fast"
    assert all("Connection refused" in error for error in report.errors), report.errors
    rows = {r.id: r for r in outbox_rows(e2e.engine)}
    assert rows[batch[0]].dispatched_at is not None
    for row_id in batch[1:]:
        assert (rows[row_id].attempts, rows[row_id].dispatched_at) == (1, None)
        assert rows[row_id].available_at >= before + timedelta(seconds=BACKOFF), "no back-off"
        assert "OperationalError" in rows[row_id].last_error
    assert relay().failed == [], "a backed-off row is not retried before its time"

    e2e.redis.start()

    def drained() -> bool:
        relay()
        return all(r.dispatched_at for r in outbox_rows(e2e.engine))

    wait_for(drained, 30, "every waiting row dispatched once Redis is back", every=0.3,
             details=e2e.logs)  # fmt: skip
    assert all(r.attempts >= 1 for r in outbox_rows(e2e.engine) if r.id in batch[1:])

    # The worker reconnected and handles every signing. The one handed over just before the
    # stop may sit unacknowledged in Redis until the visibility timeout (1 h); the relay's
    # redelivery of rows dispatched but never handled sends it again well before that.
    wanted = {first.sign_event_id, second.sign_event_id, third.sign_event_id}

    def handled() -> bool:
        assert worker.alive, f"the worker died when Redis stopped:\n{e2e.logs()}"
        outbox.relay_once(e2e.engine, publish, redeliver_after=timedelta(seconds=REDELIVER))
        every_row = all(r.handled_at for r in outbox_rows(e2e.engine))
        return notices() == wanted and every_row

    wait_for(handled, 60, "the worker to handle every signing", every=0.5, details=e2e.logs)
    # The same worker lost Redis and came back, no crash and no restart: Celery 5.7 died here
    # with AttributeError "... no attribute 'hostname'" (see pyproject.toml).
    log = worker.log.read_bytes()[logged_before:].decode(errors="replace")
    assert log.count("Connection to broker lost") == 1, worker.tail()
    assert log.count("Unrecoverable error") == 0, worker.tail()
    assert e2e.worker is worker
    assert worker.alive
