"""RFC 5545/5546 meeting invitations and cancellations, built with `icalendar`.

A calendar updates an event it already holds when the UID matches and the SEQUENCE is higher, so
the caller passes the meeting's stored UID and a SEQUENCE that rises on every change (including
the cancellation); nothing here invents either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Literal

from icalendar import STATUS, Calendar, Event, vCalAddress

from workflow.errors import InvalidInput
from workflow.validation import email_address

Method = Literal["REQUEST", "CANCEL"]
PRODID = "-//Accord//Agreements tracker//EN"


def _address(value: str, field: str, *, attendee: bool, rsvp: bool = False) -> vCalAddress:
    # Accepts "Ann <ann@uni.example>" as well as a bare address: the name becomes CN.
    name, addr = parseaddr(email_address(value, field))
    if not attendee:
        return vCalAddress.new(addr, cn=name or None)
    return vCalAddress.new(
        addr, cn=name or None, role="REQ-PARTICIPANT", partstat="NEEDS-ACTION", rsvp=rsvp
    )


def _utc(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(f"{field} must be timezone-aware (UTC), not naive")
    return value.astimezone(UTC)


def invitation(
    *,
    uid: str,
    sequence: int,
    method: Method,
    start: datetime,
    duration_minutes: int,
    summary: str,
    description: str,
    location: str | None,
    organizer: str,
    attendees: Sequence[str],
    dtstamp: datetime,
    rsvp: bool = False,
) -> bytes:
    """A VCALENDAR with one VEVENT: METHOD:REQUEST invites or updates, METHOD:CANCEL cancels.

    `rsvp` asks each attendee's calendar to send an answer to the organizer; pass it only when
    someone reads that mailbox, or every accept and decline is lost.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise InvalidInput(f"method must be REQUEST or CANCEL, not {method!r}")
    if not uid.strip():
        raise InvalidInput("uid must not be empty")
    if sequence < 0:
        raise InvalidInput("sequence must not be negative")
    if duration_minutes <= 0:
        raise InvalidInput("duration_minutes must be positive")
    if not attendees:
        raise InvalidInput("an invitation needs at least one attendee")
    begins = _utc(start, "start")
    event = Event.new(
        uid=uid,
        sequence=sequence,
        stamp=_utc(dtstamp, "dtstamp"),
        start=begins,
        end=begins + timedelta(minutes=duration_minutes),
        summary=summary,
        description=description,
        location=location,
        status=STATUS.CANCELLED if method == "CANCEL" else STATUS.CONFIRMED,
        organizer=_address(organizer, "organizer", attendee=False),
        attendees=[_address(a, "attendee", attendee=True, rsvp=rsvp) for a in attendees],
    )
    # Calendar.new() would add a random calendar UID; a plain Calendar keeps the bytes
    # reproducible, so a resend after a crash carries exactly what the first attempt did.
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(event)
    data: bytes = calendar.to_ical()  # typed Any by icalendar
    return data
