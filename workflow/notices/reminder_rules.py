"""The rules of renewal reminders: their keys, valid offsets, and which offsets apply where.

A reminder is one `notifications` row keyed `renewal_reminder:<agreement>:<expiry>:<days>`, so
every sweep, replan or beat that wants it makes it once. A fixed agreement's fall `days` before
its end date; an auto-renewing one's `days` before its notice deadline (the end date minus the
notice period, see workflow.lifecycle.notice_deadline), keyed
`renewal_reminder:<agreement>:<expiry>:<days>:notice:<deadline>`. An open-ended agreement has
none: it gets a `review_reminder:<agreement>:<day>` every REVIEW_MONTHS (workflow.notices.reviews).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select

from models import Agreement, ReminderPolicy, table_of
from workflow.errors import InvalidInput
from workflow.lifecycle import RenewalType, State
from workflow.uow import UnitOfWork

A = table_of(Agreement)
P = table_of(ReminderPolicy)
KIND = "renewal_reminder"
# Reminders go to agreements in force; a suspended one gets none until it resumes.
# Notice given: the agreement ends on its end date; nothing to remind of. Open-ended ones are
# reviewed instead, in these same states.
REMINDED = (State.ACTIVE, State.RENEWED, State.RENEWAL_DUE)
# The renewal types whose reminders count back from a day: the end date, or the notice deadline.
FIXED = RenewalType.FIXED
AUTO = RenewalType.AUTO
OPEN_ENDED = RenewalType.OPEN_ENDED
NOTICE = "notice"
REVIEW_KIND = "review_reminder"
# Months between an open-ended agreement's reviews when it sets no `review_months` of its own.
REVIEW_MONTHS = 24


def reminder_key(
    agreement_id: int, expires_on: date, days: int, deadline: date | None = None
) -> str:
    """The unique key of one reminder (the same text the set-based statements build in SQL);
    with `deadline`, an auto-renewing agreement's, counted back from its notice deadline."""
    key = f"{KIND}:{agreement_id}:{expires_on.isoformat()}:{days}"
    return key if deadline is None else f"{key}:{NOTICE}:{deadline.isoformat()}"


def review_key(agreement_id: int, due_on: date) -> str:
    """The unique key of one open-ended agreement's review reminder."""
    return f"{REVIEW_KIND}:{agreement_id}:{due_on.isoformat()}"


def parse_key(key: str) -> tuple[date, int, date | None]:
    """A renewal reminder key's expiry, days, and notice deadline (None: a fixed agreement's)."""
    parts = key.split(":")
    deadline = date.fromisoformat(parts[5]) if len(parts) > 5 and parts[4] == NOTICE else None
    return date.fromisoformat(parts[2]), int(parts[3]), deadline


def normalise_offsets(offsets: Iterable[int]) -> list[int]:
    """Offsets as distinct non-negative days, largest first; refuse anything else."""
    values = list(offsets)
    if not values:
        raise InvalidInput("reminder offsets must name at least one day count")
    if any(not isinstance(v, int) or v < 0 or v > 3650 for v in values):
        raise InvalidInput(f"reminder offsets must be whole days from 0 to 3650, not {values}")
    return sorted(set(values), reverse=True)


def applicable_offsets(
    own: Sequence[int] | None, kind_policy: Sequence[int] | None, default: Sequence[int]
) -> list[int]:
    """The offsets that apply: the agreement's own, else its kind's policy, else the default."""
    for offsets in (own, kind_policy):
        if offsets is not None:
            return normalise_offsets(offsets)
    return normalise_offsets(default)


def policies(uow: UnitOfWork) -> dict[str, tuple[int, ...]]:
    """Every kind's policy: kind → offsets."""
    rows = uow.conn.execute(select(P.c.kind, P.c.offsets)).all()
    return {str(row.kind): tuple(normalise_offsets(row.offsets)) for row in rows}


def kind_offsets(uow: UnitOfWork, kind: str, default: Sequence[int]) -> list[int]:
    """The offsets of one agreement kind: its policy, else the default."""
    return applicable_offsets(None, _kind_policy(uow, kind), default)


def _kind_policy(uow: UnitOfWork, kind: str) -> list[int] | None:
    return uow.conn.execute(select(P.c.offsets).where(P.c.kind == kind)).scalar_one_or_none()


def offsets_for(uow: UnitOfWork, agreement_id: int, default: Sequence[int]) -> list[int]:
    """The offsets that apply to one agreement: its own, else its kind's policy, else default."""
    row = uow.conn.execute(
        select(A.c.kind, A.c.reminder_offsets).where(A.c.id == agreement_id)
    ).one()
    own = row.reminder_offsets
    kind_policy = None if own is not None else _kind_policy(uow, row.kind)  # one query fewer
    return applicable_offsets(own, kind_policy, default)


def in_words(kind: str, key: str) -> str | None:
    """What a reminder is about, from its kind and key ("30 days before the end date
    2027-06-30"); None for a notification that is not a reminder of an agreement."""
    if kind == KIND:
        expires_on, days, deadline = parse_key(key)
        if deadline is not None:
            return (
                f"{days} days before the notice deadline {deadline.isoformat()} "
                f"(ends {expires_on.isoformat()})"
            )
        return f"{days} days before the end date {expires_on.isoformat()}"
    if kind == REVIEW_KIND:
        return f"review due on {key.rsplit(':', 1)[1]}"
    return None
