"""The outbox relay: hand committed outbox rows to the broker, at least once, never losing one.

Rows are claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two relays (two beats, a beat
and a CLI) never hand the same row over twice; SQLite serialises writers instead. A row whose
publish fails stays pending with a back-off and goes out when the broker is back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, update

from models import OutboxMessage, table_of
from workflow.uow import UnitOfWork

O = table_of(OutboxMessage)  # noqa: E741


@dataclass(frozen=True)
class OutboxRow:
    """What a publisher needs of one outbox row."""

    id: int
    topic: str
    agreement_id: int | None
    event_id: int | None
    payload: dict[str, Any]
    attempts: int


@dataclass
class RelayReport:
    """What one relay pass did."""

    published: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int, *, base: float = 2.0, cap: float = 300.0) -> timedelta:
    """Exponential back-off after `attempts` failures: base, 2·base, 4·base … up to `cap`."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def claim(
    uow: UnitOfWork, now: datetime, limit: int, redeliver_after: timedelta | None = None
) -> list[OutboxRow]:
    """Lock up to `limit` rows that are due; other relays skip them instead of waiting.

    With `redeliver_after`, rows dispatched that long ago and still not handled are due again:
    a message lost with the broker, or held unacknowledged, must not wait for ever.
    """
    due = and_(O.c.dispatched_at.is_(None), O.c.available_at <= now)
    if redeliver_after is not None:
        lost = and_(O.c.handled_at.is_(None), O.c.dispatched_at < now - redeliver_after)
        due = or_(due, lost)
    query = (
        select(O.c.id, O.c.topic, O.c.agreement_id, O.c.event_id, O.c.payload, O.c.attempts)
        .where(due)
        .order_by(O.c.id)
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [OutboxRow(*row) for row in uow.conn.execute(query).all()]


def relay_once(
    engine: Engine,
    publish: Callable[[OutboxRow], None],
    *,
    limit: int = 100,
    backoff_base: float = 2.0,
    redeliver_after: timedelta | None = None,
    now: datetime | None = None,
) -> RelayReport:
    """Publish one batch in one transaction: dispatched rows are marked, failed ones back off."""
    report = RelayReport()
    with UnitOfWork(engine) as uow:
        now = now or datetime.now(UTC)
        for row in claim(uow, now, limit, redeliver_after):
            try:
                publish(row)
            except Exception as exc:  # any broker failure: the row waits and is retried
                report.failed.append(row.id)
                report.errors.append(f"{type(exc).__name__}: {exc}")
                uow.conn.execute(
                    update(O)
                    .where(O.c.id == row.id)
                    .values(
                        attempts=row.attempts + 1,
                        available_at=now + backoff(row.attempts + 1, base=backoff_base),
                        last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    )
                )
                continue
            report.published.append(row.id)
        mark_dispatched(uow, report.published, now)
        uow.commit()
    return report


@dataclass(frozen=True)
class OutboxStatus:
    """Is the outbox draining: how many wait, the oldest's age, how many have failed."""

    pending: int
    oldest_pending_at: datetime | None
    retrying: int
    dispatched: int
    last_error: str | None


def status(uow: UnitOfWork) -> OutboxStatus:
    """Counts for ops: pending, retrying (failed at least once), dispatched."""
    pending = O.c.dispatched_at.is_(None)
    row = uow.conn.execute(
        select(
            func.count().filter(pending),
            func.min(O.c.created_at).filter(pending),
            func.count().filter(pending, O.c.attempts > 0),
            func.count().filter(O.c.dispatched_at.is_not(None)),
        )
    ).one()
    last_error = uow.conn.execute(
        select(O.c.last_error)
        .where(pending, O.c.last_error.is_not(None))
        .order_by(O.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    oldest = row[1]
    if isinstance(oldest, str):  # SQLite hands back aggregate timestamps untyped
        oldest = datetime.fromisoformat(oldest).replace(tzinfo=UTC)
    return OutboxStatus(int(row[0]), oldest, int(row[2]), int(row[3]), last_error)


def mark_dispatched(uow: UnitOfWork, outbox_ids: list[int], now: datetime) -> None:
    """Record that the rows went out (to the broker, or handled on the spot)."""
    if outbox_ids:
        uow.conn.execute(update(O).where(O.c.id.in_(outbox_ids)).values(dispatched_at=now))


def mark_handled(uow: UnitOfWork, outbox_id: int, now: datetime) -> None:
    """Record that the row's handler ran (in the handler's own transaction)."""
    uow.conn.execute(update(O).where(O.c.id == outbox_id).values(handled_at=now))
