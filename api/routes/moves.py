"""`POST /api/v1/agreements/{ref}/moves`: one move, at the version the client last read.

`If-Match` carries that version (the ETag of GET /agreements/{ref}): missing → 428, another
version → 412 naming who changed the agreement and when, with the version now. The move itself
is workflow/agreements/moves.py's `advance`, as for `accord agreements advance`.

The actor is `Actor` (api/deps.py), as for every write.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy import Engine

from api.deps import Actor, ExpectedVersion, engine_of
from api.problems import responses
from api.routes.agreements import etag
from api.schemas.agreements import MoveDone, MoveRequest
from workflow.agreements import moves, queries
from workflow.uow import UnitOfWork
from workflow.validation import parse_day

router = APIRouter(prefix="/agreements", tags=["agreements"])


@router.post("/{ref}/moves", response_model=MoveDone, responses=responses(404, 409, 412, 428))
def make_move(
    ref: str,
    body: MoveRequest,
    response: Response,
    engine: Annotated[Engine, Depends(engine_of)],
    version: ExpectedVersion,
    actor: Actor,
) -> dict[str, Any]:
    """Fire a trigger on the agreement: state, event and outbox row commit together or not at
    all. Refused (409) with the legal triggers, or the guard's reason, when it may not move."""
    on, until = parse_day(body.on, "--on"), parse_day(body.until, "--until")
    signatories = moves.signatory_inputs(body.signatories.items())
    moves.only_when_signing(body.trigger, signatories, until)
    result = moves.advance(
        UnitOfWork(engine),
        ref,
        body.trigger.strip(),
        actor=actor,
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
