"""What the agreement writes take and give: the names of `accord agreements edit | new --json`.

A request field left out leaves that option unset, as on the command line; extra keys are
refused (422 naming the key).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.agreements import Agreement, _Strict


class EditRequest(_Strict):
    """The fields to set (as `agreements edit` takes them); those left out stay as they are."""

    title: str | None = None
    coordinator: str | None = Field(default=None, description="slug or name; '' clears it")
    unit: str | None = Field(default=None, description="owning unit: slug or name; '' clears it")
    notice_days: int | None = None
    term_months: int | None = None
    renewal_type: str | None = Field(default=None, description="fixed, auto or open_ended")
    review_months: int | None = Field(default=None, description="open_ended: between reviews")
    summary: str | None = Field(default=None, description="'' clears it")


class Change(_Strict):
    field: str
    before: Any
    after: Any


class EditDone(_Strict):
    """What the edit did (as `agreements edit --json`); no changes: nothing was written."""

    agreement_id: int
    slug: str
    state: str
    version: int
    changes: list[Change]
    event_id: int | None
    revised: bool = Field(description="approved content was edited: back to review")
    agreement: Agreement


class ProposalRequest(_Strict):
    """A new agreement between two institutions (as `agreements new` takes it)."""

    home: str = Field(description="home institution: slug, short name or name")
    partner: str = Field(description="partner institution: slug, short name or name")
    kind: str = Field(description="e.g. mou, key_partnership")
    title: str
    unit: str | None = Field(default=None, description="owning unit: slug or name")
    coordinator: str | None = Field(default=None, description="slug or name")
    proposed_on: str | None = Field(default=None, description="YYYY-MM-DD; default today")
    term_months: int | None = None
    notice_days: int | None = None
    renewal_type: str = Field(default="fixed", description="fixed, auto or open_ended")
    review_months: int | None = None
    slug: str | None = Field(default=None, description="default: from parties and title")
    comment: str | None = None


class NoteRequest(_Strict):
    text: str = Field(description="what it says; may span lines")


class NoteAdded(_Strict):
    """The note as the timeline shows it (as `agreements note --json`)."""

    kind: str
    id: int
    agreement: str = Field(description="the agreement's slug")
    at: str
    actor: str
    text: str


class FollowUpRequest(_Strict):
    text: str = Field(description="what is to be done")
    due: str = Field(description="the day it is due (YYYY-MM-DD), today or later")
    owner: str = Field(description="who does it: person id or slug")


class FollowUp(_Strict):
    """A follow-up as `agreements follow-ups --json` lists it."""

    id: int
    agreement: str
    due_on: str
    owner: str
    owner_name: str
    text: str
    status: str = Field(description="open, due today, overdue or done")
    created_by: str
    created_at: str
    done_by: str | None
    done_at: str | None


class BulkMoveRequest(_Strict):
    """One trigger on the agreements named by `ref` or chosen by the list filters (as
    `agreements advance-many` takes them): one or the other, not both."""

    trigger: str
    ref: list[str] = Field(default_factory=list, description="agreements: id or slug")
    state: str | None = None
    kind: str | None = None
    partner: str | None = None
    expiring_within: int | None = None
    q: str | None = None
    unit: str | None = None
    coordinator: str | None = None
    signed_after: str | None = Field(default=None, description="YYYY-MM-DD")
    signed_before: str | None = Field(default=None, description="YYYY-MM-DD")
    renewal_type: str | None = None
    today: str | None = Field(default=None, description="filters: as of this day (YYYY-MM-DD)")
    comment: str | None = None
    on: str | None = Field(default=None, description="the day it happened (YYYY-MM-DD)")
    dry_run: bool = Field(default=False, description="judge each one and report; change nothing")


class BulkItem(_Strict):
    """One agreement's outcome (as `advance-many --json`): moved, refused, would move, …"""

    slug: str
    id: int
    outcome: str
    from_state: str
    to_state: str | None
    version: int
    reason: str | None


class MeetingRequest(_Strict):
    """A meeting to schedule (as `accord meetings schedule` takes it)."""

    partnership: str = Field(description="the partnership's slug or id")
    at: str = Field(description="start, ISO 8601 with a zone, e.g. 2027-01-15T09:00Z")
    title: str | None = Field(default=None, description="default: both names")
    location: str | None = Field(default=None, description="default: Online")
    duration: int = Field(default=90, ge=5, le=24 * 60, description="length in minutes")


class MeetingMove(_Strict):
    at: str = Field(description="the new start, ISO 8601 with a zone")
    expect_sequence: int | None = Field(default=None, description="refuse unless at SEQUENCE")


class MeetingCancel(_Strict):
    expect_sequence: int | None = Field(default=None, description="refuse unless at SEQUENCE")


class MeetingOut(_Strict):
    """A meeting as `accord meetings list --json` shows it."""

    id: int
    partnership: str
    title: str
    starts_at: str
    duration_minutes: int
    location: str | None
    status: str
    sequence: int = Field(description="the invitation's SEQUENCE: rises with each change")
    uid: str


class DeadLetter(_Strict):
    """Work that failed past its retry cap (as `accord dead-letters list --json`)."""

    id: int
    task: str
    notification_id: int | None
    kind: str | None
    error: str
    attempts: int
    failed_at: str | None
    replayed_at: str | None
    replay_count: int


class Replayed(_Strict):
    dead_letter_id: int
    notification_id: int = Field(description="pending again: the worker's next sweep sends it")


class Notification(_Strict):
    """A notification as `accord reminders due --json` lists it."""

    id: int
    kind: str
    subject: str = Field(description="the agreement's slug, or the meeting's partnership and start")
    agreement: str | None
    meeting_id: int | None
    due_on: str
    attempts: int
    next_attempt_at: str | None = Field(description="when a failed send is tried again")
    last_error: str | None
    status: str = Field(description="pending, sent, cancelled, missed or dead")
    about: str | None = Field(description="a reminder in words")
