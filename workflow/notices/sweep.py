"""The periodic sweep: time-driven moves, due reminders, meetings and follow-ups, then claim
what to send.

A change of ACCORD_REMINDER_OFFSETS takes effect here: the sweep remembers the default it last
planned with and re-plans the agreements that follow it when the one in force differs.

Every step is idempotent, so two beats, a missed minute or a day of downtime are all harmless:
the next sweep does whatever is still due, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from workflow.agreements.tick import tick
from workflow.notices import delivery, follow_ups, meetings, reminders, reviews
from workflow.uow import UnitOfWork


@dataclass
class SweepReport:
    """What one sweep did."""

    today: date
    moved: int = 0
    reminders: int = 0
    # Review reminders of open-ended agreements made (their next review day rolled on).
    reviews: int = 0
    missed: int = 0
    # Reminders made or withdrawn because the default offsets changed since the last sweep.
    replanned: int = 0
    meetings: int = 0
    # Mails to follow-up owners made: those due today, or missed within the catch-up window.
    follow_ups: int = 0
    claimed: list[int] = field(default_factory=list)


def sweep(
    engine: Engine,
    today: date,
    *,
    default_offsets: Sequence[int],
    meeting_defaults: meetings.MeetingDefaults,
    claim_limit: int = 500,
    lease: timedelta = timedelta(minutes=5),
    catchup_days: int = 7,
    now: datetime | None = None,
) -> SweepReport:
    """Run one sweep in one transaction; return the notification ids claimed for sending."""
    now = now or datetime.now(UTC)
    report = SweepReport(today)
    with UnitOfWork(engine) as uow:
        # One sweep at a time, as BEGIN IMMEDIATE gives on SQLite: two at once would both find
        # this year's meeting missing and the second would fail on its unique key.
        reminders.hold_sweep_lock(uow)
        report.moved = tick(uow, today, now=now).total
        followed = reminders.follow_default(
            uow, today=today, default_offsets=default_offsets, catchup_days=catchup_days, now=now
        )
        if followed is not None:
            report.replanned = followed.created + followed.cancelled
        report.reminders = reminders.materialize_due(
            uow, today, default_offsets=default_offsets, catchup_days=catchup_days, now=now
        )
        report.reviews = reviews.sweep_due(uow, today, catchup_days=catchup_days, now=now)
        # Before the claim, so a reminder too late to be of use is never handed out.
        report.missed = reminders.mark_missed(uow, today, catchup_days)
        report.meetings = len(meetings.schedule_due(uow, today, meeting_defaults))
        report.follow_ups = follow_ups.materialize_due(
            uow, today, catchup_days=catchup_days, now=now
        )
        report.claimed = delivery.claim_due(
            uow, today=today, now=now, limit=claim_limit, lease=lease
        )
        uow.commit()
    return report
