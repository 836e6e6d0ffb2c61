"""The seed file's value types: what one field must be, each checked where it enters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    Strict,
    StringConstraints,
)

from workflow.errors import InvalidInput
from workflow.validation import (
    blank,
    email_address,
    free_text,
    header_safe,
    past_horizon,
    time_zone_name,
)


@dataclass(frozen=True)
class Ref:
    """Marks a field whose value must be the slug (or id) of an entry of `kind`."""

    kind: str


def _header_safe(value: str) -> str:
    """Names and titles reach mail headers: a line break is refused here, where it enters."""
    try:
        header_safe(value, "a value that may reach a mail header")
    except InvalidInput as exc:  # pydantic reports ValueError with the entry's location
        raise ValueError(str(exc)) from None
    if blank(value):  # only characters that show nothing (U+200B ...): as good as empty
        raise ValueError("must not be empty")
    return value


def _free_text(value: str) -> str:
    try:
        return free_text(value, "the text")
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


def _within_horizon(day: date) -> date:
    if why := past_horizon(day):
        raise ValueError(why)
    return day


def _header_safe_first(value: Any) -> Any:
    """Run before a pattern, so a line break is reported as such rather than as a mismatch."""
    return _header_safe(value) if isinstance(value, str) else value


def _email(value: str) -> str:
    try:
        return email_address(value, "the address")
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


def zone_name(value: str) -> str:
    """An IANA time zone name; a wrong one is pydantic's ValueError, named with its entry."""
    try:
        return time_zone_name(value)
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


HeaderSafe = AfterValidator(_header_safe)


# TOML has real dates: a quoted "2022-01-14" or a datetime is refused rather than coerced.
Day = Annotated[date, Strict(), AfterValidator(_within_horizon)]


# Numbers stop at their column's limit (INTEGER), or lower where a date is computed from them.
Count = Annotated[int, Strict(), Field(gt=0, le=2**31 - 1)]


Year = Annotated[int, Strict(), Field(ge=800, le=2100)]


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]


# Lengths are the columns' own, so a long value is named here and never fails in the database.
FreeText = AfterValidator(_free_text)


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), FreeText]


City = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), HeaderSafe
]


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), HeaderSafe
]


Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), HeaderSafe
]


Email = Annotated[
    str,
    BeforeValidator(_header_safe_first),
    StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254),
    AfterValidator(_email),
]


SourceRef = Annotated[str, Ref("sources")]


InstitutionRef = Annotated[str, Ref("institutions")]


UnitRef = Annotated[str, Ref("units")]


PersonRef = Annotated[str, Ref("people")]


PartnershipRef = Annotated[str, Ref("partnerships")]


InitiativeRef = Annotated[str, Ref("initiatives")]


Loc = tuple[str | int, ...]


Problem = tuple[Loc, str]


UnitKind = Literal["school", "college", "department", "office", "hospital", "centre"]


MilestoneKind = Literal[
    "meeting",
    "alliance",
    "cooperation_started",
    "centre_established",
    "research_project",
    "training",
    "other",
]
