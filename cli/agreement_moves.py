"""The writing agreement commands: `advance` (one move) and `new` (a proposal); `advance-many`
is in `cli.agreement_bulk`.

Each opens one unit of work through the workflow service; the service validates, and nothing is
committed unless the whole move succeeded.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from cli.common import (
    JsonFlag,
    Ref,
    actor_from,
    echo_json,
    engine_scope,
    parse_date,
    today_from,
)
from workflow.agreements import moves, queries
from workflow.agreements.moves import SignatoryInput
from workflow.agreements.proposals import Proposal, check_slug, propose
from workflow.errors import InvalidInput
from workflow.uow import UnitOfWork

ActorOpt = Annotated[
    str | None, typer.Option(metavar="NAME", help="Who makes the move (default: $USER).")
]
CommentOpt = Annotated[
    str | None, typer.Option(metavar="TEXT", help="Why; some triggers require it.")
]
OnOpt = Annotated[
    str | None, typer.Option(metavar="DATE", help="The day it happened (YYYY-MM-DD).")
]
TriggerArg = Annotated[
    str, typer.Argument(metavar="TRIGGER", help="The trigger to fire (see `triggers REF`).")
]


def parse_signatories(values: list[str]) -> dict[str, SignatoryInput]:
    """`PARTY=NAME` pairs into the service's signatories; a party named twice is an error."""
    pairs = []
    for value in values:
        party, sep, name = value.partition("=")
        if not sep or not party.strip() or not name.strip():
            raise InvalidInput(f"--signatory expects PARTY=NAME, not {value!r}")
        pairs.append((party, name))
    return moves.signatory_inputs(pairs)


def advance(
    ref: Ref,
    trigger: TriggerArg,
    comment: CommentOpt = None,
    on: OnOpt = None,
    until: Annotated[
        str | None, typer.Option(metavar="DATE", help="End of the term signed (YYYY-MM-DD).")
    ] = None,
    signatory: Annotated[
        list[str] | None,
        typer.Option(metavar="PARTY=NAME", help="Who signs for a party (sign, renew)."),
    ] = None,
    effective: Annotated[
        str | None,
        typer.Option(
            metavar="DATE",
            help="renew: the day the new term takes effect (default: the day after the current "
            "term ends).",
        ),
    ] = None,
    party: Annotated[
        str | None,
        typer.Option(metavar="PARTY", help="give_notice: the party giving notice."),
    ] = None,
    actor: ActorOpt = None,
    expect_version: Annotated[
        int | None,
        typer.Option(metavar="N", help="Refuse unless the agreement is at this version."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Fire TRIGGER on an agreement: state, event and outbox row commit together or not at all."""
    on_day, until_day = parse_date(on, "--on"), parse_date(until, "--until")
    effective_day = parse_date(effective, "--effective")
    signatories = parse_signatories(signatory or [])
    moves.only_when_signing(trigger, signatories, until_day)
    with engine_scope() as engine:
        result = moves.advance(
            UnitOfWork(engine),
            ref,
            trigger.strip(),
            actor=actor_from(actor),
            today=datetime.now(UTC).date(),
            on=on_day,
            comment=comment,
            until=until_day,
            effective=effective_day,
            party=party,
            signatories=signatories,
            expect_version=expect_version,
            data={"via": "cli"},  # made by the local administrator, as --actor says
        )
        if as_json:
            with Session(engine) as session:
                after = queries.show(session, result.agreement_id)
            echo_json({**asdict(result), "agreement": after})
            return
    typer.echo(
        f"{result.slug}: {result.from_state} -> {result.to_state} ({result.trigger}), "
        f"version {result.version}"
    )


def new(
    home: Annotated[
        str, typer.Option(metavar="INSTITUTION", help="Home institution: slug, short name or name.")
    ],
    partner: Annotated[
        str,
        typer.Option(metavar="INSTITUTION", help="Partner institution: slug, short name or name."),
    ],
    kind: Annotated[str, typer.Option(metavar="KIND", help="Kind, e.g. mou, key_partnership.")],
    title: Annotated[str, typer.Option(metavar="TEXT", help="The agreement's title.")],
    unit: Annotated[
        str | None, typer.Option(metavar="UNIT", help="Owning unit: slug or name.")
    ] = None,
    coordinator: Annotated[
        str | None, typer.Option(metavar="PERSON", help="Coordinator: slug or name.")
    ] = None,
    proposed_on: Annotated[
        str | None, typer.Option(metavar="DATE", help="Proposal date (default today).")
    ] = None,
    term_months: Annotated[
        int | None, typer.Option(metavar="N", help="Term length in months.")
    ] = None,
    notice_days: Annotated[
        int | None, typer.Option(metavar="N", help="Notice period in days.")
    ] = None,
    renewal_type: Annotated[
        str,
        typer.Option(
            metavar="TYPE",
            help="fixed (ends unless renewed), auto (renews itself unless notice is given) or "
            "open_ended (no end date).",
        ),
    ] = "fixed",
    review_months: Annotated[
        int | None, typer.Option(metavar="N", help="open_ended: months between reviews.")
    ] = None,
    slug: Annotated[
        str | None, typer.Option(metavar="SLUG", help="Slug (default: from parties and title).")
    ] = None,
    comment: CommentOpt = None,
    actor: ActorOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Propose a new agreement between two institutions; it starts in `proposed`."""
    from workflow.settings import Settings

    today = today_from(None)
    check_slug(slug)
    proposal = Proposal(
        home=home,
        partner=partner,
        kind=kind,
        title=title,
        proposed_on=parse_date(proposed_on, "--proposed-on") or today,
        actor=actor_from(actor),
        today=today,
        unit=unit,
        coordinator=coordinator,
        term_months=term_months,
        notice_days=notice_days,
        renewal_type=renewal_type,
        review_months=review_months,
        renewal_window_days=Settings().renewal_window_days,
        slug=slug,
        comment=comment,
    )
    with engine_scope() as engine:
        with UnitOfWork(engine) as uow:
            agreement_id = propose(uow, proposal).id
            uow.commit()
        with Session(engine) as session:
            created = queries.show(session, agreement_id)
    if as_json:
        echo_json(created)
    else:
        typer.echo(
            f"{created['slug']}: proposed, version {created['version']} (id {created['id']})"
        )
