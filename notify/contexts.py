"""What the templates are given: plain frozen values copied out of the database, never ORM rows.

A task builds these inside its own session and renders after it, so a template can never trigger
a lazy load or see a row change under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from workflow.errors import InvalidInput
from workflow.validation import time_zone_name


def _utc(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(f"{field} must be timezone-aware (UTC), not naive")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Party:
    """An institution as a mail names it, and the key `--signatory KEY=NAME` accepts for it."""

    name: str
    ref: str


@dataclass(frozen=True)
class ReminderContext:
    """A renewal reminder: the agreement, as of `today`."""

    slug: str
    title: str
    parties: tuple[Party, ...]
    expires_on: date
    today: date
    # The agreement's lifecycle state value, e.g. "renewal_due".
    state: str
    recipient: str | None = None
    # An auto-renewing agreement's last day to give notice of non-renewal, and the notice period
    # (None: a fixed agreement, reminded of its end date).
    notice_deadline: date | None = None
    notice_days: int | None = None

    @property
    def days_left(self) -> int:
        """Days from today to expiry; negative once it has passed (a late, caught-up reminder)."""
        return (self.expires_on - self.today).days

    @property
    def days_to_deadline(self) -> int | None:
        """Days from today to the notice deadline; negative once it has passed."""
        if self.notice_deadline is None:
            return None
        return (self.notice_deadline - self.today).days


@dataclass(frozen=True)
class ReviewContext:
    """An open-ended agreement's periodic review, due on `due_on`, as of `today`."""

    slug: str
    title: str
    parties: tuple[Party, ...]
    due_on: date
    today: date
    state: str
    review_months: int
    # The day reviews count from (the effective date, else the signing date), and the next one.
    anchor: date | None = None
    next_due_on: date | None = None
    summary: str | None = None
    recipient: str | None = None


@dataclass(frozen=True)
class EventContext:
    """One lifecycle move worth telling the coordinator about, as of the day it is sent."""

    slug: str
    title: str
    # The agreement's kind value ("mou"), for the command that proposes a successor.
    kind: str
    parties: tuple[Party, ...]
    trigger: str
    to_state: str
    # When it happened (a catch-up tick dates a move to its due day) and when it was recorded.
    at: datetime
    recorded_at: datetime
    actor: str
    # The day the notice is sent, and the agreement's state on it.
    today: date
    state: str
    comment: str | None = None
    expires_on: date | None = None
    # Made by Accord itself (the tick), not by a person.
    automatic: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", _utc(self.at, "at"))
        object.__setattr__(self, "recorded_at", _utc(self.recorded_at, "recorded_at"))


@dataclass(frozen=True)
class PartyZone:
    """Where one party of a meeting is: its name, its city (if known) and IANA time zone."""

    party: str
    place: str | None
    zone: str

    def __post_init__(self) -> None:
        time_zone_name(self.zone, f"the time zone of {self.party}")


@dataclass(frozen=True)
class MeetingContext:
    """A partnership meeting: what an invitation, a reminder and a cancellation all describe."""

    partnership: str
    title: str
    starts_at: datetime
    duration_minutes: int
    location: str | None = None
    agenda: str | None = None
    # Each party with a known time zone, in the partnership's order (home first).
    zones: tuple[PartyZone, ...] = ()

    def __post_init__(self) -> None:
        # Normalised once here so every template and the .ics show the same UTC instant.
        object.__setattr__(self, "starts_at", _utc(self.starts_at, "starts_at"))
        if self.duration_minutes <= 0:
            raise InvalidInput("duration_minutes must be positive")


@dataclass(frozen=True)
class FollowUpContext:
    """A follow-up falling due: what to do on which agreement, set by whom, as of `today`."""

    follow_up_id: int
    slug: str
    title: str
    text: str
    due_on: date
    owner: str
    created_by: str
    created_at: datetime
    today: date

    def __post_init__(self) -> None:
        object.__setattr__(self, "created_at", _utc(self.created_at, "created_at"))
