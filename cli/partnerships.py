"""`accord partnerships list|show|add|edit`: home and partner, since when, how often they meet."""

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

app = typer.Typer(help="Partnerships: a home institution and one partner.", no_args_is_help=True)

SinceOpt = Annotated[int | None, typer.Option(metavar="YEAR", help="Cooperating since.")]
CadenceOpt = Annotated[
    str | None,
    typer.Option(metavar="CADENCE", help="annual, semiannual or biennial ('' clears)."),
]
MonthOpt = Annotated[int | None, typer.Option(metavar="1-12", help="Month of the meeting.")]
HomeContactOpt = Annotated[
    str | None, typer.Option(metavar="PERSON", help="Home contact ('' clears).")
]
PartnerContactOpt = Annotated[
    str | None, typer.Option(metavar="PERSON", help="Partner contact ('' clears).")
]
SummaryOpt = Annotated[str | None, typer.Option(metavar="TEXT", help="What it is about.")]


@app.command("list")
def list_(
    q: QOpt = None,
    institution: Annotated[
        str | None, typer.Option(metavar="REF", help="Only those it is home or partner in.")
    ] = None,
    country: Annotated[
        str | None, typer.Option(metavar="CC", help="Only partners in this country.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(metavar="KIND", help="Only this partner kind.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """List partnerships, optionally filtered by text, institution, partner country and kind."""
    from workflow.directory.partnership_views import list_partnerships

    with engine_scope() as engine, UnitOfWork(engine) as uow:
        found = list_partnerships(uow, q=q, institution=institution, country=country, kind=kind)
    if as_json:
        echo_json(found)
        return
    if not found:
        typer.echo("no partnerships match")
        return
    rows = [
        [p["slug"], p["home"], p["partner"], dash(p["since"]), dash(p["meeting_cadence"])]
        for p in found
    ]
    typer.echo(table(rows, ["SLUG", "HOME", "PARTNER", "SINCE", "MEETS"]))


@app.command()
def show(ref: RecordRef, history: HistoryFlag = False, as_json: JsonFlag = False) -> None:
    """Show one partnership with its agreements, milestones and meetings."""
    from workflow.directory.partnership_views import show_partnership

    with engine_scope() as engine, UnitOfWork(engine) as uow:
        data = show_partnership(uow, ref=ref, history=history)
    if as_json:
        echo_json(data)
    else:
        typer.echo(render(data))


def render(p: dict[str, Any]) -> str:
    """One partnership for a person to read."""
    lines = [
        f"{p['home']} – {p['partner']} ({p['slug']}, id {p['id']}, version {p['version']})",
        f"  since: {dash(p['since'])}   meets: {dash(p['meeting_cadence'])}"
        f" (month {dash(p['meeting_month'])})",
        f"  contacts: {dash(p['home_contact'])} / {dash(p['partner_contact'])}",
        f"  summary: {dash(p['summary'])}",
        "agreements: " + (", ".join(f"{a['slug']} ({a['state']})" for a in p["agreements"]) or "-"),
        "milestones: " + ("; ".join(f"{m['on']} {m['title']}" for m in p["milestones"]) or "-"),
        "meetings: " + ("; ".join(f"{m['starts_at']} {m['title']}" for m in p["meetings"]) or "-"),
    ]
    if "history" in p:
        lines.append(history_lines(p["history"]))
    return "\n".join(lines)


@app.command()
def add(
    home: Annotated[str, typer.Option(metavar="REF", help="The home institution.")],
    partner: Annotated[str, typer.Option(metavar="REF", help="The partner institution.")],
    slug: Annotated[
        str | None, typer.Option(metavar="SLUG", help="Default: from the two short names.")
    ] = None,
    since: SinceOpt = None,
    meeting_cadence: CadenceOpt = None,
    meeting_month: MonthOpt = None,
    home_contact: HomeContactOpt = None,
    partner_contact: PartnerContactOpt = None,
    summary: SummaryOpt = None,
    actor: ActorOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a partnership (version 1); the fields it starts with are logged."""
    from workflow.directory import partnerships
    from workflow.directory.partnership_views import show_partnership

    who = actor_from(actor)
    values = {
        "since": since,
        "meeting_cadence": meeting_cadence,
        "meeting_month": meeting_month,
        "summary": summary,
    }
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        made = partnerships.add(
            uow,
            actor=who,
            home=home,
            partner=partner,
            slug=slug,
            values=values,
            home_contact=home_contact,
            partner_contact=partner_contact,
        )
        uow.commit()
        data = show_partnership(uow, ref=made)
    if as_json:
        echo_json(data)
    else:
        typer.echo(f"added partnership {made} (id {data['id']}, version 1)")


@app.command()
def edit(
    ref: RecordRef,
    expect_version: ExpectOpt,
    since: SinceOpt = None,
    meeting_cadence: CadenceOpt = None,
    meeting_month: MonthOpt = None,
    home_contact: HomeContactOpt = None,
    partner_contact: PartnerContactOpt = None,
    summary: SummaryOpt = None,
    actor: ActorOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Change fields of a partnership at --expect-version; each change is logged."""
    from workflow.directory import partnerships
    from workflow.directory.partnership_views import show_partnership

    who = actor_from(actor)
    values = {
        "since": since,
        "meeting_cadence": meeting_cadence,
        "meeting_month": meeting_month,
        "summary": summary,
    }
    with engine_scope() as engine, UnitOfWork(engine) as uow:
        slug, version = partnerships.edit(
            uow,
            ref=ref,
            expect_version=expect_version,
            actor=who,
            values=values,
            home_contact=home_contact,
            partner_contact=partner_contact,
        )
        uow.commit()
        data = show_partnership(uow, ref=slug)
    if as_json:
        echo_json(data)
    else:
        typer.echo(f"partnership {slug} is at version {version}")


app.command("delete")(delete_command("partnership"))
