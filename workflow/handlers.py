"""What each lifecycle event sets in motion: reminders scheduled or withdrawn, notices queued.

Handlers run from the outbox, at least once: every one is idempotent (unique keys, set-to-value
updates), and each re-reads the agreement rather than trusting the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from models.tables import Agreement, AgreementEvent, Notification, OutboxMessage, table_of
from workflow import reminders
from workflow.lifecycle import Trigger
from workflow.uow import UnitOfWork

N = table_of(Notification)
# The coordinator hears of these moves by mail.
NOTICE_TRIGGERS = frozenset({Trigger.SIGN, Trigger.RENEW, Trigger.OPEN_RENEWAL, Trigger.EXPIRE})
# Actors whose events are imported history rather than news.
IMPORT_ACTORS = frozenset({"seed"})
# After these, an agreement's pending reminders no longer apply.
ENDING_TRIGGERS = frozenset(
    {Trigger.TERMINATE, Trigger.EXPIRE, Trigger.SUSPEND, Trigger.WITHDRAW, Trigger.REJECT}
)


@dataclass
class Handled:
    """What handling one event did."""

    scheduled: int = 0
    cancelled: int = 0
    notices: list[str] = field(default_factory=list)


def handle_event(
    uow: UnitOfWork,
    event_id: int,
    *,
    today: date,
    default_offsets: Sequence[int],
    now: datetime | None = None,
) -> Handled:
    """Apply one event's consequences inside `uow` (no commit).

    Imported history (events recorded by the seeder) schedules reminders but mails no notice:
    a signing from 2022 is not news. A back-dated catch-up by `tick` is, and is mailed.
    """
    now = now or datetime.now(UTC)
    done = Handled()
    event = uow.session.get(AgreementEvent, event_id)
    if event is None:
        return done
    agreement = uow.session.get(Agreement, event.agreement_id)
    assert agreement is not None
    trigger = event.trigger
    # Act on the agreement as it is now: a later move may have superseded this event.
    if trigger in (Trigger.SIGN, Trigger.RENEW, Trigger.RESUME) and agreement.expires_on:
        done.cancelled += reminders.cancel_pending(
            uow, agreement.id, keep_expiry=agreement.expires_on
        )
        if agreement.state in reminders.REMINDED:
            offsets = reminders.offsets_for(uow, agreement.id, default_offsets)
            done.scheduled += reminders.schedule_term(
                uow, agreement.id, agreement.expires_on, offsets, today=today, now=now
            )
    # Unless it is back in force since (a suspension handled after the resume that ended it).
    if trigger in ENDING_TRIGGERS and agreement.state not in reminders.REMINDED:
        done.cancelled += reminders.cancel_pending(uow, agreement.id)
    if trigger in NOTICE_TRIGGERS and event.actor not in IMPORT_ACTORS:
        key = f"event_notice:{event.id}"
        insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
        uow.conn.execute(
            insert(N)
            .values(
                kind="event_notice",
                dedupe_key=key,
                agreement_id=agreement.id,
                event_id=event.id,
                due_on=today,
                status="pending",
                attempts=0,
                payload={"trigger": trigger},
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        done.notices.append(key)
    return done


def event_of_outbox(uow: UnitOfWork, outbox_id: int) -> int | None:
    """The event an outbox row announces (None for rows that carry no event)."""
    return uow.session.scalar(select(OutboxMessage.event_id).where(OutboxMessage.id == outbox_id))
