"""`GET /api/v1/reminders/due` (as `accord reminders due --json`, `all` as `--all`) and
`GET /api/v1/agreements/{ref}/deliveries`: the agreement's delivery log, every notification
of it — sent, pending, retrying, missed, cancelled or dead — in the same shape. Both read only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Today, Uow
from api.problems import responses
from api.schemas.writes import Notification
from workflow.agreements.subject import load_subject_row
from workflow.ops import views

router = APIRouter(tags=["reminders"])


@router.get("/reminders/due", response_model=list[Notification], responses=responses())
def due(
    uow: Uow,
    today: Today,
    all: Annotated[
        bool, Query(description="Also those sent, cancelled, missed (too late) or dead.")
    ] = False,
) -> list[dict[str, Any]]:
    """The notifications due by `today`, oldest due first (pending only unless `all`)."""
    return [views.pending_json(v) for v in views.pending_due(uow, today, every_status=all)]


@router.get(
    "/agreements/{ref}/deliveries", response_model=list[Notification], responses=responses(404)
)
def deliveries(ref: str, uow: Uow) -> list[dict[str, Any]]:
    """Every mail of the agreement, whatever its status or due day, oldest due first."""
    agreement = load_subject_row(uow, ref)
    return [views.pending_json(v) for v in views.for_agreement(uow, int(agreement.id))]
