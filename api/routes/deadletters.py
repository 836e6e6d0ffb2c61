"""`/api/v1/dead-letters`: list them and replay one, as `accord dead-letters list | replay`
(workflow/notices/deadletters.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import DeadLetterOps, Uow
from api.problems import responses
from api.schemas.writes import DeadLetter, Replayed
from workflow.notices import deadletters

router = APIRouter(prefix="/dead-letters", tags=["operations"])


@router.get("", response_model=list[DeadLetter], responses=responses())
def list_dead(
    uow: Uow,
    all: Annotated[bool, Query(description="Also those already replayed.")] = False,
) -> list[dict[str, Any]]:
    """Dead letters, newest first (replayed ones only with `all`)."""
    return [deadletters.as_json(d) for d in deadletters.list_dead(uow, include_replayed=all)]


@router.post("/{id}/replay", response_model=Replayed, responses=responses(404))
def replay(id: int, uow: Uow, actor: DeadLetterOps) -> dict[str, int]:
    """Queue a dead letter's notification again, with fresh attempts."""
    del actor  # a replay records no actor; the header still says who may write
    notification_id = deadletters.replay(uow, id)
    uow.commit()
    return {"dead_letter_id": id, "notification_id": notification_id}
