"""The lifecycle's vocabulary: states, triggers, and the snapshot a move is judged on."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date


class State(enum.StrEnum):
    """Where an agreement stands."""

    PROPOSED = "proposed"
    UNDER_REVIEW = "under_review"
    NEGOTIATING = "negotiating"
    APPROVED = "approved"
    AWAITING_SIGNATURE = "awaiting_signature"
    ACTIVE = "active"
    RENEWAL_DUE = "renewal_due"
    RENEWED = "renewed"
    NOTICE_GIVEN = "notice_given"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


class Trigger(enum.StrEnum):
    """What moves an agreement from one state to another."""

    REVIEW = "review"
    REQUEST_CHANGES = "request_changes"
    RESUBMIT = "resubmit"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    SEND_FOR_SIGNATURE = "send_for_signature"
    SIGN = "sign"
    OPEN_RENEWAL = "open_renewal"
    RENEW = "renew"
    GIVE_NOTICE = "give_notice"
    EXPIRE = "expire"
    SUSPEND = "suspend"
    RESUME = "resume"
    TERMINATE = "terminate"
    REVISE = "revise"


class RenewalType(enum.StrEnum):
    """How an agreement's term ends: on its date, renewed by itself, or never."""

    # Ends on its end date unless the parties sign a renewal.
    FIXED = "fixed"
    # Renews itself for another term at its end date unless a party gave notice of non-renewal.
    AUTO = "auto"
    # Has no end date: in force until terminated, reviewed every `review_months`.
    OPEN_ENDED = "open_ended"


INITIAL = State.PROPOSED


# The pseudo-trigger recorded as the first event of every agreement (from no state to `proposed`).
PROPOSE = "propose"


# The pseudo-trigger of a record entry: fields edited, the state unchanged (from = to). Not a
# move of the machine; an edit of approved content fires `revise` after it.
EDIT = "edit"


# Notice of non-renewal given: still in force until the end date, then it expires.
IN_FORCE = frozenset({State.ACTIVE, State.RENEWAL_DUE, State.RENEWED, State.NOTICE_GIVEN})


TERMINAL = frozenset({State.EXPIRED, State.TERMINATED, State.WITHDRAWN, State.REJECTED})


# Triggers that `tick` fires as actor `system` when the calendar says so.
TIME_DRIVEN = frozenset({Trigger.OPEN_RENEWAL, Trigger.EXPIRE})


@dataclass
class Party:
    """One institution that is party to an agreement."""

    id: int
    name: str


@dataclass
class Subject:
    """What the machine and its guards see of an agreement: a snapshot, not the ORM row."""

    state: str
    parties: list[Party] = field(default_factory=list)
    proposed_on: date | None = None
    signed_on: date | None = None
    expires_on: date | None = None
    term_no: int = 0
    term_months: int | None = None
    renewal_type: str = RenewalType.FIXED
    notice_days: int | None = None
    refusals: list[str] = field(default_factory=list)


@dataclass
class Move:
    """The request to fire one trigger, with what the guards need to judge it."""

    trigger: str
    today: date
    on: date | None = None
    comment: str | None = None
    until: date | None = None
    # the day a renewed term starts (--effective); by default the day after the current one ends
    effective: date | None = None
    # party institution id -> signatory's name
    signatories: Mapping[int, str] = field(default_factory=dict)

    @property
    def effective_date(self) -> date:
        """The day the move takes effect: `on` when given, else today."""
        return self.on or self.today
