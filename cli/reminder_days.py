"""`accord reminders policy|offsets`: the days renewal reminders go out, per kind and per
agreement; a change re-plans the pending reminders it touches at once."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import TodayOpt, engine_scope, today_from
from workflow.agreements.proposals import parse_kind
from workflow.agreements.subject import load_subject_row
from workflow.errors import InvalidInput
from workflow.notices import reminders
from workflow.uow import UnitOfWork


def _offsets(value: str) -> list[int]:
    try:
        return [int(part) for part in value.replace(" ", "").split(",") if part]
    except ValueError:
        raise InvalidInput(
            f"offsets must be days separated by commas (e.g. 180,90,30,7), not {value!r}"
        ) from None


def policy(
    kind: Annotated[str, typer.Argument(help="agreement kind, e.g. mou")],
    set_: Annotated[
        str | None, typer.Option("--set", help="days before expiry, e.g. 120,30")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="back to the default")] = False,
    today: TodayOpt = None,
) -> None:
    """Show or set the reminder days of one agreement kind (agreements may override it); the
    pending reminders of its agreements follow at once."""
    if set_ is not None and clear:
        raise InvalidInput("give --set or --clear, not both")
    from workflow.settings import Settings  # pydantic-settings: paid by the commands that read it

    settings = Settings()
    parsed = parse_kind(kind)
    replanned = None
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        if set_ is not None or clear:
            replanned = reminders.set_policy(
                uow,
                parsed,
                None if clear else _offsets(set_ or ""),
                today=today_from(today),
                default=settings.reminder_offsets,
                catchup_days=settings.reminder_catchup_days,
            )
            uow.commit()
        days = reminders.kind_offsets(uow, parsed, settings.reminder_offsets)
    typer.echo(f"{parsed.value}: reminders {', '.join(map(str, days))} days before expiry")
    if replanned is not None:
        typer.echo(
            f"  {replanned.created} reminder(s) planned, {replanned.cancelled} withdrawn "
            "(`accord reminders due --today DATE` lists them)"
        )


def offsets(
    ref: Annotated[str, typer.Argument(help="agreement id or slug")],
    set_: Annotated[
        str | None, typer.Option("--set", help="days before expiry, e.g. 60,14")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="back to its kind's days")] = False,
    today: TodayOpt = None,
) -> None:
    """Show or override the reminder days of one agreement; its pending reminders follow."""
    if set_ is not None and clear:
        raise InvalidInput("give --set or --clear, not both")
    from workflow.settings import Settings  # pydantic-settings: paid by the commands that read it

    settings = Settings()
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        row = load_subject_row(uow, ref)
        if set_ is not None or clear:
            days = reminders.set_agreement_offsets(
                uow,
                row.id,
                None if clear else _offsets(set_ or ""),
                today=today_from(today),
                default=settings.reminder_offsets,
                catchup_days=settings.reminder_catchup_days,
            )
            uow.commit()
        else:
            days = reminders.offsets_for(uow, row.id, settings.reminder_offsets)
    typer.echo(f"{row.slug}: reminders {', '.join(map(str, days))} days before expiry")
