"""`POST /api/v1/agreements` (a proposal) and `PATCH /api/v1/agreements/{ref}` (an edit).

Both are the services `accord agreements new | edit` call (workflow/agreements/proposals.py,
edits.py), with the signed-in user as the actor. The edit needs `If-Match` (428 without, 412
stale) and answers with the new version as ETag; the proposal answers 201 with Location and ETag.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import Engine

from api.deps import Editor, ExpectedVersion, Proposer, engine_of
from api.problems import responses
from api.routes.agreements import etag
from api.schemas.agreements import Agreement
from api.schemas.writes import EditDone, EditRequest, ProposalRequest
from workflow.agreements import queries
from workflow.agreements.edits import Edit, edit_agreement
from workflow.agreements.proposals import Proposal, check_slug, propose
from workflow.uow import UnitOfWork
from workflow.validation import parse_day

router = APIRouter(prefix="/agreements", tags=["agreements"])
EngineDep = Annotated[Engine, Depends(engine_of)]


@router.patch("/{ref}", response_model=EditDone, responses=responses(404, 409, 412, 428))
def edit(
    ref: str,
    body: EditRequest,
    response: Response,
    engine: EngineDep,
    version: ExpectedVersion,
    actor: Editor,
) -> dict[str, Any]:
    """Edit the agreement's record fields, as one entry in its history: approved content edited
    goes back to review; what was signed changes only by a move. No change: nothing written."""
    result = edit_agreement(
        UnitOfWork(engine),
        ref,
        Edit(**body.model_dump()),
        actor=actor,
        expect_version=version,
        today=datetime.now(UTC).date(),
    )
    with UnitOfWork(engine) as uow:
        after = queries.show(uow.session, result.agreement_id)
    response.headers["ETag"] = etag(result.version)
    return {**asdict(result), "agreement": after}


@router.post("", status_code=201, response_model=Agreement, responses=responses(404, 409, 422))
def new(
    body: ProposalRequest, request: Request, response: Response, engine: EngineDep, actor: Proposer
) -> dict[str, Any]:
    """Propose a new agreement between two institutions; it starts in `proposed`."""
    from workflow.settings import Settings

    settings: Settings = request.app.state.settings
    today = datetime.now(UTC).date()
    fields = body.model_dump()
    fields["slug"] = check_slug(body.slug)
    fields["proposed_on"] = parse_day(body.proposed_on, "--proposed-on") or today
    proposal = Proposal(
        **fields, actor=actor, today=today, renewal_window_days=settings.renewal_window_days
    )
    with UnitOfWork(engine) as uow:
        agreement_id = propose(uow, proposal).id
        uow.commit()
    with UnitOfWork(engine) as uow:
        created = queries.show(uow.session, agreement_id)
    response.headers["Location"] = f"{request.url.path}/{created['slug']}"
    response.headers["ETag"] = etag(created["version"])
    return created
