"""The whole-portfolio commands: `tick`, `board`, `initiatives` and `lifecycle`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli.agreement_notes import first_line
from cli.common import (
    JsonFlag,
    TodayOpt,
    dash,
    echo_json,
    engine_scope,
    read_session,
    table,
    today_from,
)
from workflow import lifecycle
from workflow.agreements import queries
from workflow.agreements.initiatives import progress as initiative_progress
from workflow.agreements.tick import run_tick
from workflow.lifecycle import State
from workflow.uow import UnitOfWork

DUE_SOON_DAYS = 180


def tick(
    today: TodayOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would move and change nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Fire the moves time drives (renewal windows, lapses) as `system`; idempotent per day."""
    from datetime import UTC, datetime

    from workflow.errors import InvalidInput

    day, real = today_from(today), datetime.now(UTC).date()
    if day > real and not dry_run:
        raise InvalidInput(
            f"--today {day.isoformat()} is after today ({real.isoformat()}, UTC): a future day "
            "would make moves that cannot be undone; see them with --dry-run"
        )
    with engine_scope() as engine:
        report = run_tick(UnitOfWork(engine), day, dry_run=dry_run)
    if as_json:
        echo_json(
            {
                "today": day.isoformat(),
                "dry_run": dry_run,
                "total": report.total,
                "moved": {trigger: sorted(slugs) for trigger, slugs in report.moved.items()},
                "refused": report.refused,
                "skipped_stale": report.skipped_stale,
            }
        )
        return
    marked = " (dry run: nothing changed)" if dry_run else ""
    typer.echo(f"tick {day.isoformat()}{marked}: {report.total} move(s)")
    for trigger, slugs in sorted(report.moved.items()):
        typer.echo(f"  {trigger}: {', '.join(sorted(slugs))}")
    for refusal in report.refused:
        typer.echo(f"  refused {refusal}")
    if report.skipped_stale:
        typer.echo(f"  {report.skipped_stale} changed meanwhile; the next tick takes them")


def _lines(agreements: list[dict[str, Any]]) -> str:
    rows = [
        [f"  {a['slug']}", a["partner"], f"expires {dash(a['expires_on'])}"] for a in agreements
    ]
    return table(rows)


def _follow_up_lines(found: list[dict[str, Any]]) -> str:
    marks = {"overdue": "OVERDUE", "due today": "due today"}
    rows = [
        [
            f"  {f['id']}",
            f["agreement"],
            f"due {f['due_on']}",
            marks.get(f["status"], ""),
            f["owner"],
            first_line(f["text"], 50),
        ]
        for f in found
    ]
    return table(rows)


def board(today: TodayOpt = None) -> None:
    """Agreements by state in lifecycle order, those due soon, open follow-ups (overdue ones
    marked) and initiative progress."""
    from workflow.agreements import followups

    day = today_from(today)
    with read_session() as session:
        everything = queries.list_agreements(session, today=day)
        due = queries.list_agreements(session, today=day, expiring_within=DUE_SOON_DAYS)
        progress = initiative_progress(session)
        open_follow_ups = followups.listing(session, today=day, open_only=True)
    typer.echo(f"Agreements by state, {day.isoformat()} ({len(everything)} in all)")
    for state in State:
        members = [a for a in everything if a["state"] == state.value]
        if members:
            typer.echo(f"{state.value} ({len(members)})")
            typer.echo(_lines(members))
    if not everything:
        typer.echo("  none yet: `accord seed` or `accord agreements new`")
    typer.echo(f"\nDue soon (in force, expiring within {DUE_SOON_DAYS} days)")
    typer.echo(_lines(due) if due else "  none")
    typer.echo("\nFollow-ups open (`accord agreements done ID` when done)")
    typer.echo(_follow_up_lines(open_follow_ups) if open_follow_ups else "  none")
    typer.echo("\nInitiatives")
    for item in progress:
        typer.echo(f"  {item['summary']}")
    if not progress:
        typer.echo("  none")


def initiatives(as_json: JsonFlag = False) -> None:
    """Progress of each initiative towards its target."""
    with read_session() as session:
        progress = initiative_progress(session)
    if as_json:
        echo_json(progress)
        return
    for item in progress:
        typer.echo(item["summary"])
    if not progress:
        typer.echo("no initiatives")


def lifecycle_diagram() -> None:
    """Print the lifecycle as a Mermaid state diagram, drawn from the machine itself."""
    typer.echo(lifecycle.mermaid(), nl=False)
