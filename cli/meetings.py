"""`accord meetings list|schedule|reschedule|cancel`: partnership meetings and their invitations.

Every change is one unit of work: the meeting row and the invitation (or cancellation) row it
queues commit together; the worker's sweep, or `accord reminders run`, mails them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import JsonFlag, TodayOpt, dash, echo_json, engine_scope, table, today_from
from workflow.notices import meeting_desk as desk
from workflow.notices import meetings
from workflow.notices.meetings import MeetingDefaults
from workflow.ops import views as ops_views
from workflow.uow import UnitOfWork

app = typer.Typer(
    help="Partnership meetings: list, schedule, move or cancel them (invitations follow).",
    no_args_is_help=True,
)
At = Annotated[
    str,
    typer.Option(
        "--at", metavar="DATETIME", help=f"Start, ISO 8601 with a zone (e.g. {desk.EXAMPLE})."
    ),
]
MeetingId = Annotated[int, typer.Argument(metavar="ID", help="The meeting's id (meetings list).")]
ExpectSequence = Annotated[
    int | None,
    typer.Option(metavar="N", help="Refuse if the meeting changed since you saw sequence N."),
]
# Completes "the invitation …", "the cancellation …": what the command queued, and when it leaves.
SENT_BY = "goes out with the worker's next sweep (or `accord reminders run`)"


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
        echo_json([desk.as_json(m) for m in found])
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
            desk.zulu(m.starts_at),
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
    starts_at, day = desk.parse_moment(at, "--at"), today_from(today)
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        view = desk.schedule(
            uow, partnership, starts_at, today=day, d=_defaults(duration), title=title,
            location=location,
        )  # fmt: skip
        uow.commit()
    if as_json:
        echo_json(desk.as_json(view))
        return
    typer.echo(
        f"meeting {view.id} scheduled: {view.title}, {desk.zulu(view.starts_at)}, "
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
    starts_at, day = desk.parse_moment(at, "--at"), today_from(today)
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        meetings.reschedule(
            uow, meeting_id, starts_at, today=day, d=_defaults(), expect_sequence=expect_sequence
        )
        view = desk.view(uow, meeting_id)
        uow.commit()
    if as_json:
        echo_json(desk.as_json(view))
        return
    typer.echo(
        f"meeting {view.id} moved to {desk.zulu(view.starts_at)} (sequence {view.sequence}); "
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
        view = desk.view(uow, meeting_id)
        uow.commit()
    if as_json:
        echo_json(desk.as_json(view))
        return
    typer.echo(
        f"meeting {view.id} cancelled (sequence {view.sequence}); the cancellation {SENT_BY}"
    )
