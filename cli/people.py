"""`accord people list|show|add|edit`: signatories, coordinators and contacts."""

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

app = typer.Typer(help="People: signatories, coordinators, contacts.", no_args_is_help=True)

UnitOpt = Annotated[
    str | None, typer.Option(metavar="REF", help="Their unit, of their institution ('' clears).")
]
TitleOpt = Annotated[str | None, typer.Option(metavar="TEXT", help="e.g. Vice-President.")]
EmailOpt = Annotated[str | None, typer.Option(metavar="ADDRESS", help="E-mail ('' clears).")]
RoleOpt = Annotated[
    str | None, typer.Option("--role", metavar="TEXT", help="What they do for the partnerships.")
]


@app.command("list")
def list_(
    q: QOpt = None,
    institution: Annotated[
        str | None, typer.Option(metavar="REF", help="Only this institution's.")
    ] = None,
    country: Annotated[str | None, typer.Option(metavar="CC", help="Only this country.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List people, optionally filtered by text, institution and country."""
    from workflow.directory.people import list_people

    with engine_scope() as engine, UnitOfWork(engine) as uow:
        found = list_people(uow, q=q, institution=institution, country=country)
    if as_json:
        echo_json(found)
        return
    if not found:
        typer.echo("no people match")
        return
    rows = [
        [str(p["id"]), p["name"], dash(p["email"]), p["institution"], dash(p["unit"]), _mark(p)]
        for p in found
    ]
    typer.echo(table(rows, ["ID", "NAME", "EMAIL", "INSTITUTION", "UNIT", ""]))


def _mark(person: dict[str, Any]) -> str:
    return "" if person["active"] else "inactive"


@app.command()
def show(ref: RecordRef, history: HistoryFlag = False, as_json: JsonFlag = False) -> None:
    """Show one person."""
    from workflow.directory.people import show_person

    with engine_scope() as engine, UnitOfWork(engine) as uow:
        data = show_person(uow, ref=ref, history=history)
    if as_json:
        echo_json(data)
    else:
        typer.echo(render(data))


def render(p: dict[str, Any]) -> str:
    """One person for a person to read."""
    lines = [
        f"{p['name']} ({p['slug']}, id {p['id']}, version {p['version']})"
        + ("" if p["active"] else " — inactive"),
        f"  {dash(p['title'])}, {p['institution']}   unit: {dash(p['unit'])}",
        f"  e-mail: {dash(p['email'])}   role: {dash(p['role_description'])}",
    ]
    agreements = p.get("agreements", [])
    lines.append(f"  agreements ({len(agreements)}):")
    lines += [
        f"    {a['slug']}  {a['state']}  {', '.join(a['roles'])}  {a['title']}" for a in agreements
    ]
    for s in p.get("partnerships", []):
        lines.append(f"  {s['role']} for partnership {s['slug']}")
    if "history" in p:
        lines.append(history_lines(p["history"]))
    return "\n".join(lines)


@app.command()
def add(
    slug: Annotated[str, typer.Argument(metavar="SLUG", help="e.g. ann-lee")],
    name: Annotated[str, typer.Option(metavar="TEXT", help="Their name.")],
    institution: Annotated[str, typer.Option(metavar="REF", help="Where they work.")],
    unit: UnitOpt = None,
    title: TitleOpt = None,
    email: EmailOpt = None,
    role: RoleOpt = None,
    actor: ActorOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a person (version 1); the fields they start with are logged."""
    from workflow.directory import people

    who = actor_from(actor)
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        new_id = people.add(
            uow,
            actor=who,
            slug=slug,
            name=name,
            institution=institution,
            unit=unit,
            title=title,
            email=email,
            role_description=role,
        )
        uow.commit()
        data = people.show_person(uow, ref=str(new_id))
    if as_json:
        echo_json(data)
    else:
        typer.echo(f"added person {data['slug']} (id {data['id']}, version 1)")


@app.command()
def edit(
    ref: RecordRef,
    expect_version: ExpectOpt,
    name: Annotated[str | None, typer.Option(metavar="TEXT", help="Their name.")] = None,
    institution: Annotated[str | None, typer.Option(metavar="REF", help="Where they work.")] = None,
    unit: UnitOpt = None,
    title: TitleOpt = None,
    email: EmailOpt = None,
    role: RoleOpt = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Still a contact, or no longer.")
    ] = None,
    actor: ActorOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Change fields of a person at --expect-version; each change is logged."""
    from workflow.directory import people

    who = actor_from(actor)
    values = {
        "name": name,
        "title": title,
        "email": email,
        "role_description": role,
        "active": active,
    }
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        slug, version = people.edit(
            uow,
            ref=ref,
            expect_version=expect_version,
            actor=who,
            values=values,
            institution=institution,
            unit=unit,
        )
        uow.commit()
        data = people.show_person(uow, ref=slug)
    if as_json:
        echo_json(data)
    else:
        typer.echo(f"person {slug} is at version {version}")


app.command("delete")(delete_command("person"))
