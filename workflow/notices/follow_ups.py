"""Follow-up mail as rows: one per open follow-up, made by the sweep on its due day.

The row is keyed `follow_up:<id>`, so every sweep that finds it due makes it once. A sweep after
downtime makes those due within the catch-up window; a follow-up done before its row is sent
has the row cancelled (`cancel`), and the send-time read finds it done in any case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from models import FollowUp, Notification, Person, table_of
from workflow.uow import UnitOfWork

KIND = "follow_up"
F = table_of(FollowUp)
N = table_of(Notification)
P = table_of(Person)


def follow_up_key(follow_up_id: int) -> str:
    """The unique key of a follow-up's mail."""
    return f"{KIND}:{follow_up_id}"


def materialize_due(uow: UnitOfWork, today: date, *, catchup_days: int, now: datetime) -> int:
    """Make the mail of every open follow-up due today or within `catchup_days`; count."""
    first = today - timedelta(days=catchup_days)
    due = uow.conn.execute(
        select(F.c.id, F.c.agreement_id, F.c.due_on)
        .where(F.c.done_at.is_(None), F.c.due_on.between(first, today))
        .order_by(F.c.due_on, F.c.id)
    ).all()
    # Those already made (sent, pending or cancelled) are left as they are.
    made_before = set(
        uow.conn.execute(
            select(N.c.dedupe_key).where(N.c.kind == KIND, N.c.due_on.between(first, today))
        ).scalars()
    )
    due = [row for row in due if follow_up_key(row.id) not in made_before]
    insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
    made = 0
    for row in due:
        statement = (
            insert(N)
            .values(
                kind=KIND,
                dedupe_key=follow_up_key(row.id),
                agreement_id=row.agreement_id,
                due_on=row.due_on,
                status="pending",
                attempts=0,
                payload={"follow_up_id": row.id},
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(N.c.id)
        )
        made += len(uow.conn.execute(statement).all())
    return made


def cancel(uow: UnitOfWork, follow_up_id: int) -> int:
    """Cancel the follow-up's mail if it is still waiting to go out; count."""
    done = uow.conn.execute(
        update(N)
        .where(N.c.dedupe_key == follow_up_key(follow_up_id), N.c.status == "pending")
        .values(status="cancelled")
    )
    return int(done.rowcount or 0)


@dataclass(frozen=True)
class FollowUpInfo:
    """A follow-up as its mail describes it."""

    id: int
    text: str
    due_on: date
    owner: str
    owner_email: str | None
    created_by: str
    created_at: datetime


def load_open(uow: UnitOfWork, follow_up_id: int) -> FollowUpInfo | None:
    """The follow-up and its owner, or None when it is done (or gone)."""
    row = uow.conn.execute(
        select(F, P.c.name.label("owner"), P.c.email.label("owner_email"))
        .join(P, P.c.id == F.c.owner_id)
        .where(F.c.id == follow_up_id)
    ).first()
    if row is None or row.done_at is not None:
        return None
    return FollowUpInfo(
        row.id, row.text, row.due_on, row.owner, row.owner_email, row.created_by, row.created_at
    )
