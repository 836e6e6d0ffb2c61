"""A meeting's invitation, its update and its cancellation arrive with the .ics a calendar needs."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage

from sqlalchemy import select

from models import Notification, Partnership
from tests.e2e.conftest import Stack
from tests.e2e.world import (
    HOME_CONTACT,
    PARTNER_CONTACT,
    addresses,
    bodies,
    calendar,
    message_id,
    notification,
    people,
    today,
)
from workflow.notices import meetings
from workflow.uow import UnitOfWork

TITLE = "Annual partnership meeting"


def _arrived(e2e: Stack, key: str, what: str) -> EmailMessage:
    expected = message_id(key, e2e.settings)
    e2e.drive(lambda: e2e.smtp.recorder.with_id(expected), 30, what)
    [msg] = e2e.smtp.recorder.with_id(expected)
    assert addresses(msg) == {HOME_CONTACT, PARTNER_CONTACT}
    assert notification(e2e.engine, key).status == "sent"
    return msg


def _ics(msg: EmailMessage, method: str, sequence: int, uid: str, starts: datetime) -> None:
    cal = calendar(msg)
    [event] = cal.events
    assert (cal.method, event.uid, event.sequence, event.start) == (method, uid, sequence, starts)
    attendees = {str(a).removeprefix("mailto:") for a in event.get("ATTENDEE")}
    assert attendees == {HOME_CONTACT, PARTNER_CONTACT}
    inline = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert inline, "no text/calendar part"
    assert {p.get_param("method") for p in inline} == {method}


def test_invitation_then_update_then_cancellation(e2e: Stack) -> None:
    people(e2e.engine)
    day, defaults = today(), meetings.MeetingDefaults()
    starts = datetime.combine(day + timedelta(days=20), time(9), tzinfo=UTC)
    with UnitOfWork(e2e.engine) as uow:
        partnership = uow.session.scalars(
            select(Partnership).where(Partnership.slug == "home-part")
        ).one()
        meeting = meetings.create(
            uow, partnership, starts_at=starts, occurrence=str(starts.year), today=day,
            d=defaults, title=TITLE, location="Heidelberg",
        )  # fmt: skip
        uow.commit()
        meeting_id, uid = meeting.id, meeting.uid

    first = _arrived(e2e, f"meeting_invitation:{meeting_id}:0", "the invitation")
    assert first["Subject"].strip() == f"Invitation: {TITLE}, {starts:%Y-%m-%d %H:%M} UTC"
    for body in bodies(first):
        assert TITLE in body
        assert "Heidelberg" in body
    _ics(first, "REQUEST", 0, uid, starts)

    moved = starts + timedelta(days=1, hours=2)
    with UnitOfWork(e2e.engine) as uow:
        meetings.reschedule(uow, meeting_id, moved, today=day, d=defaults, expect_sequence=0)
        uow.commit()
    second = _arrived(e2e, f"meeting_invitation:{meeting_id}:1", "the updated invitation")
    assert second["Subject"].strip().startswith(f"Updated invitation: {TITLE}")
    _ics(second, "REQUEST", 1, uid, moved)

    with UnitOfWork(e2e.engine) as uow:
        meetings.cancel(uow, meeting_id, today=day, expect_sequence=1)
        uow.commit()
    third = _arrived(e2e, f"meeting_cancellation:{meeting_id}:2", "the cancellation")
    _ics(third, "CANCEL", 2, uid, moved)
    [event] = calendar(third).events
    assert event.get("STATUS") == "CANCELLED"
    assert "CANCELLED" in bodies(third)[0]
    # The week-before reminders of both times were withdrawn, never sent.
    table = Notification.__table__
    with e2e.engine.connect() as conn:
        reminders = conn.execute(
            select(table.c.status).where(
                table.c.meeting_id == meeting_id, table.c.kind == "meeting_reminder"
            )
        ).scalars()
        assert list(reminders) == ["cancelled", "cancelled"]
    assert len(e2e.smtp.recorder.messages) == 3
