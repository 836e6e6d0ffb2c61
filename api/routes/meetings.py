"""`/api/v1/meetings`: list, schedule, reschedule, cancel, and one meeting's `.ics`, as
`accord meetings list | schedule | reschedule | cancel` (workflow/notices/meeting_desk.py and
meetings.py). Each change commits with the invitation or cancellation it queues.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from api.deps import MeetingPlanner, Uow
from api.problems import responses
from api.schemas.writes import MeetingCancel, MeetingMove, MeetingOut, MeetingRequest
from workflow.notices import meeting_desk as desk
from workflow.notices import meetings
from workflow.notices.meetings import MeetingDefaults
from workflow.ops import views
from workflow.settings import Settings

router = APIRouter(prefix="/meetings", tags=["meetings"])


def _defaults(request: Request, duration: int | None = None) -> MeetingDefaults:
    settings: Settings = request.app.state.settings
    if duration is None:
        return MeetingDefaults(lead_days=settings.meeting_lead_days)
    return MeetingDefaults(lead_days=settings.meeting_lead_days, duration_minutes=duration)


@router.get("", response_model=list[MeetingOut], responses=responses())
def list_meetings(uow: Uow) -> list[dict[str, Any]]:
    """Every meeting, soonest first, with its status and invitation SEQUENCE."""
    return [desk.as_json(m) for m in views.list_meetings(uow)]


@router.post("", status_code=201, response_model=MeetingOut, responses=responses(404))
def schedule(
    body: MeetingRequest, request: Request, response: Response, uow: Uow, actor: MeetingPlanner
) -> dict[str, Any]:
    """Schedule a meeting; both sides' contacts get an invitation (.ics, METHOD:REQUEST)."""
    del actor  # a meeting records no actor; the header still says who may write
    starts_at = desk.parse_moment(body.at, "--at")
    found = desk.schedule(
        uow, body.partnership, starts_at, today=datetime.now(UTC).date(),
        d=_defaults(request, body.duration), title=body.title, location=body.location,
    )  # fmt: skip
    uow.commit()
    response.headers["Location"] = f"{request.url.path}/{found.id}"
    return desk.as_json(found)


@router.post("/{id}/reschedule", response_model=MeetingOut, responses=responses(404, 412))
def reschedule(
    id: int, body: MeetingMove, request: Request, uow: Uow, actor: MeetingPlanner
) -> Any:
    """Move a meeting: SEQUENCE rises and an updated invitation (same UID) replaces the old."""
    del actor
    starts_at = desk.parse_moment(body.at, "--at")
    meetings.reschedule(
        uow, id, starts_at, today=datetime.now(UTC).date(), d=_defaults(request),
        expect_sequence=body.expect_sequence,
    )  # fmt: skip
    found = desk.view(uow, id)
    uow.commit()
    return desk.as_json(found)


@router.post("/{id}/cancel", response_model=MeetingOut, responses=responses(404, 412))
def cancel(id: int, body: MeetingCancel, uow: Uow, actor: MeetingPlanner) -> Any:
    """Cancel a meeting: pending mails are withdrawn and a METHOD:CANCEL goes to everyone."""
    del actor
    meetings.cancel(uow, id, today=datetime.now(UTC).date(), expect_sequence=body.expect_sequence)
    found = desk.view(uow, id)
    uow.commit()
    return desk.as_json(found)


@router.get(
    "/{id}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, **responses(404)},
)
def calendar(id: int, request: Request, uow: Uow) -> Response:
    """The meeting as its invitees' calendars have it (METHOD:CANCEL once cancelled)."""
    from notify.ics import invitation

    settings: Settings = request.app.state.settings
    meeting, attendees = desk.invitees(uow, id)
    p = meeting.partnership
    body = invitation(
        uid=meeting.uid,
        sequence=meeting.sequence,
        method="CANCEL" if meeting.status == "cancelled" else "REQUEST",
        start=meeting.starts_at,
        duration_minutes=meeting.duration_minutes,
        summary=meeting.title,
        description=f"Partnership meeting: {p.home.name} and {p.partner.name}",
        location=meeting.location or "",
        organizer=settings.mail_from,
        attendees=attendees or [settings.mail_from],
        dtstamp=meeting.updated_at,
    )
    return Response(body, media_type="text/calendar")
