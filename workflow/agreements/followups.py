"""Follow-ups on an agreement: something one person is to do by a day, open until marked done.

Setting one is not a change to the agreement (its version stays). On the due day the sweep mails
the owner (workflow.notices.follow_ups); marking it done first cancels that mail.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from models import Agreement, FollowUp, Person, table_of
from workflow.agreements import queries
from workflow.agreements.notes import clean_text
from workflow.agreements.subject import load_subject_row
from workflow.directory import people
from workflow.errors import InvalidInput, NotFound
from workflow.notices import follow_ups as mail
from workflow.uow import UnitOfWork
from workflow.validation import within_horizon

F = table_of(FollowUp)
A = table_of(Agreement)
P = table_of(Person)
_MAX_ID = 2**31 - 1


def add(
    uow: UnitOfWork,
    ref: str,
    *,
    due_on: date,
    owner: str,
    text: str,
    actor: str,
    today: date,
    now: datetime,
) -> dict[str, Any]:
    """Set a follow-up on the agreement `ref` for the person `owner` (id or slug), due on
    `due_on` (today or later); the follow-up as `follow-ups` lists it."""
    body = clean_text(text, "the follow-up")
    within_horizon(due_on, "--due")
    if due_on < today:
        raise InvalidInput(
            f"--due {due_on.isoformat()} is before today ({today.isoformat()}): "
            "a follow-up is for something still to do"
        )
    agreement = load_subject_row(uow, ref)
    person = people.find(uow, owner)
    if not person.active:
        raise InvalidInput(f"person {person.slug} is inactive: give someone else as --owner")
    follow_up_id = uow.conn.execute(
        insert(F)
        .values(
            agreement_id=agreement.id,
            due_on=due_on,
            owner_id=person.id,
            text=body,
            created_by=actor,
            created_at=now,
        )
        .returning(F.c.id)
    ).scalar_one()
    return _one(uow, follow_up_id, today)


def parse_id(value: str) -> int:
    """A follow-up's id as typed, or NotFound."""
    text = value.strip()
    if not (text.isascii() and text.isdigit() and int(text) <= _MAX_ID):
        raise NotFound(f"no follow-up {value!r}: see `accord agreements follow-ups`")
    return int(text)


def done(
    uow: UnitOfWork, follow_up_id: int, *, actor: str, today: date, now: datetime
) -> dict[str, Any]:
    """Mark a follow-up done (once) and cancel its mail if still waiting; the follow-up."""
    row = uow.conn.execute(select(F.c.id).where(F.c.id == follow_up_id)).first()
    if row is None:
        raise NotFound(f"no follow-up {follow_up_id}: see `accord agreements follow-ups`")
    marked = uow.conn.execute(
        update(F)
        .where(F.c.id == follow_up_id, F.c.done_at.is_(None))
        .values(done_at=now, done_by=actor)
    )
    if marked.rowcount != 1:  # done already, perhaps a moment ago by someone else
        first = _one(uow, follow_up_id, today)
        raise InvalidInput(
            f"follow-up {follow_up_id} was done already, by {first['done_by']} at "
            f"{first['done_at']}; nothing was changed"
        )
    mail.cancel(uow, follow_up_id)
    return _one(uow, follow_up_id, today)


def _select() -> Any:
    return (
        select(
            F, A.c.slug.label("agreement"), P.c.slug.label("owner"), P.c.name.label("owner_name")
        )
        .join(A, A.c.id == F.c.agreement_id)
        .join(P, P.c.id == F.c.owner_id)
    )


def status(due_on: date, done_at: datetime | None, today: date) -> str:
    """done, overdue (open past its day), due today, or open."""
    if done_at is not None:
        return "done"
    if due_on < today:
        return "overdue"
    return "due today" if due_on == today else "open"


def _as_dict(r: Any, today: date) -> dict[str, Any]:
    return {
        "id": r.id,
        "agreement": r.agreement,
        "due_on": r.due_on.isoformat(),
        "owner": r.owner,
        "owner_name": r.owner_name,
        "text": r.text,
        "status": status(r.due_on, r.done_at, today),
        "created_by": r.created_by,
        "created_at": r.created_at.isoformat(),
        "done_by": r.done_by,
        "done_at": queries.iso(r.done_at),
    }


def _one(uow: UnitOfWork, follow_up_id: int, today: date) -> dict[str, Any]:
    return _as_dict(uow.conn.execute(_select().where(F.c.id == follow_up_id)).one(), today)


def listing(
    session: Session, *, today: date, ref: str | None = None, open_only: bool = False
) -> list[dict[str, Any]]:
    """Follow-ups, of one agreement or of all, by due day (open only with `open_only`)."""
    query = _select().order_by(F.c.due_on, F.c.id)
    if ref is not None:
        query = query.where(F.c.agreement_id == queries.get_agreement(session, ref).id)
    if open_only:
        query = query.where(F.c.done_at.is_(None))
    return [_as_dict(r, today) for r in session.execute(query).all()]
