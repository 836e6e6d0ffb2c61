"""`POST /api/v1/bulk-moves`: one trigger on many agreements, as `accord agreements advance-many`.

Each agreement is judged and moved in its own transaction (workflow/agreements/bulk.py), so
the answer is 200 with each one's outcome — moved or refused, with the reason — and, with
`dry_run`, what would happen, changing nothing. A choice that names nothing is 404/422 before
any moves.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import Engine

from api.deps import CurrentUser, engine_of
from api.problems import responses
from api.schemas.writes import BulkItem, BulkMoveRequest
from workflow.accounts.permissions import check_agreement_action, require
from workflow.agreements import bulk, queries
from workflow.uow import UnitOfWork
from workflow.validation import parse_day

router = APIRouter(tags=["agreements"])
FILTERS = (
    "state", "kind", "partner", "expiring_within", "q", "unit", "coordinator", "renewal_type",
)  # fmt: skip


@router.post("/bulk-moves", response_model=list[BulkItem], responses=responses(404))
def bulk_moves(
    body: BulkMoveRequest, engine: Annotated[Engine, Depends(engine_of)], user: CurrentUser
) -> list[dict[str, Any]]:
    """Fire `trigger` on each agreement chosen (`ref` or the list filters), each on its own."""
    given: dict[str, Any] = {name: getattr(body, name) for name in FILTERS}
    given["signed_after"] = parse_day(body.signed_after, "--signed-after")
    given["signed_before"] = parse_day(body.signed_before, "--signed-before")
    filters = {name: value for name, value in given.items() if value is not None}
    bulk.check_choice(body.ref, body.today is not None)
    trigger = bulk.check_trigger(body.trigger)
    today = datetime.now(UTC).date()
    on = parse_day(body.on, "--on")
    require(user.role, f"move:{trigger}")
    ids = bulk.choose(
        engine, refs=body.ref, filters=filters, today=parse_day(body.today, "--today") or today
    )
    # A role bound to units moves only its units' agreements: one of another unit's is refused
    # as a single move would be (404, as one that does not exist), before anything moves.
    with UnitOfWork(engine) as uow:
        for agreement_id in ids:
            owner = queries.get_agreement(uow.session, agreement_id).owning_unit_id
            check_agreement_action(
                user.role, user.units, owner, f"move:{trigger}", str(agreement_id)
            )
    results = bulk.advance_many(
        engine,
        ids,
        trigger,
        actor=user.name,
        today=today,
        on=on,
        comment=body.comment,
        dry_run=body.dry_run,
    )
    return [asdict(r) for r in results]
