"""notify.ics: REQUEST and CANCEL invitations read back with icalendar, field by field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from icalendar import Calendar, Event

from notify.ics import PRODID, invitation
from workflow.errors import InvalidInput

START = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
STAMP = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
UID = "meeting-hust-heidelberg-2027@accord.example"


def build(**changes: Any) -> bytes:
    values: dict[str, Any] = {
        "uid": UID,
        "sequence": 0,
        "method": "REQUEST",
        "start": START,
        "duration_minutes": 90,
        "summary": "Annual partnership meeting 2027",
        "description": "Exchange numbers\nRenewal of the MoU",
        "location": "Heidelberg",
        "organizer": "Accord <accord@uni-heidelberg.de>",
        "attendees": ["Ann Müller <ann@uni-heidelberg.de>", "lan@hust.edu.vn"],
        "dtstamp": STAMP,
    }
    values.update(changes)
    return invitation(**values)


def parse(data: bytes) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(data)
    assert len(calendar.events) == 1
    return calendar, calendar.events[0]


def attendees(event: Event) -> list[str]:
    return [str(a) for a in event.attendees]


def test_request_has_every_field_a_calendar_needs() -> None:
    calendar, event = parse(build())
    assert calendar.method == "REQUEST"
    assert calendar.version == "2.0"
    assert calendar.prodid == PRODID
    assert event.uid == UID
    assert event.sequence == 0
    assert event.status == "CONFIRMED"
    assert event.start == START
    assert event.end == START + timedelta(minutes=90)
    assert event.DTSTAMP == STAMP
    assert event.summary == "Annual partnership meeting 2027"
    assert event.description == "Exchange numbers\nRenewal of the MoU"
    assert event.location == "Heidelberg"
    assert event.organizer == "mailto:accord@uni-heidelberg.de"
    assert event.organizer.params["CN"] == "Accord"
    assert attendees(event) == ["mailto:ann@uni-heidelberg.de", "mailto:lan@hust.edu.vn"]
    assert event.attendees[0].params["CN"] == "Ann Müller"
    for attendee in event.attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert b"DTSTART:20270120T090000Z\r\n" in build()


@pytest.mark.parametrize(("rsvp", "expected"), [(True, "TRUE"), (False, "FALSE")])
def test_attendees_are_asked_to_reply_only_when_asked_for(rsvp: bool, expected: str) -> None:
    _, event = parse(build(rsvp=rsvp))
    assert [a.params["RSVP"] for a in event.attendees] == [expected, expected]


def test_without_a_word_about_replies_nobody_is_asked_to_reply() -> None:
    _, event = parse(build())
    assert [a.params["RSVP"] for a in event.attendees] == ["FALSE", "FALSE"]


def test_cancel_keeps_the_uid_and_says_cancelled() -> None:
    calendar, event = parse(build(method="CANCEL", sequence=2))
    assert calendar.method == "CANCEL"
    assert event.status == "CANCELLED"
    assert event.uid == UID
    assert event.sequence == 2
    assert len(attendees(event)) == 2  # RFC 5546: a CANCEL names whom it cancels for


def test_same_inputs_give_the_same_bytes_and_a_change_raises_the_sequence() -> None:
    assert build() == build()
    _, first = parse(build())
    _, moved = parse(build(start=START + timedelta(days=1), sequence=1))
    assert moved.uid == first.uid
    assert moved.sequence > first.sequence


def test_a_start_in_another_zone_is_written_in_utc() -> None:
    hanoi = START.astimezone(timezone(timedelta(hours=7)))
    _, event = parse(build(start=hanoi))
    assert event.start == START
    assert b"DTSTART:20270120T090000Z" in build(start=hanoi)


def test_a_line_break_in_a_text_value_cannot_add_a_property() -> None:
    data = build(summary="Meeting\r\nATTENDEE:mailto:intruder@evil.example")
    _, event = parse(data)
    assert b"intruder" not in data.split(b"SUMMARY:")[0]
    assert "intruder" in str(event.summary)  # kept as text, escaped
    assert attendees(event) == ["mailto:ann@uni-heidelberg.de", "mailto:lan@hust.edu.vn"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"method": "PUBLISH"}, "method must be REQUEST or CANCEL"),
        ({"start": datetime(2027, 1, 20, 9)}, "start must be timezone-aware"),
        ({"dtstamp": datetime(2026, 11, 1)}, "dtstamp must be timezone-aware"),
        ({"attendees": []}, "at least one attendee"),
        ({"attendees": ["ann@uni.example\r\nX: y"]}, "attendee must not contain line breaks"),
        ({"organizer": "not an address"}, "organizer: 'not an address' is not an email"),
        ({"sequence": -1}, "sequence must not be negative"),
        ({"duration_minutes": 0}, "duration_minutes must be positive"),
        ({"uid": " "}, "uid must not be empty"),
    ],
)
def test_bad_input_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        build(**changes)
