"""`accord units list|show|add|edit`: an institution's schools, offices, hospitals and mailboxes."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli.common import JsonFlag, actor_from, dash, echo_json, engine_scope, table
from cli.directory_common import (
    ActorOpt,
    ExpectOpt,
    HistoryFlag,
    QOpt,
    RecordRef,
    delete_command,
    history_lines,
)
from workflow.uow import UnitOfWork

app = typer.Typer(help="Units: an institution's schools, offices, hospitals.", no_args_is_help=True)

KindOpt = Annotated[
    str | None,
    typer.Option(metavar="KIND", help="school, college, department, office, hospital or centre."),
]
EmailOpt = Annotated[
    str | None, typer.Option(metavar="ADDRESS", help="The unit's mailbox ('' clears).")
]


@app.command("list")
def list_(
    q: QOpt = None,
    institution: Annotated[
        str | None, typer.Option(metavar="REF", help="Only this institution's.")
    ] = None,
    country: Annotated[str | None, typer.Option(metavar="CC", help="Only this country.")] = None,
    kind: KindOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """List units, optionally filtered by text, institution, country and kind."""
    from workflow.directory.units import list_units

    with engine_scope() as engine, UnitOfWork(engine) as uow:
        found = list_units(uow, q=q, institution=institution, country=country, kind=kind)
    if as_json:
        echo_json(found)
        return
    if not found:
        typer.echo("no units match")
        return
    rows = [[str(u["id"]), u["slug"], u["name"], u["kind"], u["institution"]] for u in found]
    typer.echo(table(rows, ["ID", "SLUG", "NAME", "KIND", "INSTITUTION"]))


@app.command()
def show(ref: RecordRef, history: HistoryFlag = False, as_json: JsonFlag = False) -> None:
    """Show one unit with its people and the agreements it owns."""
    from workflow.directory.units import show_unit

    with engine_scope() as engine, UnitOfWork(engine) as uow:
        data = show_unit(uow, ref=ref, history=history)
    if as_json:
        echo_json(data)
    else:
        typer.echo(render(data))


def render(u: dict[str, Any]) -> str:
    """One unit for a person to read."""
    lines = [
        f"{u['name']} ({u['slug']}, id {u['id']}, version {u['version']})",
        f"  {u['kind']} of {u['institution']}   mailbox: {dash(u['email'])}",
        "people: " + (", ".join(p["name"] for p in u["people"]) or "-"),
        "agreements: " + (", ".join(a["slug"] for a in u["agreements"]) or "-"),
    ]
    if "history" in u:
        lines.append(history_lines(u["history"]))
    return "\n".join(lines)


@app.command()
def add(
    slug: Annotated[str, typer.Argument(metavar="SLUG", help="e.g. tud-intl-office")],
    institution: Annotated[str, typer.Option(metavar="REF", help="Whose unit it is.")],
    name: Annotated[str, typer.Option(metavar="TEXT", help="Its name.")],
    kind: Annotated[str, typer.Option(metavar="KIND", help="school, office, hospital, …")],
    email: EmailOpt = None,
    actor: ActorOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a unit to an institution (version 1); the fields it starts with are logged."""
    from workflow.directory import units

    who = actor_from(actor)
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        units.add(
            uow, actor=who, slug=slug, institution=institution, name=name, kind=kind, email=email
        )
        uow.commit()
        data = units.show_unit(uow, ref=slug.strip())
    if as_json:
        echo_json(data)
    else:
        typer.echo(f"added unit {data['slug']} (id {data['id']}, version 1)")


@app.command()
def edit(
    ref: RecordRef,
    expect_version: ExpectOpt,
    name: Annotated[str | None, typer.Option(metavar="TEXT", help="Its name.")] = None,
    kind: KindOpt = None,
    email: EmailOpt = None,
    actor: ActorOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Change fields of a unit at --expect-version; each change is logged."""
    from workflow.directory import units

    who = actor_from(actor)
    values = {"name": name, "kind": kind, "email": email}
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        slug, version = units.edit(
            uow, ref=ref, expect_version=expect_version, actor=who, values=values
        )
        uow.commit()
        data = units.show_unit(uow, ref=slug)
    if as_json:
        echo_json(data)
    else:
        typer.echo(f"unit {slug} is at version {version}")


app.command("delete")(delete_command("unit"))
