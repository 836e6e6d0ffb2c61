"""The outbox relay publishing into a real Redis: two relays at once over 500 rows on PostgreSQL
hand each row over exactly once; with the broker gone, rows wait, back off and go out later.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Engine, select

from models import OutboxMessage, make_engine, table_of
from tests import factories
from workflow.notices import outbox
from workflow.uow import UnitOfWork

REDIS_DB = 11  # a database of its own; every key is unique to one test and deleted after it
O = table_of(OutboxMessage)  # noqa: E741


@pytest.fixture
def queue() -> Iterator[tuple[redis.Redis, str]]:
    """A Redis client and a list key of this test's own, deleted afterwards."""
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_timeout=5)
    assert client.ping(), "Redis is not running on 127.0.0.1:6379"
    key = f"accord-test:relay:{uuid.uuid4().hex}"
    yield client, key
    client.delete(key)
    client.close()


def publisher(
    client: redis.Redis, key: str, meet: threading.Barrier | None = None
) -> Callable[[outbox.OutboxRow], None]:
    """Publish a row by pushing its id onto the list `key`; the first publish waits at `meet`."""
    met: list[bool] = []

    def publish(row: outbox.OutboxRow) -> None:
        client.rpush(key, row.id)
        if meet is not None and not met:
            met.append(True)
            meet.wait()

    return publish


def dead_broker() -> redis.Redis:
    """A client for a port where nothing listens: every command is refused (no client retries)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    return redis.Redis(
        host="127.0.0.1", port=port, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0)
    )


def pushed(client: redis.Redis, key: str) -> list[int]:
    """The ids on the list, in order."""
    return [int(v) for v in cast(list[bytes], client.lrange(key, 0, -1))]


def rows(engine: Engine) -> list[tuple[int, int, datetime, datetime | None, str | None]]:
    """(id, attempts, available_at, dispatched_at, last_error) of every outbox row."""
    with UnitOfWork(engine) as uow:
        found = uow.conn.execute(
            select(
                O.c.id, O.c.attempts, O.c.available_at, O.c.dispatched_at, O.c.last_error
            ).order_by(O.c.id)
        ).all()
        return [tuple(r) for r in found]


def test_two_relays_at_once_hand_over_each_of_500_rows_once(
    pg_only_url: str, queue: tuple[redis.Redis, str]
) -> None:
    client, key = queue
    setup = make_engine(pg_only_url)
    past = datetime.now(UTC) - timedelta(seconds=1)
    with UnitOfWork(setup) as uow:
        values = [
            {"topic": "test.relay", "payload": {"n": n}, "created_at": past}
            | {"available_at": past, "attempts": 0}
            for n in range(500)
        ]
        ids = list(uow.conn.execute(O.insert().returning(O.c.id), values).scalars())
        uow.commit()
    start = threading.Barrier(2, timeout=20)
    # Each relay's first publish waits for the other's: both hold a locked batch at once.
    meet = threading.Barrier(2, timeout=20)
    published: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def relay(n: int) -> None:
        engine = make_engine(pg_only_url)
        publish = publisher(client, key, meet)
        try:
            start.wait()
            for _ in range(100):  # bounded: 500 rows need at most 10 full batches
                report = outbox.relay_once(engine, publish, limit=50)
                assert report.failed == []
                if not report.published:
                    break
                published[n] += report.published
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=relay, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert all(published), "both relays should have taken part"
    assert set(published[0]).isdisjoint(published[1])
    on_list = pushed(client, key)
    assert len(on_list) == len(set(on_list)) == 500
    assert sorted(on_list) == sorted(published[0] + published[1]) == ids
    assert all(dispatched is not None for _, _, _, dispatched, _ in rows(setup))
    with UnitOfWork(setup) as uow:
        status = outbox.status(uow)
    assert (status.pending, status.retrying, status.dispatched) == (0, 0, 500)
    setup.dispose()


def test_with_the_broker_gone_rows_wait_back_off_and_go_out_when_it_returns(
    engine: Engine, queue: tuple[redis.Redis, str]
) -> None:
    client, key = queue
    factories.institutions(engine)
    factories.active(engine)  # five real moves: five outbox rows
    ids = [r[0] for r in rows(engine)]
    assert len(ids) == 5
    t0 = datetime.now(UTC) + timedelta(seconds=1)

    # The broker goes away after the first two rows of the batch.
    dead, sent = dead_broker(), 0

    def flaky(row: outbox.OutboxRow) -> None:
        nonlocal sent
        (client if sent < 2 else dead).rpush(key, row.id)
        sent += 1

    report = outbox.relay_once(engine, flaky, now=t0, backoff_base=2.0)
    assert (report.published, report.failed) == (ids[:2], ids[2:])
    assert all("Connection refused" in error for error in report.errors)
    for row_id, attempts, available_at, dispatched_at, last_error in rows(engine)[2:]:
        assert (row_id in ids[2:], attempts, available_at, dispatched_at) == (
            True, 1, t0 + timedelta(seconds=2), None,
        )  # fmt: skip
        assert last_error is not None
        assert last_error.startswith("ConnectionError: ")
    with UnitOfWork(engine) as uow:
        status = outbox.status(uow)
    assert (status.pending, status.retrying, status.dispatched) == (3, 3, 2)
    assert status.last_error is not None
    assert "Connection refused" in status.last_error
    assert status.oldest_pending_at is not None
    assert status.oldest_pending_at < t0

    # Still down at the next try: back-off doubles. Before it ends, nothing is even tried.
    t1 = t0 + timedelta(seconds=2)
    assert outbox.relay_once(engine, publisher(dead, key), now=t1).failed == ids[2:]
    early = outbox.relay_once(engine, publisher(client, key), now=t1 + timedelta(seconds=3))
    assert (early.published, early.failed) == ([], [])
    assert {r[1:3] for r in rows(engine)[2:]} == {(2, t1 + timedelta(seconds=4))}

    back = outbox.relay_once(engine, publisher(client, key), now=t1 + timedelta(seconds=4))
    assert back.published == ids[2:]
    assert pushed(client, key) == ids
    with UnitOfWork(engine) as uow:
        status = outbox.status(uow)
    assert (status.pending, status.retrying, status.dispatched) == (0, 0, 5)
    assert (status.oldest_pending_at, status.last_error) == (None, None)
    assert (
        outbox.relay_once(engine, publisher(client, key), now=t1 + timedelta(days=1)).published
        == []
    )
    dead.close()


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [outbox.backoff(n).total_seconds() for n in (0, 1, 2, 3)] == [2, 2, 4, 8]
    assert outbox.backoff(30, base=2, cap=300) == timedelta(seconds=300)


def test_a_row_dispatched_but_never_handled_is_published_again(
    engine: Engine, queue: tuple[redis.Redis, str]
) -> None:
    """A message lost with the broker (or stuck unacknowledged) does not strand its event."""
    client, key = queue
    factories.institutions(engine)
    factories.active(engine)  # five outbox rows
    t0 = datetime.now(UTC) + timedelta(seconds=1)
    later = timedelta(minutes=15)
    first = outbox.relay_once(engine, publisher(client, key), now=t0, redeliver_after=later)
    assert len(first.published) == 5
    handled, lost = first.published[:3], first.published[3:]
    with UnitOfWork(engine) as uow:
        for outbox_id in handled:
            outbox.mark_handled(uow, outbox_id, t0)
        uow.commit()
    # Before the redelivery time nothing is due; after it, only the unhandled rows go again.
    early = outbox.relay_once(engine, publisher(client, key), now=t0 + later / 2,
                              redeliver_after=later)  # fmt: skip
    assert early.published == []
    again = outbox.relay_once(engine, publisher(client, key), now=t0 + later * 2,
                              redeliver_after=later)  # fmt: skip
    assert again.published == lost
    assert pushed(client, key) == [*first.published, *lost]
    # Without redelivery (the default) a dispatched row is never published twice.
    none = outbox.relay_once(engine, publisher(client, key), now=t0 + later * 9)
    assert none.published == []
