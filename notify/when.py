"""Dates and times as a coordinator reads them: long dates, and a moment where each party is.

Month and day names are spelt out here, not taken from strftime, which would follow the
worker's locale rather than the mail's language.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from notify.contexts import PartyZone

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def longdate(day: date) -> str:
    """A day in words: "15 January 2027"."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def weekday_date(day: date) -> str:
    """A day with its weekday: "Friday 15 January 2027"."""
    return f"{_WEEKDAYS[day.weekday()]} {longdate(day)}"


def clock(moment: datetime) -> str:
    """The time of day on a 24-hour clock: "09:00"."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def utc_offset(moment: datetime) -> str:
    """A zoned moment's offset from UTC: "UTC+8", "UTC+5:30", "UTC-3", or "UTC"."""
    minutes = int((moment.utcoffset() or timedelta(0)).total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")


def in_utc(moment: datetime) -> str:
    """A moment in UTC, spelt out: "Friday 15 January 2027, 09:00 UTC"."""
    utc = moment.astimezone(UTC)
    return f"{weekday_date(utc.date())}, {clock(utc)} UTC"


def local_time(moment: datetime, party: PartyZone) -> str:
    """The moment where a party is: "17:00 in Wuhan (HUST, UTC+8)"; the day is named when it
    is not the UTC day ("07:15 on Thursday 1 July 2027 for Tohoku (UTC+9)")."""
    here = moment.astimezone(ZoneInfo(party.zone))
    day = "" if here.date() == moment.astimezone(UTC).date() else f" on {weekday_date(here.date())}"
    offset = utc_offset(here)
    if party.place is None:
        return f"{clock(here)}{day} for {party.party} ({offset})"
    named = offset if party.place == party.party else f"{party.party}, {offset}"
    return f"{clock(here)}{day} in {party.place} ({named})"
