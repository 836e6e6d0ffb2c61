"""`POST /api/v1/agreements/{ref}/moves`: one move, at the version the client last read.

`If-Match` carries that version (the ETag of GET /agreements/{ref}): missing → 428, another
version → 412 naming who changed the agreement and when, with the version now. The move itself
is workflow/agreements/moves.py's `advance`, as for `accord agreements advance`.

The actor is the signed-in user: their name, and their id in the event's data. Who may make
which move on which agreement is workflow/accounts/permissions.py's: another unit's agreement
is a 404 to a coordinator, a move outside the role a 403.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy import Engine

from api.deps import CurrentUser, ExpectedVersion, engine_of
from api.problems import responses
from api.routes.agreements import etag
from api.schemas.agreements import MoveDone, MoveRequest
from workflow.accounts.permissions import check_agreement_action
from workflow.agreements import moves, queries
from workflow.uow import UnitOfWork
from workflow.validation import parse_day

router = APIRouter(prefix="/agreements", tags=["agreements"])


@router.post("/{ref}/moves", response_model=MoveDone, responses=responses(403, 404, 409, 412, 428))
def make_move(
    ref: str,
    body: MoveRequest,
    response: Response,
    engine: Annotated[Engine, Depends(engine_of)],
    version: ExpectedVersion,
    user: CurrentUser,
) -> dict[str, Any]:
    """Fire a trigger on the agreement: state, event and outbox row commit together or not at
    all. Refused (409) with the legal triggers, or the guard's reason, when it may not move."""
    trigger = body.trigger.strip()
    with UnitOfWork(engine) as uow:
        owner = queries.get_agreement(uow.session, ref).owning_unit_id
    check_agreement_action(user.role, user.units, owner, f"move:{trigger}", ref)
    on, until = parse_day(body.on, "--on"), parse_day(body.until, "--until")
    signatories = moves.signatory_inputs(body.signatories.items())
    moves.only_when_signing(body.trigger, signatories, until)
    result = moves.advance(
        UnitOfWork(engine),
        ref,
        trigger,
        actor=user.name,
        data={"actor_id": user.id, "via": "api"},
        today=datetime.now(UTC).date(),
        on=on,
        comment=body.comment,
        until=until,
        signatories=signatories,
        expect_version=version,
    )
    with UnitOfWork(engine) as uow:
        after = queries.show(uow.session, result.agreement_id)
    response.headers["ETag"] = etag(result.version)
    return {**asdict(result), "agreement": after}
