"""What each lifecycle event sets in motion: reminders scheduled or withdrawn, notices queued.

Handlers run from the outbox, at least once: every one is idempotent (unique keys, set-to-value
updates), and each re-reads the agreement rather than trusting the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from models import Agreement, AgreementEvent, Notification, OutboxMessage, table_of
from workflow.lifecycle import EDIT, Trigger
from workflow.notices import outbox, reminders
from workflow.uow import UnitOfWork

N = table_of(Notification)
# The coordinator hears of these moves by mail.
NOTICE_TRIGGERS = frozenset({Trigger.SIGN, Trigger.RENEW, Trigger.OPEN_RENEWAL, Trigger.EXPIRE})
# Actors whose events are imported history rather than news.
IMPORT_ACTORS = frozenset({"seed"})
# After these, an agreement's reminders are planned afresh: a new term's made, the old withdrawn.
PLAN_TRIGGERS = frozenset(
    {
        Trigger.SIGN,
        Trigger.RENEW,
        # Notice of non-renewal: the term ends, so its pending renewal reminders are withdrawn.
        Trigger.GIVE_NOTICE,
        Trigger.RESUME,
        Trigger.TERMINATE,
        Trigger.EXPIRE,
        Trigger.SUSPEND,
        Trigger.WITHDRAW,
        Trigger.REJECT,
        # An edit can change the notice period, the review cycle or (a correction) the type.
        EDIT,
    }
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
    catchup_days: int = 7,
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
    # Act on the agreement as it is now: a later move may have superseded this event (a
    # suspension handled after the resume that ended it leaves the resumed term's reminders).
    if trigger in PLAN_TRIGGERS:
        replanned = reminders.replan(
            uow,
            today=today,
            default_offsets=default_offsets,
            catchup_days=catchup_days,
            agreement_id=agreement.id,
            now=now,
        )
        done.scheduled, done.cancelled = replanned.created, replanned.cancelled
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


def handle_outbox_row(
    uow: UnitOfWork,
    outbox_id: int,
    *,
    today: date,
    default_offsets: Sequence[int],
    catchup_days: int = 7,
    now: datetime,
) -> Handled | None:
    """Handle one outbox row inside `uow` and mark it handled (None: it carries no event)."""
    event_id = event_of_outbox(uow, outbox_id)
    done = None
    if event_id is not None:
        done = handle_event(
            uow,
            event_id,
            today=today,
            default_offsets=default_offsets,
            catchup_days=catchup_days,
            now=now,
        )
    outbox.mark_handled(uow, outbox_id, now)  # done either way: never publish it again
    return done


def drain_outbox(
    engine: Engine,
    *,
    today: date,
    default_offsets: Sequence[int],
    catchup_days: int = 7,
    batch: int = 100,
    now: datetime | None = None,
) -> int:
    """Handle every waiting outbox row here, as the worker's tasks would, with no broker (for
    `accord reminders run`); a batch per transaction. Returns the rows handled."""
    now = now or datetime.now(UTC)
    handled = 0
    while True:
        with UnitOfWork(engine) as uow:
            rows = outbox.claim(uow, now, batch)
            for row in rows:
                handle_outbox_row(
                    uow,
                    row.id,
                    today=today,
                    default_offsets=default_offsets,
                    catchup_days=catchup_days,
                    now=now,
                )
            outbox.mark_dispatched(uow, [row.id for row in rows], now)
            uow.commit()
        handled += len(rows)
        if len(rows) < batch:
            return handled
