"""`POST /api/v1/agreements/{ref}/moves`: one move, at the version the client last read.

`If-Match` carries that version (the ETag of GET /agreements/{ref}): missing → 428, another
version → 412 naming who changed the agreement and when, with the version now. The move itself
is workflow/agreements/moves.py's `advance`, as for `accord agreements advance`.

The actor is the signed-in user: their name, and their id in the event's data. Who may make
which move on which agreement is workflow/accounts/permissions.py's: another unit's agreement
is a 404 to a coordinator, a move outside the role a 403.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Response
from sqlalchemy import Engine

from api.deps import CurrentUser, engine_of
from api.problems import responses
from api.routes.agreements import etag
from api.schemas.agreements import MoveDone, MoveRequest
from workflow.accounts.permissions import check_agreement_action
from workflow.agreements import moves, queries
from workflow.uow import UnitOfWork
from workflow.validation import parse_day

router = APIRouter(prefix="/agreements", tags=["agreements"])

_ETAG = re.compile(r'^\s*(?:W/)?"(?P<version>[0-9]{1,9})"\s*$')


def expected_version(
    if_match: Annotated[
        str | None,
        Header(description='The ETag of the agreement as last read, e.g. "6". Required.'),
    ] = None,
) -> int:
    """The version `If-Match` names: 428 when it is missing, 412 when it is no ETag of ours."""
    if if_match is None:
        raise HTTPException(
            428,
            "a move needs If-Match: the ETag of GET /api/v1/agreements/{ref}, the version "
            "you are moving from; nothing was changed",
        )
    found = _ETAG.match(if_match)
    if found is None:
        raise HTTPException(
            412, f'If-Match {if_match!r} is not an ETag this API gave (like "6"); nothing changed'
        )
    return int(found["version"])


@router.post("/{ref}/moves", response_model=MoveDone, responses=responses(403, 404, 409, 412, 428))
def make_move(
    ref: str,
    body: MoveRequest,
    response: Response,
    engine: Annotated[Engine, Depends(engine_of)],
    version: Annotated[int, Depends(expected_version)],
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
