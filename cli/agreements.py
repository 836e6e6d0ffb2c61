"""`accord agreements ...`: list, show, history and next moves (reads); advance and new (writes)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli import agreement_bulk, agreement_edits, agreement_moves, agreement_notes, list_filters
from cli.common import (
    JsonFlag,
    Ref,
    TodayOpt,
    csv_text,
    dash,
    echo_json,
    read_session,
    table,
    today_from,
    visible,
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
from workflow.agreements import queries
from workflow.errors import InvalidInput

app = typer.Typer(
    help="Agreements: list, inspect and move them through their lifecycle.", no_args_is_help=True
)


@app.command("list")
def list_(
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
    sort: Annotated[
        str | None,
        typer.Option(
            metavar="FIELD",
            help="id, slug, state, proposed_on, signed_on, expires_on; -FIELD descending.",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(metavar="N", help="At most N rows (1-200); default all.")
    ] = None,
    after: Annotated[
        str | None, typer.Option(metavar="CURSOR", help="The page after this cursor.")
    ] = None,
    today: TodayOpt = None,
    as_json: JsonFlag = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print the table's rows as CSV.")] = False,
) -> None:
    """List agreements, optionally filtered, sorted and paged."""
    if as_json and as_csv:
        raise InvalidInput("--json and --csv: give one of them")
    with read_session() as session:
        found = queries.page(
            session,
            full=as_json,
            limit=limit,
            after=after,
            today=today_from(today),
            sort=sort,
            **list_filters.chosen(
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
            ),
        )
    if as_json:  # a bare array unless paged: what scripts written before pages read
        echo_json(found.items if limit is None else {"items": found.items, "next": found.next})
        return
    if as_csv:
        rows = [_cells(a, _CSV_COLUMNS) for a in found.items]
        typer.echo(csv_text(_CSV_COLUMNS, rows), nl=False)
        if found.next:  # stdout stays plain CSV
            typer.echo(f"next page: --after {found.next}", err=True)
        return
    if not found.items:
        typer.echo("no agreements match")
        return
    typer.echo(table([[dash(c) for c in _cells(a, _COLUMNS)] for a in found.items], _HEADER))
    if found.next:
        typer.echo(f"next page: --after {found.next}")


_COLUMNS = ("id", "slug", "state", "kind", "partner", "expires_on")
_CSV_COLUMNS = (*_COLUMNS, "renewal_type")
_HEADER = ["ID", "SLUG", "STATE", "KIND", "PARTNER", "EXPIRES"]


def _cells(row: dict[str, Any], columns: tuple[str, ...]) -> list[str]:
    return [str(row[c]) if c == "id" else row[c] or "" for c in columns]


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
        ("renewal type", a["renewal_type"]),
        ("notice by", a["notice_deadline"]),
        ("review every", f"{a['review_months']} months" if a["review_months"] else None),
        ("review due", a["review_due_on"]),
        ("approval", approval_line(a)),
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
    if a.get("summary"):
        lines.append(f"  summary: {a['summary']}")
    for key, why in a["assumptions"].items():
        if isinstance(why, str):  # other entries (a cited source) are shown above already
            lines.append(f"  assumed {key.removesuffix('_assumption')}: {why}")
    # The table escapes its own cells; every other line is escaped here.
    head = table([[f"  {k}:", dash(v)] for k, v in fields])
    return "\n".join([visible(lines[0]), head, *(visible(line) for line in lines[1:])])


def approval_line(a: dict[str, Any]) -> str | None:
    """The approved content's hash against the content's hash now, and whether they match."""
    approved, current = a.get("approved_hash"), a.get("content_hash")
    if not approved:
        return None
    if approved == current:
        return f"{approved[:12]} (matches the content now)"
    return f"{approved[:12]} (differs: the content now is {str(current)[:12]})"


@app.command("history")
def history_(ref: Ref, as_json: JsonFlag = False) -> None:
    """Every event, note and follow-up of an agreement, by time: when, who, what, comment."""
    from workflow.agreements.notes import timeline

    with read_session() as session:
        events = timeline(session, ref)
    if as_json:
        echo_json(events)
        return
    rows: list[list[str]] = []
    for e in events:
        if e["kind"] != "event":
            rows.append(agreement_notes.history_row(e))
            continue
        notes = [line for c in e["changes"] for line in agreement_edits.change_lines(c)]
        notes = notes or [e["comment"] or ""]
        rows.append(
            [
                (e["at"] or "")[:10],
                e["actor"],
                e["trigger"],
                f"{e['from_state'] or '(new)'} -> {e['to_state']}",
                notes[0],
            ]
        )
        rows += [["", "", "", "", note] for note in notes[1:]]  # an edit's further changes
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
app.command("advance-many")(agreement_bulk.advance_many)
app.command("edit")(agreement_edits.edit)
app.command("note")(agreement_notes.note)
app.command("follow-up")(agreement_notes.follow_up)
app.command("follow-ups")(agreement_notes.follow_ups)
app.command("done")(agreement_notes.done)
