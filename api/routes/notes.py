"""Notes and follow-ups on agreements: `POST …/{ref}/notes`, `GET|POST …/{ref}/follow-ups` and
`POST /api/v1/follow-ups/{id}/done`, as `accord agreements note | follow-up | follow-ups | done`.

Neither is a move, so neither takes If-Match: the agreement's version stays as it was.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import FollowUpCloser, FollowUpWriter, NoteWriter, Today, Uow
from api.problems import responses
from api.schemas.writes import FollowUp, FollowUpRequest, NoteAdded, NoteRequest
from workflow.agreements import followups, notes
from workflow.validation import parse_day

router = APIRouter(tags=["agreements"])


@router.post(
    "/agreements/{ref}/notes", status_code=201, response_model=NoteAdded, responses=responses(404)
)
def add_note(ref: str, body: NoteRequest, actor: NoteWriter, uow: Uow) -> dict[str, Any]:
    """Add a dated note to the agreement's timeline (not a change: its version stays)."""
    added = notes.add_note(uow, ref, body.text, actor=actor, now=datetime.now(UTC))
    uow.commit()
    return added


@router.get("/agreements/{ref}/follow-ups", response_model=list[FollowUp], responses=responses(404))
def list_follow_ups(
    ref: str,
    uow: Uow,
    today: Today,
    open: Annotated[bool, Query(description="Only those not done.")] = False,
) -> list[dict[str, Any]]:
    """The agreement's follow-ups by due day, with their status as of `today`."""
    return followups.listing(uow.session, today=today, ref=ref, open_only=open)


@router.post(
    "/agreements/{ref}/follow-ups",
    status_code=201,
    response_model=FollowUp,
    responses=responses(404),
)
def add_follow_up(
    ref: str, body: FollowUpRequest, actor: FollowUpWriter, uow: Uow
) -> dict[str, Any]:
    """Set a follow-up: its owner is mailed on the due day until it is marked done."""
    due_on = parse_day(body.due, "--due")
    assert due_on is not None
    added = followups.add(
        uow,
        ref,
        due_on=due_on,
        owner=body.owner,
        text=body.text,
        actor=actor,
        today=datetime.now(UTC).date(),
        now=datetime.now(UTC),
    )
    uow.commit()
    return added


@router.post("/follow-ups/{id}/done", response_model=FollowUp, responses=responses(404, 409))
def mark_done(id: str, uow: Uow, actor: FollowUpCloser) -> dict[str, Any]:
    """Mark a follow-up done; its mail, if not yet sent, is cancelled."""
    key = followups.parse_id(id)
    now = datetime.now(UTC)
    marked = followups.done(uow, key, actor=actor, today=now.date(), now=now)
    uow.commit()
    return marked
