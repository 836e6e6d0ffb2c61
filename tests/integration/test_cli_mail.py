"""`accord reminders due|run` and `accord meetings ...` on SQLite and PostgreSQL, mail to files.

`reminders run` sends through the real file mailer; the tests parse the .eml files it wrote
(headers, the text part, the .ics with its UID, SEQUENCE and METHOD).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import Engine, func, select

from models import DeadLetter, Meeting, Notification
from tests import factories
from tests.integration.test_cli import Outcome, run_cli
from workflow.uow import UnitOfWork

DAY = factories.TODAY  # 2026-11-22
TODAY = f"--today {DAY.isoformat()}"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """ACCORD_HOME of these commands: the mail folder (and the embedded broker) live here."""
    return tmp_path / "home"


def accord(db_url: str, home: Path, command: str) -> Outcome:
    """`accord COMMAND` with mail going to files under `home` (no SMTP server configured)."""
    env: dict[str, str | None] = {
        "ACCORD_HOME": str(home),
        "ACCORD_MAIL_FROM": factories.MAIL_FROM,
        "ACCORD_SMTP_HOST": None,
        "ACCORD_MAIL_DIR": None,
        "ACCORD_BROKER_URL": None,
    }
    return run_cli(db_url, command, env)


def ok(db_url: str, home: Path, command: str) -> Outcome:
    """A command that must succeed with nothing on stderr."""
    outcome = accord(db_url, home, command)
    assert (outcome.code, outcome.err) == (0, ""), outcome
    return outcome


def refused(db_url: str, home: Path, command: str, code: int = 1) -> str:
    """A command that must fail with ONE line on stderr and no traceback; returns that line."""
    outcome = accord(db_url, home, command)
    assert outcome.code == code, outcome
    assert len(outcome.err.splitlines()) == 1, outcome.err
    assert "Traceback" not in outcome.err + outcome.out
    return outcome.err


def mails(home: Path) -> list[EmailMessage]:
    """Every .eml the file mailer wrote, oldest first."""
    parser = BytesParser(policy=policy.default)
    found = []
    for path in sorted((home / "mail").glob("*.eml")):
        with path.open("rb") as fh:
            msg = parser.parse(fh)
        assert isinstance(msg, EmailMessage)
        found.append(msg)
    return found


def calendar_of(msg: EmailMessage) -> Any:
    """The invitation's VCALENDAR, from the inline text/calendar part."""
    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    return Calendar.from_ical(part.get_content())


def event_of(msg: EmailMessage) -> Any:
    return next(c for c in calendar_of(msg).walk() if c.name == "VEVENT")


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def state(engine: Engine) -> tuple[Any, ...]:
    """Everything these commands could change: notifications, meetings, dead letters."""
    with UnitOfWork(engine) as uow:
        notes = uow.session.execute(
            select(Notification.id, Notification.status, Notification.attempts).order_by(
                Notification.id
            )
        ).all()
        meets = uow.session.execute(
            select(Meeting.id, Meeting.sequence, Meeting.status, Meeting.starts_at)
        ).all()
        dead = uow.session.scalar(select(func.count()).select_from(DeadLetter))
    return [tuple(n) for n in notes], [tuple(m) for m in meets], dead


def _people(engine: Engine) -> None:
    factories.institutions(engine)
    factories.contacts(engine)


# ---------------------------------------------------------------- reminders


def test_due_lists_what_is_pending_and_due_and_changes_nothing(
    engine: Engine, db_url: str, home: Path
) -> None:
    _people(engine)
    slug = factories.agreement(engine, "Exchange MoU", expires=DAY + timedelta(days=30))
    # What the outbox handler does after the signing: the term's reminders, ahead of time.
    from workflow.notices import reminders

    agreement_id = factories.agreement_id(engine, slug)
    with UnitOfWork(engine) as uow:
        made = reminders.replan(
            uow, today=DAY, default_offsets=[90, 30, 7], agreement_id=agreement_id
        ).created
        uow.commit()
    assert made == 2  # the 90-day one fell due long ago: not created
    before = state(engine)

    [due] = ok(db_url, home, f"reminders due {TODAY} --json").json()
    assert due == {
        "id": due["id"],
        "kind": "renewal_reminder",
        "subject": slug,
        "agreement": slug,
        "meeting_id": None,
        "due_on": DAY.isoformat(),
        "attempts": 0,
        "next_attempt_at": None,
        "last_error": None,
        "status": "pending",
        "about": "30 days before the end date 2026-12-22",
    }
    later = ok(db_url, home, "reminders due --today 2026-12-15 --json").json()
    assert [(d["due_on"], d["subject"]) for d in later] == [
        ("2026-11-22", slug),
        ("2026-12-15", slug),
    ]
    lines = ok(db_url, home, f"reminders due {TODAY}").out.splitlines()
    assert lines[0].split() == ["ID", "KIND", "FOR", "DUE", "ATTEMPTS", "RETRY", "AT", "ABOUT"]
    assert lines[1].split()[1:6] == ["renewal_reminder", slug, "2026-11-22", "0", "-"]
    assert lines[1].endswith("30 days before the end date 2026-12-22")
    assert lines[-1].startswith("1 pending, due by 2026-11-22")
    assert ok(db_url, home, "reminders due --today 2026-11-01").out == (
        "nothing pending is due by 2026-11-01\n"
    )
    assert state(engine) == before
    assert not (home / "mail").exists()


def test_run_sweeps_and_sends_inline_once(engine: Engine, db_url: str, home: Path) -> None:
    _people(engine)
    expires = DAY + timedelta(days=30)
    slug = factories.agreement(engine, "Exchange MoU", expires=expires)

    report = ok(db_url, home, f"reminders run {TODAY} --json").json()
    # The outbox first (propose … sign: the signing's notice, and the term's reminders made
    # ahead), then the sweep: it opened the renewal window (a move, with its notice too) and
    # claimed what is due, the 30-day reminder among it.
    assert (report["events_handled"], report["moved"], report["claimed"]) == (6, 1, 3)
    assert sorted((o["kind"], o["subject"], o["status"]) for o in report["outcomes"]) == [
        ("event_notice", slug, "sent"),
        ("event_notice", slug, "sent"),
        ("renewal_reminder", slug, "sent"),
    ]
    assert report["totals"] == {"sent": 3, "skipped": 0, "retry": 0, "dead": 0}
    [outcome] = [o for o in report["outcomes"] if o["kind"] == "renewal_reminder"]

    [msg] = [m for m in mails(home) if m["Message-ID"] == outcome["message_id"]]
    assert "Exchange MoU" in msg["Subject"]
    assert set(msg["To"].split(", ")) == {factories.COORDINATOR_EMAIL, factories.UNIT_EMAIL}
    body = text_of(msg)
    assert expires.isoformat() in body
    assert "30" in body
    sent = [n for n in factories.notes(engine, "renewal_reminder") if n.status == "sent"]
    assert [n.message_id for n in sent] == [outcome["message_id"]]

    again = ok(db_url, home, f"reminders run {TODAY}").out.splitlines()
    assert again == [
        "sweep 2026-11-22: 0 event(s) handled, 0 move(s), 0 reminder(s) created, "
        "0 review(s) due, 0 missed, 0 meeting(s) scheduled, 0 to send",
        "0 sent, 0 skipped, 0 retry, 0 dead",
    ]
    assert len(mails(home)) == 3


def test_run_on_the_seed_invites_both_contacts_of_the_heidelberg_meeting(
    db_url: str, home: Path
) -> None:
    ok(db_url, home, f"seed {TODAY}")
    out = ok(db_url, home, f"reminders run {TODAY}").out.splitlines()
    # The seed's history schedules reminders and mails nothing; the first tick's windows and
    # lapses are news: five notices, and the meeting's invitation.
    assert out[0].startswith("sweep 2026-11-22: 45 event(s) handled, 5 move(s), 0 reminder(s)")
    assert out[0].endswith(", 1 meeting(s) scheduled, 6 to send")
    assert out[-1] == "6 sent, 0 skipped, 0 retry, 0 dead"
    assert [line.split()[2] for line in out[1:-1]] == ["meeting_invitation"] + 5 * ["event_notice"]
    assert "meeting_invitation hust-heidelberg meeting 2027-01-15T09:00Z" in out[1]
    [msg] = [m for m in mails(home) if m["Subject"].startswith("Invitation:")]
    assert msg["To"] == "chen.jie@hust.example.org, michael.kirschfink@heidelberg.example.org"
    assert msg["Subject"].startswith("Invitation: HUST–Heidelberg partnership meeting")
    cal, event = calendar_of(msg), event_of(msg)
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "accord-meeting-hust-heidelberg-2027@accord.local"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART").isoformat() == "2027-01-15T09:00:00+00:00"


@pytest.mark.parametrize("read", ["true", "false"])
def test_mail_replies_read_decides_whether_an_invitation_asks_for_an_answer(
    db_url: str, home: Path, read: str
) -> None:
    ok(db_url, home, f"seed {TODAY}")
    env: dict[str, str | None] = {
        "ACCORD_HOME": str(home),
        "ACCORD_MAIL_FROM": "International Office <intl@hust.example.org>",
        "ACCORD_MAIL_REPLIES_READ": read,
        "ACCORD_SMTP_HOST": None,
        "ACCORD_MAIL_DIR": None,
        "ACCORD_BROKER_URL": None,
    }
    outcome = run_cli(db_url, f"reminders run {TODAY}", env)
    assert (outcome.code, outcome.err) == (0, ""), outcome
    [invite] = [m for m in mails(home) if m["Subject"].startswith("Invitation: ")]
    event = event_of(invite)
    assert str(event["ORGANIZER"]) == "mailto:intl@hust.example.org"
    assert {a.params["RSVP"] for a in event.attendees} == {read.upper()}
    assert ("Please accept or decline it in your calendar" in text_of(invite)) == (read == "true")


def test_run_dead_letters_a_mail_that_cannot_be_built_and_sends_the_others(
    engine: Engine, db_url: str, home: Path
) -> None:
    _people(engine)
    # An address stored before entry validation existed: building its mail refuses it.
    from models import Person

    with UnitOfWork(engine) as uow:
        coord = uow.session.scalars(select(Person).where(Person.slug == "coord")).one()
        uow.session.add(
            Person(
                slug="stale",
                name="Old Entry",
                institution_id=coord.institution_id,
                email="old@home.example\r\nBcc: all@evil.example",
            )
        )
        uow.commit()
    expires = DAY + timedelta(days=30)
    good = factories.agreement(engine, "Good MoU", expires=expires)
    bad = factories.agreement(engine, "Bad MoU", expires=expires, coordinator="stale", unit=None)

    out = ok(db_url, home, f"reminders run {TODAY}").out.splitlines()
    # Each agreement's reminder and its two notices (signed, renewal window opened).
    reminders = {line.split()[0]: line for line in out[1:-1] if "renewal_reminder" in line}
    assert f"renewal_reminder {good}  <" in reminders["sent"]
    refused = "InvalidInput: To must not contain line breaks"
    assert f"renewal_reminder {bad}  {refused}" in reminders["dead"]
    assert out[-1] == "3 sent, 0 skipped, 0 retry, 3 dead"
    assert {m["Subject"].split(":")[0] for m in mails(home)} == {"Good MoU", "Renewal reminder"}
    assert all("Good MoU" in m["Subject"] for m in mails(home))


# ---------------------------------------------------------------- meetings


def test_schedule_reschedule_and_cancel_send_request_then_cancel(
    engine: Engine, db_url: str, home: Path
) -> None:
    _people(engine)
    factories.meeting_partnership(engine, month=1)
    assert ok(db_url, home, "meetings list").out.startswith("no meetings yet")

    command = "meetings schedule home-part --at 2027-01-20T10:00+01:00 --title 'Annual meeting'"
    made = ok(db_url, home, f"{command} --location Wuhan --duration 120 {TODAY} --json").json()
    assert {k: made[k] for k in ("partnership", "title", "location", "status", "sequence")} == {
        "partnership": "home-part",
        "title": "Annual meeting",
        "location": "Wuhan",
        "status": "scheduled",
        "sequence": 0,
    }
    assert (made["starts_at"], made["duration_minutes"]) == ("2027-01-20T09:00:00+00:00", 120)
    mid, uid = made["id"], made["uid"]
    # A January meeting of a partnership that meets every January IS that year's meeting.
    err = refused(db_url, home, f"meetings schedule home-part --at 2027-01-27T09:00Z {TODAY}")
    assert f"home-part already has its 2027 meeting (id {mid}" in err

    ok(db_url, home, f"reminders run {TODAY}")
    [invite] = mails(home)
    assert set(invite["To"].split(", ")) == {factories.COORDINATOR_EMAIL, factories.PARTNER_EMAIL}
    event = event_of(invite)
    assert (str(calendar_of(invite)["METHOD"]), str(event["UID"]), int(event["SEQUENCE"])) == (
        "REQUEST",
        uid,
        0,
    )

    stale = f"meetings reschedule {mid} --at 2027-01-27T09:00Z --expect-sequence 1 {TODAY}"
    assert f"meeting {mid} is at sequence 0, not 1" in refused(db_url, home, stale)
    moved = ok(db_url, home, stale.replace("--expect-sequence 1", "--expect-sequence 0")).out
    assert moved.startswith(f"meeting {mid} moved to 2027-01-27T09:00Z (sequence 1)")
    ok(db_url, home, f"reminders run {TODAY}")
    update = mails(home)[-1]
    event = event_of(update)
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, 1)
    assert event.decoded("DTSTART").isoformat() == "2027-01-27T09:00:00+00:00"

    cancelled = ok(db_url, home, f"meetings cancel {mid} --expect-sequence 1 {TODAY}").out
    assert cancelled.startswith(f"meeting {mid} cancelled (sequence 2)")
    ok(db_url, home, f"reminders run {TODAY}")
    assert len(mails(home)) == 3
    cancel = mails(home)[-1]
    event = event_of(cancel)
    assert (str(calendar_of(cancel)["METHOD"]), str(event["UID"]), int(event["SEQUENCE"])) == (
        "CANCEL",
        uid,
        2,
    )
    [listed] = ok(db_url, home, "meetings list --json").json()
    assert (listed["status"], listed["sequence"]) == ("cancelled", 2)
    table = ok(db_url, home, "meetings list").out.splitlines()
    row = [str(mid), "home-part", "2027-01-27T09:00Z", "120", "min", "Wuhan", "cancelled", "2"]
    assert table[1].split()[:8] == row
    assert "is cancelled" in refused(
        db_url, home, f"meetings reschedule {mid} --at 2027-02-01T09:00Z"
    )


def test_each_meeting_command_says_in_one_sentence_when_its_mail_goes_out(
    engine: Engine, db_url: str, home: Path
) -> None:
    _people(engine)
    factories.meeting_partnership(engine, month=1)
    sent = "goes out with the worker's next sweep (or `accord reminders run`)\n"
    made = ok(db_url, home, f"meetings schedule home-part --at 2027-03-10T09:00Z {TODAY}").out
    mid = made.split()[1]
    assert made == (
        f"meeting {mid} scheduled: HOME–PART partnership meeting, 2027-03-10T09:00Z, 90 min, "
        f"Online; the invitation {sent}"
    )
    moved = ok(db_url, home, f"meetings reschedule {mid} --at 2027-03-11T09:00Z {TODAY}").out
    assert (
        moved
        == f"meeting {mid} moved to 2027-03-11T09:00Z (sequence 1); the updated invitation {sent}"
    )
    cancelled = ok(db_url, home, f"meetings cancel {mid} {TODAY}").out
    assert cancelled == f"meeting {mid} cancelled (sequence 2); the cancellation {sent}"


BAD_MEETINGS = [
    ("naive time", "schedule home-part --at 2027-01-20T10:00", "has no timezone", 1),
    ("not a time", "schedule home-part --at tomorrow", "is not a date and time", 1),
    ("date only", "schedule home-part --at 2027-01-20", "has no timezone", 1),
    ("unknown partnership", "schedule nowhere --at 2027-01-20T10:00Z", "known: home-part", 1),
    ("in the past", "schedule home-part --at 2020-01-20T10:00Z", "is in the past", 1),
    ("no time", "schedule home-part", "Missing option '--at'", 2),
    ("zero minutes", "schedule home-part --at 2027-01-20T10:00Z --duration 0", "--duration", 2),
    (
        "line break in the title",
        "schedule home-part --at 2027-01-20T10:00Z --title 'Meeting\r\nBcc: x@evil.example'",
        "must not contain line breaks",
        1,
    ),
    (
        "line break in the place",
        "schedule home-part --at 2027-01-20T10:00Z --location 'Room 1\nX-Evil: 1'",
        "must not contain line breaks",
        1,
    ),
    ("unknown meeting", "reschedule 999 --at 2027-01-20T10:00Z", "no meeting 999", 1),
    ("not an id", "cancel first", "Invalid value for 'ID'", 2),
]


@pytest.mark.parametrize(
    ("command", "fragment", "code"), [c[1:] for c in BAD_MEETINGS], ids=[c[0] for c in BAD_MEETINGS]
)
def test_bad_meeting_input_is_one_line_and_changes_nothing(
    engine: Engine, db_url: str, home: Path, command: str, fragment: str, code: int
) -> None:
    _people(engine)
    factories.meeting_partnership(engine, month=1)
    before = state(engine)
    assert fragment in refused(db_url, home, f"meetings {command} {TODAY}", code)
    assert state(engine) == before


def test_today_defaults_to_the_real_day(engine: Engine, db_url: str, home: Path) -> None:
    _people(engine)
    factories.meeting_partnership(engine, month=None)
    soon = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    made = ok(db_url, home, f"meetings schedule home-part --at {soon}T08:30Z --json").json()
    assert made["starts_at"] == f"{soon}T08:30:00+00:00"
    due = ok(db_url, home, "reminders due --json").json()
    # The invitation goes out today; so does the week-before reminder of a meeting this close.
    assert {(d["kind"], d["meeting_id"]) for d in due} == {
        ("meeting_invitation", made["id"]),
        ("meeting_reminder", made["id"]),
    }
