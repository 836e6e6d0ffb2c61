"""`accord agreements advance-many`: one trigger on the agreements chosen by --ref or by the same
filters `agreements list` takes, each judged and moved in its own transaction."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import typer

from cli import list_filters
from cli.agreement_moves import ActorOpt, CommentOpt, OnOpt, TriggerArg
from cli.common import (
    JsonFlag,
    TodayOpt,
    actor_from,
    echo_json,
    engine_scope,
    parse_date,
    table,
    today_from,
)
from cli.list_filters import (
    CoordinatorOpt,
    ExpiringOpt,
    KindOpt,
    PartnerOpt,
    RenewalTypeOpt,
    SignedAfterOpt,
    SignedBeforeOpt,
    StateOpt,
    TextOpt,
    UnitOpt,
)


def advance_many(
    trigger: TriggerArg,
    ref: Annotated[
        list[str] | None,
        typer.Option(metavar="REF", help="An agreement (id or slug); repeat for more."),
    ] = None,
    state: StateOpt = None,
    kind: KindOpt = None,
    partner: PartnerOpt = None,
    expiring_within: ExpiringOpt = None,
    q: TextOpt = None,
    unit: UnitOpt = None,
    coordinator: CoordinatorOpt = None,
    signed_after: SignedAfterOpt = None,
    signed_before: SignedBeforeOpt = None,
    renewal_type: RenewalTypeOpt = None,
    today: TodayOpt = None,
    comment: CommentOpt = None,
    on: OnOpt = None,
    actor: ActorOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Judge each one and report; change nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> int:
    """Fire TRIGGER on each agreement chosen (--ref or the list filters), each in its own
    transaction; exit 1 when any is refused (or, with --dry-run, would be)."""
    given = list_filters.chosen(
        state=state,
        kind=kind,
        partner=partner,
        expiring_within=expiring_within,
        q=q,
        unit=unit,
        coordinator=coordinator,
        signed_after=signed_after,
        signed_before=signed_before,
        renewal_type=renewal_type,
    )
    from workflow.agreements import bulk

    filters = {name: value for name, value in given.items() if value is not None}
    bulk.check_choice(ref or [], today is not None)
    trigger = bulk.check_trigger(trigger)
    on_day, who = parse_date(on, "--on"), actor_from(actor)
    with engine_scope() as engine:
        ids = bulk.choose(engine, refs=ref or [], filters=filters, today=today_from(today))
        results = bulk.advance_many(
            engine,
            ids,
            trigger,
            actor=who,
            today=datetime.now(UTC).date(),
            on=on_day,
            comment=comment,
            dry_run=dry_run,
        )
    refused = [r for r in results if r.reason is not None]
    if as_json:
        echo_json([asdict(r) for r in results])
    else:
        rows = [
            [r.slug, r.outcome, r.from_state, r.to_state or "-", str(r.version), r.reason or ""]
            for r in results
        ]
        typer.echo(table(rows, ["SLUG", "OUTCOME", "FROM", "TO", "VERSION", "REASON"]))
        done = bulk.WOULD_MOVE if dry_run else bulk.MOVED
        not_done = bulk.WOULD_BE_REFUSED if dry_run else bulk.REFUSED
        tail = "; dry run, nothing changed" if dry_run else ""
        typer.echo(f"{len(results) - len(refused)} {done}, {len(refused)} {not_done}{tail}")
    return 1 if refused else 0
