"""`accord agreements ...`: list, show, history and next moves (reads); advance and new (writes)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli import agreement_moves
from cli.common import (
    JsonFlag,
    Ref,
    TodayOpt,
    dash,
    echo_json,
    read_session,
    table,
    today_from,
    visible,
)
from workflow.agreements import queries

app = typer.Typer(
    help="Agreements: list, inspect and move them through their lifecycle.", no_args_is_help=True
)


@app.command("list")
def list_(
    state: Annotated[str | None, typer.Option(metavar="STATE", help="Only this state.")] = None,
    kind: Annotated[str | None, typer.Option(metavar="KIND", help="Only this kind.")] = None,
    partner: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="Partner: slug, short name or part of its name."),
    ] = None,
    expiring_within: Annotated[
        int | None,
        typer.Option(metavar="DAYS", help="Only those in force and expiring within DAYS."),
    ] = None,
    today: TodayOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """List agreements, optionally filtered."""
    listing = queries.list_agreements if as_json else queries.list_rows
    with read_session() as session:
        found = listing(
            session,
            today=today_from(today),
            state=state,
            kind=kind,
            partner=partner,
            expiring_within=expiring_within,
        )
    if as_json:
        echo_json(found)
        return
    if not found:
        typer.echo("no agreements match")
        return
    rows = [
        [str(a["id"]), a["slug"], a["state"], a["kind"], a["partner"], dash(a["expires_on"])]
        for a in found
    ]
    typer.echo(table(rows, ["ID", "SLUG", "STATE", "KIND", "PARTNER", "EXPIRES"]))


@app.command()
def show(ref: Ref, as_json: JsonFlag = False) -> None:
    """Show one agreement: parties, dates, terms and signatories, source, assumptions."""
    with read_session() as session:
        data = queries.show(session, ref)
    if as_json:
        echo_json(data)
    else:
        typer.echo(render(data))


def render(a: dict[str, Any]) -> str:
    """One agreement for a person to read."""
    fields = [
        ("id", a["id"]),
        ("title", a["title"]),
        ("kind", a["kind"]),
        ("state", f"{a['state']} (version {a['version']})"),
        ("parties", " / ".join(a["parties"])),
        ("partnership", a["partnership"]),
        ("owning unit", a["owning_unit"]),
        ("coordinator", a["coordinator"]),
        ("proposed", a["proposed_on"]),
        ("signed", a["signed_on"]),
        ("in force", f"{dash(a['effective_on'])} to {dash(a['expires_on'])}"),
        ("renewal opens", a["renewal_opens_on"]),
        ("term", f"{a['term_months']} months" if a["term_months"] else None),
        ("notice", f"{a['notice_days']} days" if a["notice_days"] else None),
    ]
    lines = [a["slug"]]
    for term in a["terms"]:
        signed_by = "; ".join(f"{s['name']} ({s['party']})" for s in term["signatories"])
        lines.append(
            f"  term {term['number']}: signed {term['signed_on']}, "
            f"{term['effective_on']} to {dash(term['expires_on'])}, by {signed_by}"
        )
    if a["source"]:
        lines.append(f"  source: {a['source']['headline']} ({a['source']['published']})")
    for key, why in a["assumptions"].items():
        if isinstance(why, str):  # other entries (a cited source) are shown above already
            lines.append(f"  assumed {key.removesuffix('_assumption')}: {why}")
    # The table escapes its own cells; every other line is escaped here.
    head = table([[f"  {k}:", dash(v)] for k, v in fields])
    return "\n".join([visible(lines[0]), head, *(visible(line) for line in lines[1:])])


@app.command("history")
def history_(ref: Ref, as_json: JsonFlag = False) -> None:
    """Every event of an agreement: when, who, trigger, from -> to, comment."""
    with read_session() as session:
        events = queries.history(session, ref)
    if as_json:
        echo_json(events)
        return
    rows = [
        [
            (e["at"] or "")[:10],
            e["actor"],
            e["trigger"],
            f"{e['from_state'] or '(new)'} -> {e['to_state']}",
            e["comment"] or "",
        ]
        for e in events
    ]
    typer.echo(table(rows))


@app.command()
def triggers(ref: Ref, today: TodayOpt = None) -> None:
    """The legal next moves, each with its guard's verdict as things stand."""
    day = today_from(today)
    with read_session() as session:
        state, verdicts = queries.next_moves(session, ref, day)
    if not verdicts:
        typer.echo(f"none: {state} is final")
        return
    rows = [
        [v.trigger, f"ok -> {v.dest}" if v.allowed else f"blocked: {v.reason}"] for v in verdicts
    ]
    typer.echo(table(rows))


# The writing commands live in their own module; listed after the reads in `--help`.
app.command("new")(agreement_moves.new)
app.command("advance")(agreement_moves.advance)
app.command("advance-many")(agreement_moves.advance_many)
