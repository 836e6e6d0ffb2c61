"""Review reminders of open-ended agreements: `review_due_on` kept, a reminder on the day.

An open-ended agreement has no end date and so no renewal reminders; instead its coordinator is
asked to review it every `review_months` (REVIEW_MONTHS when it sets none), counted from its
effective date (else its signing date): the next review is the first such multiple on or after
today. A re-plan (after a move, or of everything) keeps `review_due_on` at that day, or empty
for an agreement that is not open-ended and in force; the sweep makes the `review_reminder` of
each agreement whose day fell within the catch-up window (one set-based INSERT … SELECT on
ix_agreements_review_due_on_set) and rolls their `review_due_on` to the next review.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    literal,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from models import Agreement, JSONType, Notification, UTCDateTime, table_of
from workflow.lifecycle import add_months
from workflow.notices.reminder_rules import OPEN_ENDED, REMINDED, REVIEW_KIND, REVIEW_MONTHS
from workflow.uow import UnitOfWork

A = table_of(Agreement)
N = table_of(Notification)
_COLUMNS = (
    A.c.id,
    A.c.renewal_type,
    A.c.state,
    A.c.effective_on,
    A.c.signed_on,
    A.c.review_months,
    A.c.review_due_on,
)
_SET_DUE = (
    update(A)
    .where(A.c.id == bindparam("agreement"))
    .values(review_due_on=bindparam("due", type_=Date))
)
_REVIEWED = and_(A.c.renewal_type == OPEN_ENDED, A.c.state.in_(REMINDED))


@dataclass(frozen=True)
class Reviews:
    """What one review step did: agreements whose next review changed, reminders cancelled."""

    moved: int = 0
    cancelled: int = 0


def next_review(anchor: date, months: int, on_or_after: date) -> date:
    """The first review day, `anchor` plus a whole multiple (≥ 1) of `months`, on or after
    `on_or_after`. Each counted from the anchor, so clamping (31 Jan → 28 Feb) never drifts."""
    elapsed = (on_or_after.year - anchor.year) * 12 + on_or_after.month - anchor.month
    k = max(1, elapsed // months)
    while add_months(anchor, k * months) < on_or_after:
        k += 1
    return add_months(anchor, k * months)


def _wanted(row: Any, today: date, catchup_days: int) -> date | None:
    """The review day an agreement row should carry now (None: it is not reviewed)."""
    anchor = row.effective_on or row.signed_on
    if row.renewal_type != OPEN_ENDED or row.state not in REMINDED or anchor is None:
        return None
    current: date | None = row.review_due_on
    if current is not None and today - timedelta(days=catchup_days) <= current < today:
        return current  # due within the catch-up window: the sweep mails it, then rolls it on
    return next_review(anchor, row.review_months or REVIEW_MONTHS, today)


def _set(uow: UnitOfWork, changes: Sequence[dict[str, Any]]) -> int:
    if changes:
        uow.conn.execute(_SET_DUE, list(changes))
    return len(changes)


def plan(
    uow: UnitOfWork, *, today: date, catchup_days: int, agreement_id: int | None = None
) -> Reviews:
    """Keep `review_due_on` of one agreement (or of every one reviewed or carrying a day) and
    cancel the pending review reminders of those no longer reviewed."""
    query = select(*_COLUMNS)
    if agreement_id is not None:
        query = query.where(A.c.id == agreement_id)
    else:
        query = query.where(or_(A.c.renewal_type == OPEN_ENDED, A.c.review_due_on.is_not(None)))
    changes = []
    for row in uow.conn.execute(query).all():
        due = _wanted(row, today, catchup_days)
        if due != row.review_due_on:
            changes.append({"agreement": row.id, "due": due})
    moved = _set(uow, changes)
    stale = exists().where(A.c.id == N.c.agreement_id, not_(_REVIEWED))
    condition = and_(N.c.kind == REVIEW_KIND, N.c.status == "pending", stale)
    if agreement_id is not None:
        condition = and_(condition, N.c.agreement_id == agreement_id)
    result = uow.conn.execute(update(N).where(condition).values(status="cancelled"))
    return Reviews(moved, int(result.rowcount or 0))


def _key_sql() -> Any:
    return (
        literal(f"{REVIEW_KIND}:", String)
        .concat(cast(A.c.id, Text))
        .concat(literal(":", String))
        .concat(cast(A.c.review_due_on, Text))
    )


def _insert_due(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    wanted = select(
        literal(REVIEW_KIND, String),
        _key_sql(),
        A.c.id,
        A.c.review_due_on,
        literal("pending", String),
        literal(0, Integer),
        literal({}, JSONType),
        bindparam("now", type_=UTCDateTime()),
    ).where(
        A.c.review_due_on.between(bindparam("first", type_=Date), bindparam("today", type_=Date)),
        _REVIEWED,
    )
    columns = [
        "kind", "dedupe_key", "agreement_id", "due_on", "status", "attempts", "payload",
        "created_at",
    ]  # fmt: skip
    return (
        insert(N)
        .from_select(columns, wanted)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(N.c.id)
    )


_INSERT_DUE = {dialect: _insert_due(dialect) for dialect in ("postgresql", "sqlite")}


def _rolled(rows: Iterable[Any], today: date) -> list[dict[str, Any]]:
    changes = []
    for row in rows:
        # The review of today (or of a day missed) is made: the next one is after today.
        due = _wanted(row, today + timedelta(days=1), catchup_days=0)
        changes.append({"agreement": row.id, "due": due})
    return changes


def sweep_due(uow: UnitOfWork, today: date, *, catchup_days: int, now: datetime) -> int:
    """Make the review reminders due today or within `catchup_days`, roll every review day
    that has come to the next review (or clear it); return the reminders made."""
    first = today - timedelta(days=catchup_days)
    params = {"first": first, "today": today, "now": now}
    made = len(uow.conn.execute(_INSERT_DUE[uow.dialect], params).all())
    # Only the agreements whose day has come: the partial index on review_due_on finds them.
    due = uow.conn.execute(select(*_COLUMNS).where(A.c.review_due_on <= today)).all()
    _set(uow, _rolled(due, today))
    return made
