"""What `accord meetings` and the API's /meetings share: reading a zoned time, finding the
partnership, scheduling one meeting (refused when its occurrence has one already), a meeting as
`meetings list --json` shows it, and who its invitation goes to.

The changes themselves are workflow/notices/meetings.py's; this is the desk in front of them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from models import Meeting, Partnership, Person
from workflow.errors import InvalidInput, NotFound
from workflow.notices import meetings
from workflow.notices.meetings import MeetingDefaults
from workflow.ops import views
from workflow.ops.views import MeetingView
from workflow.uow import UnitOfWork

EXAMPLE = "2027-01-15T09:00Z"


def parse_moment(value: str, option: str) -> datetime:
    """An ISO 8601 date and time WITH a zone, as UTC; a naive or malformed one is an error."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"{option}: {value!r} is not a date and time; use ISO 8601, e.g. {EXAMPLE}"
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput(
            f"{option}: {value!r} has no timezone; add one, e.g. {EXAMPLE} or +01:00"
        )
    return moment.astimezone(UTC)


def zulu(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def as_json(m: MeetingView) -> dict[str, Any]:
    """A meeting as `accord meetings list --json` prints it."""
    return {
        "id": m.id,
        "partnership": m.partnership,
        "title": m.title,
        "starts_at": m.starts_at.isoformat(),
        "duration_minutes": m.duration_minutes,
        "location": m.location,
        "status": m.status,
        "sequence": m.sequence,
        "uid": m.uid,
    }


def view(uow: UnitOfWork, meeting_id: int) -> MeetingView:
    """One meeting as `meetings list` shows it; NotFound when there is none."""
    found = views.list_meetings(uow, meeting_id=meeting_id)
    if not found:
        raise NotFound(f"no meeting {meeting_id}: see `accord meetings list`")
    return found[0]


def find_partnership(uow: UnitOfWork, ref: str) -> Partnership:
    query = select(Partnership).where(Partnership.slug == ref)
    if ref.isdigit():
        query = select(Partnership).where(Partnership.id == int(ref))
    found = uow.session.scalars(query).first()
    if found is None:
        known = ", ".join(uow.session.scalars(select(Partnership.slug).order_by(Partnership.slug)))
        raise NotFound(f"no partnership {ref!r}; known: {known or 'none (run `accord seed`)'}")
    return found


def occurrence_of(p: Partnership, starts_at: datetime) -> str:
    """Which meeting this is: a meeting in an annual partnership's month IS that year's one."""
    if p.meeting_cadence == "annual" and p.meeting_month == starts_at.month:
        return str(starts_at.year)
    return starts_at.strftime("%Y-%m-%dT%H%MZ")


def schedule(
    uow: UnitOfWork,
    partnership: str,
    starts_at: datetime,
    *,
    today: date,
    d: MeetingDefaults,
    title: str | None = None,
    location: str | None = None,
) -> MeetingView:
    """Schedule a meeting of `partnership` (slug or id), its invitation queued; not committed."""
    p = find_partnership(uow, partnership)
    occurrence = occurrence_of(p, starts_at)
    before = uow.session.scalars(
        select(Meeting).where(Meeting.partnership_id == p.id, Meeting.occurrence == occurrence)
    ).first()
    if before is not None:
        raise InvalidInput(
            f"{p.slug} already has its {occurrence} meeting (id {before.id}, "
            f"{zulu(before.starts_at)}, {before.status}); to move it: "
            f"`accord meetings reschedule {before.id} --at ...`"
        )
    meeting = meetings.create(
        uow, p, starts_at=starts_at, occurrence=occurrence, today=today, d=d,
        title=title, location=location,
    )  # fmt: skip
    return view(uow, meeting.id)


def invitees(uow: UnitOfWork, meeting_id: int) -> tuple[Meeting, list[str]]:
    """The meeting and the addresses its invitation goes to (both sides' contacts)."""
    meeting = uow.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}: see `accord meetings list`")
    p = meeting.partnership
    ids = [pid for pid in (p.home_contact_id, p.partner_contact_id) if pid is not None]
    contacts = [uow.session.get(Person, pid) for pid in ids]
    return meeting, [c.email for c in contacts if c is not None and c.email]
