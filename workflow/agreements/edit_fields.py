"""Checks for the fields an agreement edit sets, where they enter: the same rules as a proposal."""

from __future__ import annotations

from typing import Any

from models import Person, Unit
from workflow.agreements.proposals import (
    NOTICE_DAYS_MAX,
    TERM_MONTHS_MAX,
    find_by_slug_or_name,
)
from workflow.errors import InvalidInput
from workflow.lifecycle import RenewalType
from workflow.uow import UnitOfWork
from workflow.validation import blank, free_text, header_safe

TITLE_MAX, SUMMARY_MAX = 300, 5000
# The largest number each numeric field takes (review_months as term_months).
MOST = {
    "notice_days": NOTICE_DAYS_MAX,
    "term_months": TERM_MONTHS_MAX,
    "review_months": TERM_MONTHS_MAX,
}
_NAMES = {
    "notice_days": "notice period (days)",
    "term_months": "term (months)",
    "review_months": "review interval (months)",
}


def title(value: str) -> str:
    """A title as `propose` takes it: stripped, not blank, one line, at most 300 characters."""
    text = value.strip()
    if blank(text):
        raise InvalidInput("the title is empty: give the agreement a title (--title)")
    header_safe(text, "the title")  # the title reaches mail subjects
    if len(text) > TITLE_MAX:
        raise InvalidInput(f"the title is {len(text)} characters; at most {TITLE_MAX}")
    return text


def number(name: str, value: int) -> int:
    """A term, notice period or review interval: from 1 to its maximum."""
    most = MOST[name]
    if not 0 < value <= most:
        raise InvalidInput(f"the {_NAMES[name]} must be from 1 to {most}, not {value}")
    return value


def renewal_type(value: str) -> str:
    """fixed, auto or open_ended (a hyphen for the underscore too)."""
    wanted = value.strip().lower().replace("-", "_")
    try:
        return RenewalType(wanted).value
    except ValueError:
        types = ", ".join(t.value for t in RenewalType)
        raise InvalidInput(f"unknown renewal type {value!r}; renewal types: {types}") from None


def summary(value: str) -> str | None:
    """Prose of at most 5000 characters; an empty one clears the summary."""
    free_text(value, "the summary")
    text = value.strip()
    if not text or blank(text):
        return None
    if len(text) > SUMMARY_MAX:
        raise InvalidInput(f"the summary is {len(text)} characters; at most {SUMMARY_MAX}")
    return text


def record(uow: UnitOfWork, model: type[Unit] | type[Person], ref: str) -> Any:
    """The unit or person named by slug or name; None when `ref` is empty (clear the field)."""
    if not ref.strip():
        return None
    return find_by_slug_or_name(uow, model, ref)
