"""Checks for directory fields where they enter: text, slugs, countries, years, addresses."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from workflow.errors import InvalidInput
from workflow.validation import blank, email_address, header_safe

_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_COUNTRY = re.compile(r"[A-Z]{2}")
# The oldest universities still running were founded in the 9th to 11th centuries.
FIRST_YEAR = 800


def text(value: str, field: str, longest: int) -> str:
    """One line of text, stripped, not blank, at most `longest` characters; else InvalidInput."""
    header_safe(value, field)
    value = value.strip()
    if not value or blank(value):
        raise InvalidInput(f"{field} must not be empty")
    if len(value) > longest:
        raise InvalidInput(f"{field} is {len(value)} characters; at most {longest}")
    return value


def optional_text(value: str, field: str, longest: int) -> str | None:
    """As `text`, but an empty value clears the field (None)."""
    return None if not value.strip() else text(value, field, longest)


def slug(value: str, field: str = "--slug") -> str:
    """A slug: lower-case letters and digits in words joined by single hyphens, at most 80."""
    value = value.strip()
    if not _SLUG.fullmatch(value) or len(value) > 80:
        raise InvalidInput(
            f"{field}: {value!r} is not a slug; use lower-case letters, digits and single "
            "hyphens (such as tu-delft), at most 80 characters"
        )
    return value


def country(value: str, field: str = "--country") -> str:
    """An ISO 3166 alpha-2 country code, upper-cased ("de" is DE)."""
    code = value.strip().upper()
    if not _COUNTRY.fullmatch(code):
        raise InvalidInput(f"{field}: {value!r} is not a country code; use two letters (DE, CN)")
    return code


def year(value: int, field: str) -> int:
    """A year from FIRST_YEAR to this one (UTC)."""
    this_year = datetime.now(UTC).year
    if not FIRST_YEAR <= value <= this_year:
        raise InvalidInput(f"{field}: {value} is not a year from {FIRST_YEAR} to {this_year}")
    return value


def website(value: str, field: str = "--website") -> str | None:
    """An http(s) address of at most 200 characters; an empty value clears it."""
    address = optional_text(value, field, 200)
    if address is None:
        return None
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in address:
        raise InvalidInput(f"{field}: {address!r} is not a web address; use https://host/...")
    return address


def email(value: str, field: str = "--email") -> str | None:
    """One e-mail address that fits the column (254); an empty value clears it."""
    if not value.strip():
        return None
    address = email_address(value, field)
    if len(address) > 254:
        raise InvalidInput(f"{field} is {len(address)} characters; at most 254")
    return address
