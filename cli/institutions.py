"""`accord institutions list|show|add|edit`: the universities, companies and other parties."""

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

app = typer.Typer(help="Institutions: the parties to agreements.", no_args_is_help=True)

NameOpt = Annotated[str | None, typer.Option(metavar="TEXT", help="Full name.")]
ShortOpt = Annotated[str | None, typer.Option(metavar="TEXT", help="Short name ('' clears).")]
KindOpt = Annotated[str | None, typer.Option(metavar="KIND", help="university, company or other.")]
CountryOpt = Annotated[
    str | None, typer.Option(metavar="CC", help="ISO 3166 alpha-2 country code (DE, CN).")
]
CityOpt = Annotated[str | None, typer.Option(metavar="TEXT", help="City ('' clears).")]
ZoneOpt = Annotated[
    str | None,
    typer.Option("--time-zone", metavar="ZONE", help="IANA time zone, e.g. Asia/Shanghai."),
]
FoundedOpt = Annotated[int | None, typer.Option(metavar="YEAR", help="Year founded.")]
WebsiteOpt = Annotated[str | None, typer.Option(metavar="URL", help="https://… ('' clears).")]


@app.command("list")
def list_(
    q: QOpt = None,
    country: Annotated[str | None, typer.Option(metavar="CC", help="Only this country.")] = None,
    kind: Annotated[str | None, typer.Option(metavar="KIND", help="Only this kind.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List institutions, optionally filtered by text, country and kind."""
    from workflow.directory.institution_views import list_institutions

    with engine_scope() as engine, UnitOfWork(engine) as uow:
        found = list_institutions(uow, q=q, country=country, kind=kind)
    if as_json:
        echo_json(found)
        return
    if not found:
        typer.echo("no institutions match")
        return
    rows = [
        [str(i["id"]), i["slug"], i["name"], i["kind"], i["country"], dash(i["city"]), _mark(i)]
        for i in found
    ]
    typer.echo(table(rows, ["ID", "SLUG", "NAME", "KIND", "COUNTRY", "CITY", ""]))


def _mark(record: dict[str, Any]) -> str:
    return "" if record["active"] else "inactive"


@app.command()
def show(ref: RecordRef, history: HistoryFlag = False, as_json: JsonFlag = False) -> None:
    """Show one institution with its units, people, partnerships and agreements."""
    from workflow.directory.institution_views import show_institution

    with engine_scope() as engine, UnitOfWork(engine) as uow:
        data = show_institution(uow, ref=ref, history=history)
    if as_json:
        echo_json(data)
    else:
        typer.echo(render(data))


def render(i: dict[str, Any]) -> str:
    """One institution for a person to read."""
    lines = [
        f"{i['name']} ({i['slug']}, id {i['id']}, version {i['version']})"
        + ("" if i["active"] else " — inactive"),
        f"  short name: {dash(i['short_name'])}   kind: {i['kind']}",
        f"  where: {dash(i['city'])}, {i['country']}   time zone: {dash(i['timezone'])}",
        f"  founded: {dash(i['founded'])}   website: {dash(i['website'])}",
        "units: " + (", ".join(u["slug"] for u in i["units"]) or "-"),
        "people: " + (", ".join(p["name"] for p in i["people"]) or "-"),
        "partnerships: " + (", ".join(p["slug"] for p in i["partnerships"]) or "-"),
        "agreements: " + (", ".join(f"{a['slug']} ({a['state']})" for a in i["agreements"]) or "-"),
    ]
    if "history" in i:
        lines.append(history_lines(i["history"]))
    return "\n".join(lines)


@app.command()
def add(
    slug: Annotated[str, typer.Argument(metavar="SLUG", help="e.g. tu-delft")],
    name: Annotated[str, typer.Option(metavar="TEXT", help="Full name.")],
    kind: Annotated[str, typer.Option(metavar="KIND", help="university, company or other.")],
    country: Annotated[str, typer.Option(metavar="CC", help="ISO 3166 alpha-2 code (DE, CN).")],
    short_name: ShortOpt = None,
    city: CityOpt = None,
    time_zone: ZoneOpt = None,
    founded: FoundedOpt = None,
    website: WebsiteOpt = None,
    actor: ActorOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Add an institution (version 1); the fields it starts with are logged."""
    from workflow.directory import institutions
    from workflow.directory.institution_views import show_institution

    who = actor_from(actor)
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        institutions.add(
            uow,
            actor=who,
            slug=slug,
            name=name,
            kind=kind,
            country=country,
            short_name=short_name,
            city=city,
            time_zone=time_zone,
            founded=founded,
            website=website,
        )
        uow.commit()
        data = show_institution(uow, ref=slug.strip())
    if as_json:
        echo_json(data)
    else:
        typer.echo(f"added institution {data['slug']} (id {data['id']}, version 1)")


@app.command()
def edit(
    ref: RecordRef,
    expect_version: ExpectOpt,
    name: NameOpt = None,
    short_name: ShortOpt = None,
    kind: KindOpt = None,
    country: CountryOpt = None,
    city: CityOpt = None,
    time_zone: ZoneOpt = None,
    founded: FoundedOpt = None,
    website: WebsiteOpt = None,
    active: Annotated[
        bool | None,
        typer.Option("--active/--inactive", help="Mark it in use, or no longer in use."),
    ] = None,
    actor: ActorOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Change fields of an institution at --expect-version; each change is logged."""
    from workflow.directory import institutions
    from workflow.directory.institution_views import show_institution

    who = actor_from(actor)
    values = {
        "name": name,
        "short_name": short_name,
        "kind": kind,
        "country": country,
        "city": city,
        "time_zone": time_zone,
        "founded": founded,
        "website": website,
        "active": active,
    }
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        slug, version = institutions.edit(
            uow, ref=ref, expect_version=expect_version, actor=who, values=values
        )
        uow.commit()
        data = show_institution(uow, ref=slug)
    if as_json:
        echo_json(data)
    else:
        typer.echo(f"institution {slug} is at version {version}")


app.command("delete")(delete_command("institution"))
