"""Checks for values where they enter Accord: text that may reach a mail header, email addresses.

A value refused here never reaches a header, so header injection is stopped at the door instead
of at send time, when nobody could fix the value any more.
"""

from __future__ import annotations

import unicodedata
from email.errors import HeaderParseError
from email.headerregistry import Address, AddressHeader, HeaderRegistry
from functools import lru_cache
from typing import cast
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
