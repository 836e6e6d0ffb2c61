"""`accord agreements edit`: change an agreement's record fields, as one entry in its history."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import JsonFlag, Ref, actor_from, echo_json, engine_scope, today_from, visible


def edit(
    ref: Ref,
    expect_version: Annotated[
        int,
        typer.Option(metavar="N", help="Refuse unless the agreement is at this version."),
    ],
    title: Annotated[str | None, typer.Option(metavar="TEXT", help="The title.")] = None,
    coordinator: Annotated[
        str | None, typer.Option(metavar="PERSON", help="Coordinator: slug or name; '' clears.")
    ] = None,
    unit: Annotated[
        str | None, typer.Option(metavar="UNIT", help="Owning unit: slug or name; '' clears.")
    ] = None,
    notice_days: Annotated[
        int | None, typer.Option(metavar="N", help="Notice period in days.")
    ] = None,
    term_months: Annotated[
        int | None, typer.Option(metavar="N", help="Term length in months.")
    ] = None,
    renewal_type: Annotated[
        str | None, typer.Option(metavar="TYPE", help="fixed, auto or open_ended.")
    ] = None,
    review_months: Annotated[
        int | None, typer.Option(metavar="N", help="Months between reviews (open-ended).")
    ] = None,
    summary: Annotated[
        str | None, typer.Option(metavar="TEXT", help="What the agreement is about; '' clears.")
    ] = None,
    actor: Annotated[
        str | None, typer.Option(metavar="NAME", help="Who edits (default: $USER).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Edit an agreement's fields: recorded in its history; approved content edited goes back
    to review; what was signed changes only by a move."""
    from dataclasses import asdict

    from sqlalchemy.orm import Session

    from workflow.agreements import queries
    from workflow.agreements.edits import Edit, edit_agreement
    from workflow.uow import UnitOfWork

    wanted = Edit(
        title=title,
        coordinator=coordinator,
        unit=unit,
        notice_days=notice_days,
        term_months=term_months,
        renewal_type=renewal_type,
        review_months=review_months,
        summary=summary,
    )
    with engine_scope() as engine:
        result = edit_agreement(
            UnitOfWork(engine),
            ref,
            wanted,
            actor=actor_from(actor),
            expect_version=expect_version,
            today=today_from(None),
        )
        if as_json:
            with Session(engine) as session:
                after = queries.show(session, result.agreement_id)
            echo_json({**asdict(result), "agreement": after})
            return
    if not result.changes:
        typer.echo(f"{result.slug}: nothing changed, version {result.version}")
        return
    for change in result.changes:
        for line in change_lines(change):
            typer.echo(visible(f"{result.slug}: {line}"))
    if result.revised:
        typer.echo(f"{result.slug}: changed after approval: back to {result.state}")
    typer.echo(f"{result.slug}: version {result.version}")


def shown(value: object) -> str:
    """A field's value in a change line: `(none)` for an empty field."""
    return "(none)" if value is None else str(value)


def change_lines(change: dict[str, object]) -> list[str]:
    """One change as a person reads it: `edited title: A → B`; a set of notes (the assumptions)
    one line per note that changed."""
    field, before, after = change["field"], change["before"], change["after"]
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            f"edited {field}.{key}: {shown(before.get(key))} → {shown(after.get(key))}"
            for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)
        ]
    return [f"edited {field}: {shown(before)} → {shown(after)}"]
