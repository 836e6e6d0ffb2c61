"""Send one notification: rows from workflow.notices.delivery, mail from notify. No Celery
here, so the worker's task and `accord reminders run` share exactly this code.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from functools import partial

from sqlalchemy import Engine

from models.db import reconnecting
from notify.backends import Mailer
from notify.contexts import (
    EventContext,
    FollowUpContext,
    MeetingContext,
    Party,
    PartyZone,
    ReminderContext,
    ReviewContext,
)
from notify.errors import DeliveryError
from notify.ics import invitation
from notify.message import build_message, message_id_for, sender_domain
from notify.render import (
    Rendered,
    render_event,
    render_follow_up,
    render_meeting_cancellation,
    render_meeting_invitation,
    render_meeting_reminder,
    render_reminder,
    render_review,
)
from workflow.agreements.tick import SYSTEM
from workflow.notices import delivery
from workflow.notices.context import Delivery
from workflow.notices.reminder_rules import REVIEW_KIND, REVIEW_MONTHS
from workflow.settings import Settings
from workflow.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery attempt."""

    notification_id: int
    status: str  # sent | skipped | retry | dead
    message_id: str | None = None
    error: str | None = None


def _meeting_context(d: Delivery) -> MeetingContext:
    m = d.meeting
    assert m is not None
    return MeetingContext(
        partnership=f"{m.home} – {m.partner}",
        title=m.title,
        starts_at=m.starts_at,
        duration_minutes=m.duration_minutes,
        location=m.location,
        zones=tuple(PartyZone(*zone) for zone in m.zones),
    )


def _render(d: Delivery, replies_read: bool) -> Rendered:
    """The mail's subject, text and HTML parts."""
    if d.kind == "renewal_reminder":
        a = d.agreement
        assert a is not None
        assert a.expires_on is not None
        parties = tuple(Party(n, k) for n, k in zip(a.parties, a.party_keys, strict=True))
        ctx = ReminderContext(
            a.slug,
            a.title,
            parties,
            a.expires_on,
            d.today,
            a.state,
            notice_deadline=a.notice_deadline,
            notice_days=a.notice_days,
        )
        return render_reminder(ctx, replies_read=replies_read)
    if d.kind == REVIEW_KIND:
        a = d.agreement
        assert a is not None
        parties = tuple(Party(n, k) for n, k in zip(a.parties, a.party_keys, strict=True))
        review = ReviewContext(
            slug=a.slug,
            title=a.title,
            parties=parties,
            due_on=date.fromisoformat(d.payload["due_on"]),
            today=d.today,
            state=a.state,
            review_months=a.review_months or REVIEW_MONTHS,
            anchor=a.effective_on or a.signed_on,
            next_due_on=a.review_due_on,
            summary=a.summary,
        )
        return render_review(review, replies_read=replies_read)
    if d.kind == "event_notice":
        a, e = d.agreement, d.event
        assert a is not None
        assert e is not None
        parties = tuple(Party(n, k) for n, k in zip(a.parties, a.party_keys, strict=True))
        event = EventContext(
            slug=a.slug,
            title=a.title,
            kind=a.kind,
            parties=parties,
            trigger=e.trigger,
            to_state=e.to_state,
            at=e.at,
            recorded_at=e.recorded_at,
            actor=e.actor,
            today=d.today,
            state=a.state,
            comment=e.comment,
            expires_on=a.expires_on,
            automatic=e.actor == SYSTEM,
        )
        return render_event(event, replies_read=replies_read)
    if d.kind == "follow_up":
        a, f = d.agreement, d.follow_up
        assert a is not None
        assert f is not None
        follow_up = FollowUpContext(
            f.id, a.slug, a.title, f.text, f.due_on, f.owner, f.created_by, f.created_at, d.today
        )
        return render_follow_up(follow_up, replies_read=replies_read)
    ctx_m = _meeting_context(d)
    if d.kind == "meeting_invitation":
        assert d.meeting is not None
        updated = d.meeting.sequence > 0
        return render_meeting_invitation(ctx_m, updated=updated, replies_read=replies_read)
    if d.kind == "meeting_reminder":
        return render_meeting_reminder(ctx_m, today=d.today, replies_read=replies_read)
    return render_meeting_cancellation(ctx_m, replies_read=replies_read)


def _ics(d: Delivery, settings: Settings, now: datetime) -> bytes | None:
    m = d.meeting
    if m is None or d.kind == "meeting_reminder":
        return None
    return invitation(
        uid=m.uid,
        sequence=m.sequence,
        method="CANCEL" if d.kind == "meeting_cancellation" else "REQUEST",
        start=m.starts_at,
        duration_minutes=m.duration_minutes,
        summary=m.title,
        description=f"Partnership meeting: {m.home} and {m.partner}",
        location=m.location or "",
        # The organizer is the sender, so a calendar trusts the update it comes with; answers go
        # there, so they are asked for only where someone reads them.
        organizer=settings.mail_from,
        attendees=d.recipients,
        dtstamp=now,
        rsvp=settings.mail_replies_read and d.kind == "meeting_invitation",
    )


def compose(d: Delivery, settings: Settings, now: datetime) -> EmailMessage:
    """The message for a delivery, with its stable Message-ID."""
    return build_message(
        _render(d, settings.mail_replies_read),
        sender=settings.mail_from,
        to=d.recipients,
        message_id=message_id_for(d.dedupe_key, sender_domain(settings.mail_from)),
        date=now,
        ics=_ics(d, settings, now),
    )


def deliver(
    engine: Engine,
    notification_id: int,
    mailer: Mailer,
    settings: Settings,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Send one notification if it is still pending and applies; record the outcome."""
    now = now or datetime.now(UTC)
    today = today or now.date()
    error: DeliveryError | None = None
    with UnitOfWork(engine) as uow:
        d = delivery.begin(
            uow,
            notification_id,
            today=today,
            default_offsets=settings.reminder_offsets,
            catchup_days=settings.reminder_catchup_days,
        )
        if d is None:
            uow.commit()  # may have recorded a cancellation
            return Outcome(notification_id, "skipped")
        try:
            if not d.recipients:
                raise DeliveryError("no recipient has an e-mail address", temporary=False)
            msg = compose(d, settings, now)
            mailer.send(msg)
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a bad stored address or a template error: retrying won't help
            log.exception("notification %s cannot be built or sent", notification_id)
            error = DeliveryError(f"{type(exc).__name__}: {exc}", temporary=False)
        else:
            message_id = str(msg["Message-ID"])
            delivery.mark_sent(uow, notification_id, message_id, now)
            uow.commit()
            return Outcome(notification_id, "sent", message_id)
    # The failure is recorded in a fresh transaction: the one above held the row lock only.
    with UnitOfWork(engine) as uow:
        failure = delivery.mark_failed(
            uow,
            notification_id,
            str(error),
            temporary=error.temporary,
            now=now,
            max_attempts=settings.max_send_attempts,
            backoff_base=settings.retry_backoff_seconds,
        )
        uow.commit()
    log.warning("notification %s failed (attempt %s): %s", notification_id, failure.attempts, error)
    return Outcome(notification_id, "dead" if failure.dead else "retry", error=str(error))


def deliver_batch(
    engine: Engine,
    notification_ids: Sequence[int],
    mailer: Mailer,
    settings: Settings,
    *,
    budget_seconds: float,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[list[Outcome], list[int]]:
    """Deliver rows one after another, each exactly as `deliver` does (its own transaction, lock,
    re-check and outcome), until `budget_seconds` are spent; the outcomes and the ids not reached.

    The first row is always tried, so a batch always makes progress. A row whose connection had
    died is tried once more (models.db.reconnecting); any other database error ends the batch,
    and the rows not reached wait for their claim's lease to run out, as a lost task's would.
    """
    started = clock()
    outcomes: list[Outcome] = []
    for done, notification_id in enumerate(notification_ids):
        if done and clock() - started > budget_seconds:
            return outcomes, list(notification_ids[done:])
        outcomes.append(reconnecting(partial(deliver, engine, notification_id, mailer, settings)))
    return outcomes, []
