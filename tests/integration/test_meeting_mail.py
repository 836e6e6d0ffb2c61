"""Meeting mail through deliver() into .eml files, on both databases: the .ics read back with
icalendar keeps one UID while SEQUENCE rises, REQUEST for invitations and CANCEL for the end.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import Engine

from notify.backends import FileMailer
from notify.message import message_id_for
from tasks.delivering import deliver
from tests import factories
from tests.factories import COORDINATOR_EMAIL, MAIL_FROM, PARTNER_EMAIL, notes
from workflow.notices import meetings
from workflow.seeding.store import load_seed_file, seed
from workflow.settings import Settings
from workflow.uow import UnitOfWork

D = meetings.MeetingDefaults()
TODAY = date(2026, 11, 22)
STARTS = datetime(2027, 1, 15, 9, tzinfo=UTC)
MOVED = datetime(2027, 1, 20, 10, 30, tzinfo=UTC)
UID = "accord-meeting-home-part-2027@accord.local"
TITLE = "HOME–PART partnership meeting"
Send = Callable[[str, int, date], tuple[str, EmailMessage | None]]


@pytest.fixture
def send(engine: Engine, tmp_path: Path) -> Send:
    """Deliver the pending notification of a kind and sequence; (outcome, the mail written)."""
    folder = tmp_path / "mail"
    settings = Settings(home=tmp_path, mail_from=MAIL_FROM)

    def run(kind: str, sequence: int, today: date) -> tuple[str, EmailMessage | None]:
        [row] = [n for n in notes(engine, kind) if n.dedupe_key.endswith(f":{sequence}")]
        before = set(folder.glob("*.eml"))
        now = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=8)
        outcome = deliver(engine, row.id, FileMailer(folder), settings, today=today, now=now)
        written = sorted(set(folder.glob("*.eml")) - before)
        if not written:
            return outcome.status, None
        [path] = written
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(msg, EmailMessage)
        assert msg["Message-ID"] == message_id_for(row.dedupe_key, "accord.example")
        return outcome.status, msg

    return run


def calendar_of(msg: EmailMessage) -> tuple[str, str, int, datetime, str, list[str]]:
    """(METHOD, UID, SEQUENCE, DTSTART, STATUS, attendees) of the attached invite.ics; the
    inline text/calendar alternative must carry the same bytes and method."""
    [attached] = [p for p in msg.iter_attachments() if p.get_filename() == "invite.ics"]
    [inline] = [
        p
        for p in msg.walk()
        if p.get_content_type() == "text/calendar" and p.get_filename() is None
    ]
    assert inline.get_content() == attached.get_content()
    calendar = Calendar.from_ical(attached.get_content())
    assert attached.get_param("method") == inline.get_param("method") == calendar["METHOD"]
    [event] = calendar.events
    attendees = sorted(str(a).removeprefix("mailto:") for a in event.get("ATTENDEE"))
    assert isinstance(event.start, datetime)
    return (
        str(calendar["METHOD"]),
        str(event.uid),
        int(event.sequence),
        event.start,
        str(event["STATUS"]),
        attendees,
    )


@pytest.fixture
def meeting_id(engine: Engine) -> int:
    """This year's annual meeting of home and partner, scheduled on TODAY."""
    factories.institutions(engine)
    factories.contacts(engine)
    factories.meeting_partnership(engine, month=1)
    with UnitOfWork(engine) as uow:
        [created] = meetings.schedule_due(uow, TODAY, D)
        uow.commit()
        return created.id


def test_invitations_keep_their_uid_while_the_sequence_rises(
    engine: Engine, meeting_id: int, send: Send
) -> None:
    people = sorted([COORDINATOR_EMAIL, PARTNER_EMAIL])
    status, first = send("meeting_invitation", 0, TODAY)
    assert status == "sent"
    assert first is not None
    assert first["Subject"] == f"Invitation: {TITLE}, 2027-01-15 09:00 UTC"
    assert first["To"] == f"{COORDINATOR_EMAIL}, {PARTNER_EMAIL}"
    assert calendar_of(first) == ("REQUEST", UID, 0, STARTS, "CONFIRMED", people)
    assert send("meeting_invitation", 0, TODAY) == ("skipped", None)

    for starts_at in (MOVED, MOVED + timedelta(days=1)):
        with UnitOfWork(engine) as uow:
            meetings.reschedule(uow, meeting_id, starts_at, today=TODAY, d=D)
            uow.commit()
    # The invitation of sequence 1 was superseded before it went out: never sent.
    assert send("meeting_invitation", 1, TODAY) == ("skipped", None)
    status, updated = send("meeting_invitation", 2, TODAY)
    assert status == "sent"
    assert updated is not None
    assert updated["Subject"] == f"Updated invitation: {TITLE}, 2027-01-21 10:30 UTC"
    moved = MOVED + timedelta(days=1)
    assert calendar_of(updated) == ("REQUEST", UID, 2, moved, "CONFIRMED", people)
    text = updated.get_body(("plain",))
    assert text is not None
    assert "this invitation replaces the earlier one" in text.get_content()

    status, reminder = send("meeting_reminder", 2, moved.date() - timedelta(days=7))
    assert status == "sent"
    assert reminder is not None
    assert reminder["Subject"] == f"Reminder: {TITLE}, 2027-01-21 10:30 UTC"
    assert [p for p in reminder.walk() if p.get_content_type() == "text/calendar"] == []
    assert "is in 7 days" in str(reminder.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_a_cancellation_carries_method_cancel_with_the_same_uid(
    engine: Engine, meeting_id: int, send: Send
) -> None:
    assert send("meeting_invitation", 0, TODAY)[0] == "sent"
    with UnitOfWork(engine) as uow:
        meetings.cancel(uow, meeting_id, today=TODAY, expect_sequence=0)
        uow.commit()
    assert send("meeting_reminder", 0, date(2027, 1, 8)) == ("skipped", None)
    status, cancelled = send("meeting_cancellation", 1, TODAY)
    assert status == "sent"
    assert cancelled is not None
    assert cancelled["Subject"] == f"Cancelled: {TITLE}, 2027-01-15 09:00 UTC"
    people = sorted([COORDINATOR_EMAIL, PARTNER_EMAIL])
    assert calendar_of(cancelled) == ("CANCEL", UID, 1, STARTS, "CANCELLED", people)
    assert send("meeting_cancellation", 1, TODAY) == ("skipped", None)


@pytest.mark.parametrize("replies_read", [False, True], ids=["replies-unread", "replies-read"])
def test_the_seeded_heidelberg_invitation_shows_each_side_its_own_time(
    engine: Engine, tmp_path: Path, replies_read: bool
) -> None:
    seed(engine, load_seed_file(factories.ROOT / "data" / "seed.toml"), today=TODAY)
    with UnitOfWork(engine) as uow:
        [meeting] = meetings.schedule_due(uow, TODAY, D)
        uow.commit()
    assert (meeting.partnership.slug, meeting.starts_at) == ("hust-heidelberg", STARTS)
    [row] = notes(engine, "meeting_invitation")
    folder = tmp_path / "mail"
    settings = Settings(home=tmp_path, mail_from=MAIL_FROM, mail_replies_read=replies_read)
    now = datetime(2026, 11, 22, 8, tzinfo=UTC)
    assert deliver(engine, row.id, FileMailer(folder), settings, today=TODAY, now=now).status == (
        "sent"
    )
    [path] = folder.glob("*.eml")
    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(msg, EmailMessage)
    text, html = (msg.get_body((kind,)) for kind in ("plain", "html"))
    assert text is not None
    assert html is not None
    # The file mailer writes the wire format: lines end in CRLF.
    plain, markup = (part.get_content().replace("\r\n", "\n") for part in (text, html))
    assert "When:        Friday 15 January 2027, 09:00 UTC\n" in plain
    assert "Local time:  17:00 in Wuhan (HUST, UTC+8)\n" in plain
    assert "             10:00 in Heidelberg (UTC+1)\n" in plain
    assert "17:00 in Wuhan (HUST, UTC+8)<br>10:00 in Heidelberg (UTC+1)" in markup

    [attached] = [p for p in msg.iter_attachments() if p.get_filename() == "invite.ics"]
    [event] = Calendar.from_ical(attached.get_content()).events
    # The organiser is the sender the mail comes from; RSVP only where replies are read.
    assert event.organizer == "mailto:accord@accord.example"
    assert event.organizer.params["CN"] == "Accord"
    rsvp = "TRUE" if replies_read else "FALSE"
    assert [a.params["RSVP"] for a in event.attendees] == [rsvp, rsvp]
    asked = "Please accept or decline it in your calendar"
    assert (asked in plain, asked in markup) == (replies_read, replies_read)
