"""Checks for values where they enter Accord: text that may reach a mail header, who made a
change, free text, dates, email addresses.

A value refused here never reaches a header, a column or a date computation that cannot take it,
so it is stopped at the door instead of at send time, when nobody could fix it any more.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address, AddressHeader, HeaderRegistry
from functools import lru_cache
from typing import TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflow.errors import InvalidInput

# Characters that end a line for some reader: the email package, str.splitlines or a mail client.
_LINE_BREAKS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_REGISTRY = HeaderRegistry()


def header_safe(value: str, field: str) -> str:
    """The value unchanged, or InvalidInput when it holds a line break or a control character."""
    for char in value:
        if char in _LINE_BREAKS:
            raise InvalidInput(f"{field} must not contain line breaks (CR/LF): refused")
        # Tab is the one control character a folded header legitimately carries.
        if char != "\t" and unicodedata.category(char) == "Cc":
            raise InvalidInput(
                f"{field} must not contain control characters (U+{ord(char):04X}): refused"
            )
    return value


def time_zone_name(value: str, field: str | None = None) -> str:
    """An IANA time zone name the zone database knows ("Europe/Berlin"); else InvalidInput."""
    try:
        ZoneInfo(value)
    # Not found; a malformed key ("", "../x", a NUL byte); a folder of the database ("Asia").
    except (ZoneInfoNotFoundError, ValueError, OSError):
        said = f"{field}: " if field else ""
        raise InvalidInput(
            f"{said}{value!r} is not an IANA time zone name (such as Europe/Berlin)"
        ) from None
    return value


# The events' actor column is String(120).
ACTOR_MAX = 120


def actor_name(value: str, field: str = "the actor name") -> str:
    """Who makes a change, stripped; InvalidInput when empty, too long, or unfit for a header."""
    header_safe(value, field)  # the actor is shown in notices and, later, in mail headers
    name = value.strip()
    if not name:
        raise InvalidInput("an actor is required (--actor NAME)")
    if len(name) > ACTOR_MAX:
        raise InvalidInput(f"{field} is {len(name)} characters; at most {ACTOR_MAX}")
    return name


def free_text(value: str, field: str) -> str:
    """Text that may span lines (a comment, a note): other control characters are refused.

    A NUL is stored by SQLite and refused by PostgreSQL; an escape sequence would drive the
    terminal of whoever reads the history. Tabs and line breaks are what prose needs.
    """
    for char in value:
        if char not in "\t\n\r" and unicodedata.category(char) == "Cc":
            raise InvalidInput(
                f"{field} must not contain control characters other than line breaks and tabs "
                f"(U+{ord(char):04X}): refused"
            )
    return value


# Characters of other classes that show nothing: combining grapheme joiner, Hangul fillers,
# Mongolian and other variation selectors, Khmer inherent vowels, the Braille blank.
_FILLERS = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
# Control, format (U+200B zero-width space, U+2060 word joiner, U+FEFF ...) and space separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def blank(value: str) -> bool:
    """Whether `value` would show nothing: only spaces, format and control characters."""
    return all(c in _FILLERS or unicodedata.category(c) in _INVISIBLE for c in value)


# The last day Accord accepts where a date enters (end dates, --on, --today, meeting times, seed
# dates): past any real agreement, and far enough from date.max (9999-12-31) that every day
# computed from an accepted one (reminders, renewal windows, catch-up bounds) stays in range.
HORIZON = date(2200, 12, 31)
Day = TypeVar("Day", date, datetime)


def past_horizon(moment: date) -> str | None:
    """Why `moment` (a date or a datetime) is refused, or None when it is on or before HORIZON."""
    day = moment.date() if isinstance(moment, datetime) else moment
    if day <= HORIZON:
        return None
    return (
        f"{moment.isoformat()} is after {HORIZON.isoformat()}, the last day Accord accepts; "
        "give an earlier date"
    )


def within_horizon(moment: Day, field: str) -> Day:
    """`moment` unchanged, or InvalidInput naming `field` when it lies past HORIZON."""
    if why := past_horizon(moment):
        raise InvalidInput(f"{field}: {why}")
    return moment


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(value: str | None, field: str) -> date | None:
    """A YYYY-MM-DD date given as `field` (an option, a query parameter), within the horizon;
    None for None; InvalidInput naming the field and the value otherwise."""
    if value is None:
        return None
    text = value.strip()
    if not _ISO_DAY.fullmatch(text):
        raise InvalidInput(f"{field}: {value!r} is not a date; use YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{field}: {value!r} is not a real date ({exc})") from None
    return within_horizon(day, field)


def _parse_one(value: str, field: str) -> Address:
    try:
        header = _REGISTRY("To", value)
    # The parser raises assorted errors on some malformed input (IndexError on "a@").
    except (HeaderParseError, ValueError, IndexError) as exc:
        raise InvalidInput(f"{field}: {value!r} is not an email address") from exc
    # The registry builds an AddressHeader subclass for "To"; typeshed only knows BaseHeader.
    addresses = cast(AddressHeader, header).addresses
    if len(addresses) != 1:
        raise InvalidInput(f"{field} must be exactly one email address, not {len(addresses)}")
    if header.defects:
        raise InvalidInput(f"{field}: {value!r} is not an email address ({header.defects[0]})")
    return addresses[0]


# Every mail re-checks its addresses (defence in depth), and an office mails the same few dozen
# people over and over: parsing each once per process takes ~0.1 ms off every address of a send.
@lru_cache(maxsize=4096)
def email_address(value: str, field: str) -> str:
    """One address (`ann@uni.example` or `Ann <ann@uni.example>`), normalised; else InvalidInput."""
    value = header_safe(value, field).strip()
    if not value:
        raise InvalidInput(f"{field} must be an email address, not empty")
    address = _parse_one(value, field)
    if not address.username or not address.domain:
        raise InvalidInput(f"{field}: {value!r} needs a name and a domain (name@example.org)")
    if not address.addr_spec.isascii():
        # Plain SMTP (no SMTPUTF8) cannot carry it; the xn-- form of a domain always works.
        raise InvalidInput(
            f"{field}: {value!r} is not ASCII; write the domain in its xn-- form "
            "(the name before @ must be ASCII)"
        )
    return str(address)
