"""Agreements as the API returns them: the names and shapes of `accord agreements … --json`.

Timestamps stay the ISO 8601 text the workflow gives (`+00:00`, as the CLI prints it); days are
dates. Extra keys are refused, so a field the workflow adds must be added here too (the tests
compare these with the CLI's output).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Signatory(_Strict):
    party: str
    name: str


class Term(_Strict):
    number: int
    signed_on: date | None
    effective_on: date | None
    expires_on: date | None
    signatories: list[Signatory]


class Source(_Strict):
    headline: str
    published: date | None


class Agreement(_Strict):
    """One agreement; `version` is also its ETag."""

    id: int
    slug: str
    title: str
    kind: str
    state: str
    version: int
    parties: list[str]
    partner: str
    partnership: str
    owning_unit: str | None
    coordinator: str | None
    proposed_on: date | None
    signed_on: date | None
    effective_on: date | None
    expires_on: date | None
    renewal_opens_on: date | None
    term_months: int | None
    notice_days: int | None
    renewal_type: str = Field(description="fixed, auto or open_ended")
    notice_deadline: date | None = Field(
        description="an auto-renewing agreement's last day to give notice of non-renewal"
    )
    review_months: int | None
    review_due_on: date | None = Field(description="an open-ended agreement's next review")
    term_no: int
    terms: list[Term]
    source: Source | None
    assumptions: dict[str, Any]
    summary: str | None
    approved_hash: str | None = Field(
        description="SHA-256 of the substantive content when last approved"
    )
    content_hash: str = Field(description="SHA-256 of the substantive content now")


class AgreementPage(_Strict):
    """One keyset page of agreements."""

    items: list[Agreement]
    next: str | None = Field(description="the next page's URL (same filters); null on the last")


class Event(_Strict):
    """One event of an agreement's history: a move, or an edit of its record."""

    kind: Literal["event"]
    seq: int
    at: str | None = Field(description="when it happened (ISO 8601)")
    recorded_at: str | None = Field(description="when it was recorded (ISO 8601)")
    actor: str
    trigger: str
    from_state: str | None
    to_state: str
    comment: str | None
    data: dict[str, Any]
    changes: list[dict[str, Any]] = Field(
        description="an edit's changes (field, before, after); empty for a move"
    )


class Note(_Strict):
    """A dated note in the agreement's timeline."""

    kind: Literal["note"]
    id: int
    at: str = Field(description="when it was written (ISO 8601)")
    actor: str
    text: str


class FollowUpEntry(_Strict):
    """A follow-up set, or marked done, in the agreement's timeline."""

    kind: Literal["follow_up"]
    action: Literal["set", "done"]
    id: int
    at: str = Field(description="when it was set or done (ISO 8601)")
    actor: str
    due_on: str
    owner: str = Field(description="the owner's slug")
    text: str


# One entry of the timeline `agreements history` prints: told apart by `kind`.
TimelineEntry = Annotated[Event | Note | FollowUpEntry, Field(discriminator="kind")]


class Verdict(_Strict):
    """A legal trigger and its guard's verdict as things stand."""

    trigger: str
    allowed: bool
    dest: str | None = Field(description="the state it would lead to, when allowed")
    reason: str | None = Field(description="why its guard refuses it, when not allowed")


class Triggers(_Strict):
    """The agreement's state and each legal trigger from it (none when the state is final)."""

    state: str
    triggers: list[Verdict]


class MoveRequest(_Strict):
    """One move: the trigger and what it needs (as `accord agreements advance` takes it)."""

    trigger: str = Field(description="see GET …/triggers")
    on: str | None = Field(default=None, description="the day it happened (YYYY-MM-DD)")
    comment: str | None = Field(default=None, description="why; some triggers require it")
    until: str | None = Field(default=None, description="sign, renew: end of the term signed")
    signatories: dict[str, str] = Field(
        default_factory=dict, description="sign, renew: who signs for each party, PARTY: NAME"
    )


class MoveDone(_Strict):
    """What the move did, and the agreement after it (as `advance --json`)."""

    agreement_id: int
    slug: str
    trigger: str
    from_state: str
    to_state: str
    version: int
    event_id: int
    agreement: Agreement
