"""`accord agreements note | follow-up | follow-ups | done`: notes and follow-ups on agreements.

Neither is a move: the agreement's version stays as it was. Each write is one unit of work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from cli.common import (
    JsonFlag,
    Ref,
    TodayOpt,
    actor_from,
    echo_json,
    engine_scope,
    parse_date,
    read_session,
    table,
    today_from,
)
from workflow.errors import InvalidInput
from workflow.uow import UnitOfWork

ActorOpt = Annotated[
    str | None, typer.Option(metavar="NAME", help="Who writes it (default: $USER).")
]
TextArg = Annotated[str, typer.Argument(metavar="TEXT", help="What it says; may span lines.")]


def note(ref: Ref, text: TextArg, actor: ActorOpt = None, as_json: JsonFlag = False) -> None:
    """Add a dated note to the agreement's timeline (not a change: its version stays)."""
    from workflow.agreements import notes

    who = actor_from(actor)
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        added = notes.add_note(uow, ref, text, actor=who, now=datetime.now(UTC))
        uow.commit()
    if as_json:
        echo_json(added)
    else:
        typer.echo(f"note {added['id']} added to {added['agreement']}")


def follow_up(
    ref: Ref,
    text: TextArg,
    due: Annotated[str, typer.Option(metavar="DATE", help="The day it is due (YYYY-MM-DD).")],
    owner: Annotated[str, typer.Option(metavar="PERSON", help="Who does it: id or slug.")],
    actor: ActorOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Set a follow-up: PERSON is mailed on the due day until it is marked `done`."""
    from workflow.agreements import followups

    who = actor_from(actor)
    due_on = parse_date(due, "--due")
    assert due_on is not None
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        added = followups.add(
            uow,
            ref,
            due_on=due_on,
            owner=owner,
            text=text,
            actor=who,
            today=today_from(None),
            now=datetime.now(UTC),
        )
        uow.commit()
    if as_json:
        echo_json(added)
    else:
        typer.echo(
            f"follow-up {added['id']} on {added['agreement']}: {added['owner']} "
            f"by {added['due_on']}"
        )


def follow_ups(
    ref: Annotated[
        str | None,
        typer.Argument(metavar="[REF]", help="Only this agreement's (id, slug or title piece)."),
    ] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only those not done.")] = False,
    today: TodayOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """List follow-ups by due day, with their status: open, due today, overdue or done."""
    from workflow.agreements import followups

    day = today_from(today)
    with read_session() as session:
        found = followups.listing(session, today=day, ref=ref, open_only=open_only)
    if as_json:
        echo_json(found)
        return
    if not found:
        typer.echo("no follow-ups" + (" open" if open_only else ""))
        return
    typer.echo(
        table([_row(f) for f in found], ["ID", "AGREEMENT", "DUE", "OWNER", "STATUS", "TEXT"])
    )


def _row(f: dict[str, Any]) -> list[str]:
    state = f["status"]
    if state == "done":
        state = f"done {f['done_at'][:10]} by {f['done_by']}"
    return [str(f["id"]), f["agreement"], f["due_on"], f["owner"], state, first_line(f["text"])]


def first_line(text: str, width: int = 60) -> str:
    """The first line of a text, shortened to `width`; an ellipsis says there is more."""
    lines = text.splitlines() or [""]
    if len(lines[0]) > width:
        return lines[0][: width - 1] + "…"
    return lines[0] + ("…" if len(lines) > 1 else "")


def done(
    follow_up_id: Annotated[str, typer.Argument(metavar="ID", help="The follow-up's id.")],
    actor: ActorOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Mark a follow-up done; its mail, if not yet sent, is cancelled."""
    from workflow.agreements import followups

    who = actor_from(actor)
    key = followups.parse_id(follow_up_id)
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        marked = followups.done(uow, key, actor=who, today=today_from(None), now=datetime.now(UTC))
        uow.commit()
    if as_json:
        echo_json(marked)
    else:
        typer.echo(f"follow-up {marked['id']} on {marked['agreement']} done")


def history_row(e: dict[str, Any]) -> list[str]:
    """One timeline entry as `agreements history` prints it: day, who, what, how, text."""
    day = (e["at"] or "")[:10]
    if e["kind"] == "note":
        return [day, e["actor"], "note", "", e["text"]]
    if e["kind"] == "follow_up":
        what = f"follow-up {e['id']}" if e["action"] == "set" else f"done {e['id']}"
        return [day, e["actor"], what, f"due {e['due_on']} for {e['owner']}", e["text"]]
    raise InvalidInput(f"unknown timeline entry {e['kind']!r}")  # pragma: no cover
