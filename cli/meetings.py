"""`accord meetings list|schedule|reschedule|cancel`: partnership meetings and their invitations.

Every change is one unit of work: the meeting row and the invitation (or cancellation) row it
queues commit together; the worker's sweep, or `accord reminders run`, mails them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from sqlalchemy import select

from cli.common import JsonFlag, TodayOpt, dash, echo_json, engine_scope, table, today_from
from models import Meeting, Partnership
from workflow.errors import InvalidInput, NotFound
from workflow.notices import meetings
from workflow.notices.meetings import MeetingDefaults
from workflow.ops import views as ops_views
from workflow.ops.views import MeetingView
from workflow.uow import UnitOfWork

app = typer.Typer(
    help="Partnership meetings: list, schedule, move or cancel them (invitations follow).",
    no_args_is_help=True,
)
EXAMPLE = "2027-01-15T09:00Z"
At = Annotated[
    str,
    typer.Option("--at", metavar="DATETIME", help=f"Start, ISO 8601 with a zone (e.g. {EXAMPLE})."),
]
MeetingId = Annotated[int, typer.Argument(metavar="ID", help="The meeting's id (meetings list).")]
ExpectSequence = Annotated[
    int | None,
    typer.Option(metavar="N", help="Refuse if the meeting changed since you saw sequence N."),
]
# Completes "the invitation …", "the cancellation …": what the command queued, and when it leaves.
SENT_BY = "goes out with the worker's next sweep (or `accord reminders run`)"


def parse_moment(value: str, option: str) -> datetime:
    """An ISO 8601 date and time WITH a zone, as UTC; a naive or malformed one is an error."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"{option}: {value!r} is not a date and time; use ISO 8601, e.g. {EXAMPLE}"
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput(
            f"{option}: {value!r} has no timezone; add one, e.g. {EXAMPLE} or +01:00"
        )
    return moment.astimezone(UTC)


def _zulu(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _json(m: MeetingView) -> dict[str, Any]:
    return {
        "id": m.id,
        "partnership": m.partnership,
        "title": m.title,
        "starts_at": m.starts_at.isoformat(),
        "duration_minutes": m.duration_minutes,
        "location": m.location,
        "status": m.status,
        "sequence": m.sequence,
        "uid": m.uid,
    }


def _view(uow: UnitOfWork, meeting_id: int) -> MeetingView:
    (view,) = ops_views.list_meetings(uow, meeting_id=meeting_id)
    return view


def _defaults(duration: int | None = None) -> MeetingDefaults:
    from workflow.settings import Settings

    lead = Settings().meeting_lead_days
    if duration is None:
        return MeetingDefaults(lead_days=lead)
    return MeetingDefaults(lead_days=lead, duration_minutes=duration)


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """Every meeting, soonest first: when, where, status and its invitation SEQUENCE."""
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        found = ops_views.list_meetings(uow)
    if as_json:
        echo_json([_json(m) for m in found])
        return
    if not found:
        typer.echo(
            "no meetings yet: the sweep schedules annual ones, or `accord meetings schedule`"
        )
        return
    rows = [
        [
            str(m.id),
            m.partnership,
            _zulu(m.starts_at),
            f"{m.duration_minutes} min",
            dash(m.location),
            m.status,
            str(m.sequence),
            m.title,
        ]
        for m in found
    ]
    header = ["ID", "PARTNERSHIP", "STARTS", "LENGTH", "WHERE", "STATUS", "SEQ", "TITLE"]
    typer.echo(table(rows, header))


def _partnership(uow: UnitOfWork, ref: str) -> Partnership:
    query = select(Partnership).where(Partnership.slug == ref)
    if ref.isdigit():
        query = select(Partnership).where(Partnership.id == int(ref))
    found = uow.session.scalars(query).first()
    if found is None:
        known = ", ".join(uow.session.scalars(select(Partnership.slug).order_by(Partnership.slug)))
        raise NotFound(f"no partnership {ref!r}; known: {known or 'none (run `accord seed`)'}")
    return found


def _occurrence(p: Partnership, starts_at: datetime) -> str:
    """Which meeting this is: a meeting in an annual partnership's month IS that year's one."""
    if p.meeting_cadence == "annual" and p.meeting_month == starts_at.month:
        return str(starts_at.year)
    return starts_at.strftime("%Y-%m-%dT%H%MZ")


@app.command()
def schedule(
    partnership: Annotated[
        str, typer.Argument(metavar="PARTNERSHIP", help="The partnership's slug or id.")
    ],
    at: At,
    title: Annotated[str | None, typer.Option(metavar="TEXT", help="Default: both names.")] = None,
    location: Annotated[
        str | None, typer.Option(metavar="TEXT", help="Where (default: Online).")
    ] = None,
    duration: Annotated[
        int, typer.Option(metavar="MIN", min=5, max=24 * 60, help="Length in minutes.")
    ] = 90,
    today: TodayOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Schedule a meeting; both sides' contacts get an invitation (.ics, METHOD:REQUEST)."""
    starts_at, day = parse_moment(at, "--at"), today_from(today)
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        p = _partnership(uow, partnership)
        occurrence = _occurrence(p, starts_at)
        before = uow.session.scalars(
            select(Meeting).where(Meeting.partnership_id == p.id, Meeting.occurrence == occurrence)
        ).first()
        if before is not None:
            raise InvalidInput(
                f"{p.slug} already has its {occurrence} meeting (id {before.id}, "
                f"{_zulu(before.starts_at)}, {before.status}); to move it: "
                f"`accord meetings reschedule {before.id} --at ...`"
            )
        meeting = meetings.create(
            uow,
            p,
            starts_at=starts_at,
            occurrence=occurrence,
            today=day,
            d=_defaults(duration),
            title=title,
            location=location,
        )
        view = _view(uow, meeting.id)
        uow.commit()
    if as_json:
        echo_json(_json(view))
        return
    typer.echo(
        f"meeting {view.id} scheduled: {view.title}, {_zulu(view.starts_at)}, "
        f"{view.duration_minutes} min, {dash(view.location)}; the invitation {SENT_BY}"
    )


@app.command()
def reschedule(
    meeting_id: MeetingId,
    at: At,
    expect_sequence: ExpectSequence = None,
    today: TodayOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Move a meeting: SEQUENCE rises and an updated invitation (same UID) replaces the old."""
    starts_at, day = parse_moment(at, "--at"), today_from(today)
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        meetings.reschedule(
            uow, meeting_id, starts_at, today=day, d=_defaults(), expect_sequence=expect_sequence
        )
        view = _view(uow, meeting_id)
        uow.commit()
    if as_json:
        echo_json(_json(view))
        return
    typer.echo(
        f"meeting {view.id} moved to {_zulu(view.starts_at)} (sequence {view.sequence}); "
        f"the updated invitation {SENT_BY}"
    )


@app.command()
def cancel(
    meeting_id: MeetingId,
    expect_sequence: ExpectSequence = None,
    today: TodayOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Cancel a meeting: pending mails are withdrawn and a METHOD:CANCEL goes to everyone."""
    day = today_from(today)
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        meetings.cancel(uow, meeting_id, today=day, expect_sequence=expect_sequence)
        view = _view(uow, meeting_id)
        uow.commit()
    if as_json:
        echo_json(_json(view))
        return
    typer.echo(
        f"meeting {view.id} cancelled (sequence {view.sequence}); the cancellation {SENT_BY}"
    )
