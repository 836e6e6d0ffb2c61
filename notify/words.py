"""The lifecycle's vocabulary in words a coordinator reads in an email."""

from __future__ import annotations

# Keys are the lifecycle's state values; a unit test keeps this in step with workflow.lifecycle.
STATE_WORDS: dict[str, str] = {
    "proposed": "proposed, not yet under review",
    "under_review": "under review",
    "negotiating": "in negotiation (changes requested)",
    "approved": "approved, not yet sent for signature",
    "awaiting_signature": "awaiting signature",
    "active": "in force; no renewal started yet",
    "renewal_due": "renewal window open; the renewal is not signed yet",
    "renewed": "in force on a renewed term; no further renewal started yet",
    "notice_given": "notice of non-renewal given; in force until its end date, then it expires",
    "suspended": "suspended; resume it before it can be renewed",
    "expired": "expired; it can no longer be renewed (propose a new agreement)",
    "terminated": "terminated; it can no longer be renewed",
    "withdrawn": "withdrawn",
    "rejected": "rejected",
}

# States from which `renew` is legal; a reminder only offers the command where it would work.
RENEWABLE = frozenset({"active", "renewal_due", "renewed", "notice_given"})
# States from which `give_notice` is legal (an auto-renewing agreement, in time).
NOTICE_GIVABLE = frozenset({"active", "renewal_due", "renewed"})

EVENT_HEADLINES: dict[str, str] = {
    "sign": "signed",
    "open_renewal": "renewal window opened",
    "renew": "renewed",
    "expire": "expired",
    "suspend": "suspended",
    "resume": "resumed",
    "terminate": "terminated",
    "give_notice": "notice of non-renewal given",
    "revise": "sent back to review",
}


def state_in_words(state: str | None) -> str:
    """A state value as a sentence fragment; an unknown value is shown as itself."""
    if state is None:
        return "(none)"
    return STATE_WORDS.get(state, state.replace("_", " "))


def event_headline(trigger: str) -> str:
    """What a trigger did, in words ("renewal window opened")."""
    return EVENT_HEADLINES.get(trigger, trigger.replace("_", " "))


def days_in_words(days: int) -> str:
    """Days to a date in words: "in 30 days", "tomorrow", "today", "3 days ago"."""
    if days > 1:
        return f"in {days} days"
    if days == 1:
        return "tomorrow"
    if days == 0:
        return "today"
    if days == -1:
        return "yesterday"
    return f"{-days} days ago"
