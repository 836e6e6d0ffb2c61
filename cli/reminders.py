"""`accord reminders due|run`: what is waiting to be mailed, and one sweep sent inline (the
days reminders go out, `policy|offsets`, are cli.reminder_days).

`run` needs no broker: it handles the waiting outbox rows, does what beat's sweep does and then
sends each claimed notification in this process, through the very functions the worker's tasks
call (workflow.notices.handlers.handle_outbox_row, tasks.delivering.deliver).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli import reminder_days
from cli.common import (
    JsonFlag,
    TodayOpt,
    dash,
    echo_json,
    engine_scope,
    table,
    today_from,
    visible,
)
from workflow.ops import views as ops_views
from workflow.ops.views import PendingView
from workflow.uow import UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tasks.delivering import Outcome
    from workflow.notices.sweep import SweepReport

app = typer.Typer(
    help="Renewal reminders, event notices and invitations: what is due, and sending it.",
    no_args_is_help=True,
)
OUTCOMES = ("sent", "skipped", "retry", "dead")
# `run` prints every outcome itself; without a handler, the worker's log lines (a traceback for
# a mail that cannot be built) would reach stderr through logging's last-resort handler.
logging.getLogger("tasks.delivering").addHandler(logging.NullHandler())


def _retry_at(view: PendingView) -> str | None:
    at = view.next_attempt_at
    return None if at is None else at.isoformat(timespec="seconds")


_pending_json = ops_views.pending_json


AllFlag = Annotated[
    bool, typer.Option("--all", help="Also those sent, cancelled, missed (too late) or dead.")
]


@app.command()
def due(today: TodayOpt = None, every: AllFlag = False, as_json: JsonFlag = False) -> None:
    """List the pending notifications due by --today (default today); changes nothing."""
    day = today_from(today)
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        found = ops_views.pending_due(uow, day, every_status=every)
    if as_json:
        echo_json([_pending_json(v) for v in found])
        return
    if not found:
        typer.echo(f"nothing {'' if every else 'pending '}is due by {day.isoformat()}")
        return
    header = ["ID", "KIND", "FOR", "DUE", "ATTEMPTS", "RETRY AT"]
    rows = [
        [str(v.id), v.kind, v.subject, v.due_on.isoformat(), str(v.attempts), dash(_retry_at(v))]
        for v in found
    ]
    if every:
        header.append("STATUS")
        rows = [[*row, v.status] for row, v in zip(rows, found, strict=True)]
    # What each reminder is about, in words; last, as it is the longest.
    header.append("ABOUT")
    rows = [[*row, dash(v.about)] for row, v in zip(rows, found, strict=True)]
    typer.echo(table(rows, header))
    pending = sum(v.status == "pending" for v in found)
    hint = "; `accord reminders run` sends them now" if day <= today_from(None) and pending else ""
    listed = f"{len(found)} listed, " if every else ""
    typer.echo(f"{listed}{pending} pending, due by {day.isoformat()}{hint}")


def _outcome_json(outcome: Outcome, view: PendingView | None) -> dict[str, Any]:
    return {
        "id": outcome.notification_id,
        "kind": view.kind if view else None,
        "subject": view.subject if view else None,
        "status": outcome.status,
        "message_id": outcome.message_id,
        "error": outcome.error,
    }


@app.command()
def run(today: TodayOpt = None, as_json: JsonFlag = False) -> None:
    """Handle the outbox, run one sweep as of --today and send what it claims, here and now
    (no worker needed)."""
    # Imported here: mail rendering (Jinja2, icalendar) would slow every other command's start.
    from notify.backends import mailer_from_settings
    from tasks.delivering import deliver
    from workflow.notices import delivery, handlers
    from workflow.notices.meetings import MeetingDefaults
    from workflow.notices.sweep import sweep
    from workflow.settings import Settings

    settings = Settings()
    day = today_from(today)
    now = datetime.now(UTC)
    lease = timedelta(seconds=settings.send_lease_seconds)
    mailer = mailer_from_settings(settings)
    outcomes: list[Outcome] = []

    def drain(engine: Engine) -> int:
        return handlers.drain_outbox(
            engine,
            today=day,
            default_offsets=settings.reminder_offsets,
            catchup_days=settings.reminder_catchup_days,
            now=now,
        )

    try:
        with engine_scope() as engine:
            # The events of moves made since: a renewal's notice, the old term's reminders out.
            handled = drain(engine)
            report = sweep(
                engine,
                day,
                default_offsets=settings.reminder_offsets,
                meeting_defaults=MeetingDefaults(lead_days=settings.meeting_lead_days),
                lease=lease,
                catchup_days=settings.reminder_catchup_days,
                now=now,
            )
            claimed = list(report.claimed)
            # The sweep's own moves (a window opened, a lapse) are news too: their notices now.
            more = drain(engine)
            handled += more
            if more:
                with UnitOfWork(engine) as uow:
                    claimed += delivery.claim_due(uow, today=day, now=now, limit=500, lease=lease)
                    uow.commit()
            for notification_id in claimed:
                outcomes.append(deliver(engine, notification_id, mailer, settings, today=day))
            with UnitOfWork(engine) as uow:
                views = ops_views.describe(uow, claimed)
    finally:
        mailer.close()
    totals = {status: sum(o.status == status for o in outcomes) for status in OUTCOMES}
    if as_json:
        echo_json(
            {
                "today": day.isoformat(),
                "events_handled": handled,
                "moved": report.moved,
                "reminders_created": report.reminders,
                "reviews_created": report.reviews,
                "reminders_missed": report.missed,
                "reminders_replanned": report.replanned,
                "meetings_scheduled": report.meetings,
                "follow_ups_due": report.follow_ups,
                "claimed": len(claimed),
                "outcomes": [_outcome_json(o, views.get(o.notification_id)) for o in outcomes],
                "totals": totals,
            }
        )
    else:
        _print(report, handled, outcomes, views, totals)


def _print(
    report: SweepReport,
    handled: int,
    outcomes: list[Outcome],
    views: dict[int, PendingView],
    totals: dict[str, int],
) -> None:
    typer.echo(
        f"sweep {report.today.isoformat()}: {handled} event(s) handled, {report.moved} move(s), "
        f"{report.reminders} reminder(s) created, {report.reviews} review(s) due, "
        f"{report.missed} missed, {report.meetings} meeting(s) scheduled, {len(outcomes)} to send"
    )
    if report.follow_ups:
        typer.echo(f"  {report.follow_ups} follow-up(s) fell due: their owners are mailed")
    if report.replanned:
        typer.echo(
            f"  the default reminder days changed: {report.replanned} reminder(s) re-planned"
        )
    for o in outcomes:
        view = views.get(o.notification_id)
        what = f"{view.kind} {view.subject}" if view else "-"
        detail = visible(" ".join((o.message_id or o.error or "").split()))
        typer.echo(f"  {o.status:<7} #{o.notification_id} {what}  {detail}".rstrip())
    typer.echo(", ".join(f"{n} {status}" for status, n in totals.items()))


app.command()(reminder_days.policy)
app.command()(reminder_days.offsets)
