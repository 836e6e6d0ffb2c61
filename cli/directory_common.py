"""What the directory's commands share: their options, how a record's history is printed, and
the `delete` command."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli.common import actor_from, dash, engine_scope, table
from workflow.uow import UnitOfWork

ActorOpt = Annotated[
    str | None, typer.Option(metavar="NAME", help="Who makes the change (default: $USER).")
]
ExpectOpt = Annotated[
    int,
    typer.Option(
        "--expect-version",
        metavar="N",
        help="Refuse unless the record is at this version (see `show`).",
    ),
]
HistoryFlag = Annotated[
    bool, typer.Option("--history", help="Also list every change: who, when, before → after.")
]
QOpt = Annotated[str | None, typer.Option("--q", metavar="TEXT", help="Only those matching TEXT.")]
RecordRef = Annotated[str, typer.Argument(metavar="REF", help="The record's numeric id or slug.")]


def history_lines(entries: list[dict[str, Any]]) -> str:
    """A record's change log for a person to read, oldest first."""
    if not entries:
        return "history: no recorded changes"
    rows = [
        [
            str(e["version"]),
            e["at"],
            e["actor"],
            e["field"],
            f"{dash(e['before'])} → {dash(e['after'])}",
        ]
        for e in entries
    ]
    return "history:\n" + table(rows, ["VERSION", "AT", "BY", "FIELD", "BEFORE → AFTER"])


def delete_command(what: str) -> Any:
    """The `delete` command of one kind of record: refused while anything refers to it."""

    def delete(ref: RecordRef, expect_version: ExpectOpt, actor: ActorOpt = None) -> None:
        from workflow.directory.lookup import delete_record

        who = actor_from(actor)
        with engine_scope() as engine, UnitOfWork(engine) as uow:
            slug = delete_record(uow, what=what, ref=ref, expect_version=expect_version, actor=who)
            uow.commit()
        typer.echo(f"deleted {what} {slug}")

    article = "an" if what[0] in "aeiou" else "a"
    delete.__doc__ = f"Delete {article} {what} nothing refers to (the deletion is logged)."
    return delete
