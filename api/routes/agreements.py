"""`/api/v1/agreements`: the list with every filter of `agreements list` in keyset pages, one
agreement (with its version as ETag), its history and its legal triggers with their verdicts.

Each route hands its parameters to workflow/agreements/queries.py as the CLI does, and returns
what it returns; the checks (a bad state, sort, cursor or date) are the workflow's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.deps import Today, Uow
from api.problems import responses
from api.schemas.agreements import Agreement, AgreementPage, TimelineEntry, Triggers
from workflow.agreements import listing, notes, queries
from workflow.validation import parse_day

router = APIRouter(prefix="/agreements", tags=["agreements"])

DEFAULT_LIMIT = 50


def etag(version: int) -> str:
    """The ETag of a record at `version` (If-Match takes it back)."""
    return f'"{version}"'


@router.get("", response_model=AgreementPage, responses=responses(404))
def list_agreements(
    request: Request,
    uow: Uow,
    today: Today,
    response: Response,
    state: Annotated[str | None, Query(description="Only this state.")] = None,
    kind: Annotated[str | None, Query(description="Only this kind.")] = None,
    partner: Annotated[
        str | None, Query(description="Partner: slug, short name or part of its name.")
    ] = None,
    expiring_within: Annotated[
        int | None, Query(description="Only those in force and expiring within DAYS.")
    ] = None,
    q: Annotated[
        str | None, Query(description="Text in the title, slug, parties or coordinator's name.")
    ] = None,
    unit: Annotated[str | None, Query(description="Owning unit (slug).")] = None,
    coordinator: Annotated[
        str | None, Query(description="Coordinator: piece of name or slug.")
    ] = None,
    signed_after: Annotated[
        str | None, Query(description="Signed on or after this day (YYYY-MM-DD).")
    ] = None,
    signed_before: Annotated[
        str | None, Query(description="Signed on or before this day (YYYY-MM-DD).")
    ] = None,
    sort: Annotated[
        str | None,
        Query(description="id, slug, state, proposed_on, signed_on, expires_on; -FIELD: down."),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=listing.MAX_LIMIT, description="Rows on the page.")
    ] = DEFAULT_LIMIT,
    after: Annotated[
        str | None, Query(description="The cursor in the previous page's `next` link.")
    ] = None,
) -> dict[str, Any]:
    """Agreements matching every filter given, one keyset page at a time (as
    `accord agreements list --limit N --json`, with `next` a link instead of a cursor)."""
    found = queries.page(
        uow.session,
        full=True,
        limit=limit,
        after=after,
        today=today,
        state=state,
        kind=kind,
        partner=partner,
        expiring_within=expiring_within,
        q=q,
        unit=unit,
        coordinator=coordinator,
        signed_after=parse_day(signed_after, "--signed-after"),
        signed_before=parse_day(signed_before, "--signed-before"),
        sort=sort,
    )
    link = None
    if found.next is not None:
        url = request.url.include_query_params(after=found.next)
        link = f"{url.path}?{url.query}"
        response.headers["Link"] = f'<{link}>; rel="next"'
    return {"items": found.items, "next": link}


@router.get("/{ref}", response_model=Agreement, responses=responses(404))
def show(ref: str, uow: Uow, response: Response) -> dict[str, Any]:
    """One agreement (REF: its id, slug or a piece of its title only it holds); the `ETag`
    header is its version."""
    data = queries.show(uow.session, ref)
    response.headers["ETag"] = etag(data["version"])
    return data


@router.get("/{ref}/history", response_model=list[TimelineEntry], responses=responses(404))
def history(ref: str, uow: Uow) -> list[dict[str, Any]]:
    """Every event, note and follow-up of the agreement, oldest first (`kind` tells them apart)."""
    return notes.timeline(uow.session, ref)


@router.get("/{ref}/triggers", response_model=Triggers, responses=responses(404))
def triggers(ref: str, uow: Uow, today: Today) -> dict[str, Any]:
    """The legal next moves from the agreement's state, each with its guard's verdict today."""
    state, verdicts = queries.next_moves(uow.session, ref, today)
    return {
        "state": state,
        "triggers": [
            {"trigger": v.trigger, "allowed": v.allowed, "dest": v.dest, "reason": v.reason}
            for v in verdicts
        ],
    }
