"""Delivering one notification: claim what is due, re-check it still applies, record the outcome.

The sending itself (templates, SMTP) is the caller's; this module owns the rows. A claim sets a
lease (`next_attempt_at`), so a task lost with a killed worker is claimed again once the lease
runs out. The duplicate window is "SMTP accepted, commit not yet done": the row is locked while
the mail goes out and marked sent in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import bindparam, or_, select, update

from models import DeadLetter, Notification, table_of
from workflow.notices.context import Delivery, load_delivery
from workflow.notices.outbox import backoff
from workflow.notices.query import fetch
from workflow.notices.reminder_rules import KIND as REMINDER
from workflow.notices.reminder_rules import REVIEW_KIND
from workflow.uow import UnitOfWork

N = table_of(Notification)
D = table_of(DeadLetter)


def claim_due(
    uow: UnitOfWork, *, today: date, now: datetime, limit: int, lease: timedelta
) -> list[int]:
    """Take up to `limit` due notifications for sending; concurrent sweeps skip each other's."""
    query = (
        select(N.c.id)
        .where(
            N.c.status == "pending",
            N.c.due_on <= today,
            or_(N.c.next_attempt_at.is_(None), N.c.next_attempt_at <= now),
        )
        .order_by(N.c.due_on, N.c.id)
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(uow.conn.execute(query).scalars())
    if ids:
        uow.conn.execute(update(N).where(N.c.id.in_(ids)).values(next_attempt_at=now + lease))
    return ids


def begin(
    uow: UnitOfWork,
    notification_id: int,
    *,
    today: date,
    default_offsets: Sequence[int] | None = None,
    catchup_days: int | None = None,
) -> Delivery | None:
    """Lock the row and load what the mail needs; None when it is sent, cancelled, moot or (a
    renewal or review reminder past its day by more than `catchup_days`) missed."""
    rows = fetch(uow, notification_id, lock=uow.dialect == "postgresql")
    if not rows or rows[0].status != "pending":
        return None
    late = (today - rows[0].due_on).days
    if rows[0].kind in (REMINDER, REVIEW_KIND) and catchup_days is not None and late > catchup_days:
        # Claimed in time but reached too late (a queue backed up): not sent days out of date.
        uow.conn.execute(update(N).where(N.c.id == notification_id).values(status="missed"))
        return None
    delivery = load_delivery(uow, rows, today=today, default_offsets=default_offsets)
    if delivery is None:  # no longer applies (renewed, terminated, meeting changed)
        uow.conn.execute(update(N).where(N.c.id == notification_id).values(status="cancelled"))
    return delivery


# Built once: every mail sent runs it, and constructing the statement cost as much as running it.
_MARK_SENT = (
    update(N)
    .where(N.c.id == bindparam("notification_id"))
    .values(
        status="sent",
        sent_at=bindparam("sent_at"),
        message_id=bindparam("message_id"),
        last_error=None,
    )
)


def mark_sent(uow: UnitOfWork, notification_id: int, message_id: str, now: datetime) -> None:
    """Record the delivery; later copies of the task find the row sent and do nothing."""
    uow.conn.execute(
        _MARK_SENT,
        {"notification_id": notification_id, "sent_at": now, "message_id": message_id},
    )


@dataclass(frozen=True)
class Failure:
    """What became of a failed attempt."""

    attempts: int
    dead: bool
    retry_at: datetime | None


def mark_failed(
    uow: UnitOfWork,
    notification_id: int,
    error: str,
    *,
    temporary: bool,
    now: datetime,
    max_attempts: int,
    backoff_base: float,
) -> Failure:
    """Back off a temporary failure; past the cap, or when permanent, dead-letter it."""
    query = select(N.c.attempts, N.c.status, N.c.dedupe_key, N.c.kind).where(
        N.c.id == notification_id
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    row = uow.conn.execute(query).one()
    if row.status != "pending":
        # Another copy of the task sent (or cancelled) it meanwhile: that outcome stands.
        return Failure(row.attempts, row.status == "dead", None)
    attempts = row.attempts + 1
    if temporary and attempts < max_attempts:
        retry_at = now + backoff(attempts, base=backoff_base)
        uow.conn.execute(
            update(N)
            .where(N.c.id == notification_id)
            .values(attempts=attempts, next_attempt_at=retry_at, last_error=error[:2000])
        )
        return Failure(attempts, False, retry_at)
    uow.conn.execute(
        update(N)
        .where(N.c.id == notification_id)
        .values(attempts=attempts, status="dead", last_error=error[:2000])
    )
    uow.conn.execute(
        D.insert().values(
            task="send_notification",
            notification_id=notification_id,
            payload={"dedupe_key": row.dedupe_key, "kind": row.kind},
            error=error[:4000],
            attempts=attempts,
            failed_at=now,
            replay_count=0,
        )
    )
    return Failure(attempts, True, None)


def utcnow() -> datetime:
    """Now in UTC (one place, so tests and tasks agree on the clock)."""
    return datetime.now(UTC)
