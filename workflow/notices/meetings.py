"""Partnership meetings: scheduled ahead from a cadence, rescheduled or cancelled, each change
announced by an invitation row (same UID, SEQUENCE one higher) that the sweep sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from models import Meeting, Notification, Partnership, table_of
from workflow.errors import InvalidInput, NotFound, StaleVersion
from workflow.uow import UnitOfWork
from workflow.validation import header_safe, past_horizon, within_horizon

N = table_of(Notification)


@dataclass(frozen=True)
class MeetingDefaults:
    """When a cadence-driven meeting is placed: day of month, hour (UTC), length, lead time."""

    day: int = 15
    hour_utc: int = 9
    duration_minutes: int = 90
    location: str = "Online"
    lead_days: int = 60
    reminder_days: int = 7
    uid_domain: str = "accord.local"


def next_annual(month: int, today: date, d: MeetingDefaults) -> datetime:
    """The next annual meeting in `month` on or after today, at the default day and hour."""
    year = today.year if (month, d.day) >= (today.month, today.day) else today.year + 1
    return datetime.combine(date(year, month, d.day), time(d.hour_utc), tzinfo=UTC)


def _notify(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
    uow.conn.execute(insert(N).on_conflict_do_nothing(index_elements=["dedupe_key"]), rows)


def _announce(uow: UnitOfWork, m: Meeting, today: date, d: MeetingDefaults, now: datetime) -> None:
    """Queue the invitation for the meeting's current sequence and its reminder a week before."""
    common = {"meeting_id": m.id, "status": "pending", "attempts": 0, "created_at": now}
    rows = [
        {
            **common,
            "kind": "meeting_invitation",
            "dedupe_key": f"meeting_invitation:{m.id}:{m.sequence}",
            "due_on": today,
            "payload": {"sequence": m.sequence, "method": "REQUEST"},
        },
        {
            **common,
            "kind": "meeting_reminder",
            # Keyed by SEQUENCE, not time: a meeting moved back to an earlier time is a new
            # change, and the reminder withdrawn then must not block this one.
            "dedupe_key": f"meeting_reminder:{m.id}:{m.sequence}",
            "due_on": max(today, m.starts_at.date() - timedelta(days=d.reminder_days)),
            "payload": {"starts_at": m.starts_at.isoformat()},
        },
    ]
    _notify(uow, rows)


def _withdraw_pending(uow: UnitOfWork, meeting_id: int) -> None:
    uow.conn.execute(
        update(N)
        .where(N.c.meeting_id == meeting_id, N.c.status == "pending")
        .values(status="cancelled")
    )


def create(
    uow: UnitOfWork,
    partnership: Partnership,
    *,
    starts_at: datetime,
    occurrence: str,
    today: date,
    d: MeetingDefaults,
    title: str | None = None,
    location: str | None = None,
    now: datetime | None = None,
) -> Meeting:
    """Create one meeting (idempotent per partnership and occurrence) and queue its invitation."""
    now = now or datetime.now(UTC)
    if starts_at.tzinfo is None:
        raise InvalidInput("the meeting time needs a timezone (e.g. 2027-01-15T09:00Z)")
    if starts_at.date() < today:
        raise InvalidInput(f"the meeting time {starts_at.isoformat()} is in the past")
    within_horizon(starts_at, "the meeting time")
    existing = uow.session.scalars(
        select(Meeting).where(
            Meeting.partnership_id == partnership.id, Meeting.occurrence == occurrence
        )
    ).first()
    if existing is not None:
        return existing
    name = title or f"{partnership.home.label}–{partnership.partner.label} partnership meeting"
    meeting = Meeting(
        partnership=partnership,
        occurrence=occurrence,
        uid=f"accord-meeting-{partnership.slug}-{occurrence}@{d.uid_domain}",
        title=header_safe(name, "meeting title"),
        starts_at=starts_at,
        duration_minutes=d.duration_minutes,
        location=header_safe(location or d.location, "meeting location"),
        status="scheduled",
        sequence=0,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(meeting)
    uow.session.flush()
    _announce(uow, meeting, today, d, now)
    return meeting


def schedule_due(uow: UnitOfWork, today: date, d: MeetingDefaults) -> list[Meeting]:
    """Schedule the next meeting of every partnership with a cadence, once it is within lead."""
    created = []
    partnerships = uow.session.scalars(
        select(Partnership).where(
            Partnership.meeting_cadence == "annual", Partnership.meeting_month.is_not(None)
        )
    ).all()
    for p in partnerships:
        assert p.meeting_month is not None
        starts_at = next_annual(p.meeting_month, today, d)
        # Past the horizon nothing is accepted, a meeting of the sweep's own making included.
        if (starts_at.date() - today).days > d.lead_days or past_horizon(starts_at):
            continue
        before = uow.session.scalar(
            select(Meeting.id).where(
                Meeting.partnership_id == p.id, Meeting.occurrence == str(starts_at.year)
            )
        )
        if before is None:
            created.append(
                create(
                    uow, p, starts_at=starts_at, occurrence=str(starts_at.year), today=today, d=d
                )
            )
    return created


def _load(uow: UnitOfWork, meeting_id: int, expect_sequence: int | None) -> Meeting:
    meeting = uow.session.get(Meeting, meeting_id, with_for_update=uow.dialect == "postgresql")
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}: see `accord meetings list`")
    if expect_sequence is not None and meeting.sequence != expect_sequence:
        raise StaleVersion(
            f"meeting {meeting_id} is at sequence {meeting.sequence}, not {expect_sequence} "
            f"(changed at {meeting.updated_at.isoformat(timespec='seconds')}); reload and retry"
        )
    if meeting.status == "cancelled":
        raise InvalidInput(f"meeting {meeting_id} is cancelled")
    return meeting


def reschedule(
    uow: UnitOfWork,
    meeting_id: int,
    starts_at: datetime,
    *,
    today: date,
    d: MeetingDefaults,
    expect_sequence: int | None = None,
    now: datetime | None = None,
) -> Meeting:
    """Move a meeting: SEQUENCE rises, a new invitation supersedes the old, reminders follow."""
    now = now or datetime.now(UTC)
    meeting = _load(uow, meeting_id, expect_sequence)
    if starts_at.tzinfo is None or starts_at.date() < today:
        raise InvalidInput(f"the new time {starts_at.isoformat()} must be a future, zoned time")
    within_horizon(starts_at, "the new time")
    if starts_at == meeting.starts_at:
        raise InvalidInput("the meeting is already at that time")
    _withdraw_pending(uow, meeting.id)
    meeting.starts_at, meeting.sequence, meeting.updated_at = starts_at, meeting.sequence + 1, now
    uow.session.flush()
    _announce(uow, meeting, today, d, now)
    return meeting


def cancel(
    uow: UnitOfWork,
    meeting_id: int,
    *,
    today: date,
    expect_sequence: int | None = None,
    now: datetime | None = None,
) -> Meeting:
    """Cancel a meeting: pending mails are withdrawn and a METHOD:CANCEL goes to everyone."""
    now = now or datetime.now(UTC)
    meeting = _load(uow, meeting_id, expect_sequence)
    _withdraw_pending(uow, meeting.id)
    meeting.status, meeting.sequence, meeting.updated_at = "cancelled", meeting.sequence + 1, now
    uow.session.flush()
    _notify(
        uow,
        [
            {
                "kind": "meeting_cancellation",
                "dedupe_key": f"meeting_cancellation:{meeting.id}:{meeting.sequence}",
                "meeting_id": meeting.id,
                "due_on": today,
                "status": "pending",
                "attempts": 0,
                "payload": {"sequence": meeting.sequence, "method": "CANCEL"},
                "created_at": now,
            }
        ],
    )
    return meeting
