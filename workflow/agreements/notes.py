"""Notes on an agreement, and its timeline: the events, notes and follow-ups in time order.

A note is not a change to the agreement: it leaves the agreement's version (and so every
`--expect-version` a colleague holds) as it was. The database keeps notes append-only.
"""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models import AgreementNote, FollowUp, Person, table_of
from workflow.agreements import queries
from workflow.agreements.subject import load_subject_row
from workflow.errors import InvalidInput
from workflow.uow import UnitOfWork
from workflow.validation import blank, free_text

T = table_of(AgreementNote)
F = table_of(FollowUp)
P = table_of(Person)
# A note or a follow-up is prose, not a document: longer text belongs in a file.
TEXT_MAX = 4000


def clean_text(value: str, field: str) -> str:
    """Text for a note or a follow-up, stripped; refused when empty, too long or when it holds
    control characters other than line breaks and tabs."""
    free_text(value, field)
    text = value.strip()
    if blank(text):
        raise InvalidInput(f"{field} is empty: say what the note or follow-up is about")
    if len(text) > TEXT_MAX:
        raise InvalidInput(f"{field} is {len(text)} characters; at most {TEXT_MAX}")
    return text


def add_note(uow: UnitOfWork, ref: str, text: str, *, actor: str, now: datetime) -> dict[str, Any]:
    """Add a dated note to the agreement `ref`; the note as `history` shows it."""
    body = clean_text(text, "the note")
    agreement = load_subject_row(uow, ref)
    note_id = uow.conn.execute(
        insert(T)
        .values(agreement_id=agreement.id, at=now, actor=actor, text=body)
        .returning(T.c.id)
    ).scalar_one()
    return {
        "kind": "note",
        "id": note_id,
        "agreement": agreement.slug,
        "at": now.isoformat(),
        "actor": actor,
        "text": body,
    }


def _moment(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["at"])


def timeline(session: Session, ref: str) -> list[dict[str, Any]]:
    """The agreement's events (as `queries.history` gives them, with `kind` "event"), notes and
    follow-ups (one entry when set, one when done), oldest first; at one moment, events first."""
    agreement_id = queries.get_agreement(session, ref).id
    events = [{"kind": "event", **e} for e in queries.history(session, str(agreement_id))]
    others = _notes(session, agreement_id) + _follow_ups(session, agreement_id)
    others.sort(key=_moment)  # stable: a follow-up set and done at once stays in that order
    # Merged, not sorted together: the events keep their own order (by seq) whatever their dates.
    return list(heapq.merge(events, others, key=_moment))


def _notes(session: Session, agreement_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(T).where(T.c.agreement_id == agreement_id).order_by(T.c.at, T.c.id)
    ).all()
    return [
        {"kind": "note", "id": r.id, "at": r.at.isoformat(), "actor": r.actor, "text": r.text}
        for r in rows
    ]


def _follow_ups(session: Session, agreement_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(F, P.c.slug.label("owner"))
        .join(P, P.c.id == F.c.owner_id)
        .where(F.c.agreement_id == agreement_id)
        .order_by(F.c.created_at, F.c.id)
    ).all()
    entries = []
    for r in rows:
        common = {"id": r.id, "due_on": r.due_on.isoformat(), "owner": r.owner, "text": r.text}
        entries.append(
            {
                "kind": "follow_up",
                "action": "set",
                "at": r.created_at.isoformat(),
                "actor": r.created_by,
                **common,
            }
        )
        if r.done_at is not None:
            entries.append(
                {
                    "kind": "follow_up",
                    "action": "done",
                    "at": r.done_at.isoformat(),
                    "actor": r.done_by,
                    **common,
                }
            )
    return entries
