"""The options that choose agreements, shared by `agreements list` and `advance-many`.

Both commands take the same filters with the same names and help, and hand them to
`workflow.agreements.filters` the same way (`chosen`), so what `list` shows is what
`advance-many` moves.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli.common import parse_date

StateOpt = Annotated[str | None, typer.Option(metavar="STATE", help="Only this state.")]
KindOpt = Annotated[str | None, typer.Option(metavar="KIND", help="Only this kind.")]
PartnerOpt = Annotated[
    str | None,
    typer.Option(metavar="TEXT", help="Partner: slug, short name or part of its name."),
]
ExpiringOpt = Annotated[
    int | None,
    typer.Option(metavar="DAYS", help="Only those in force and expiring within DAYS."),
]
TextOpt = Annotated[
    str | None,
    typer.Option(
        "--q", metavar="TEXT", help="Text in the title, slug, parties or coordinator's name."
    ),
]
UnitOpt = Annotated[str | None, typer.Option(metavar="SLUG", help="Owning unit.")]
CoordinatorOpt = Annotated[
    str | None, typer.Option(metavar="TEXT", help="Coordinator: piece of name or slug.")
]
SignedAfterOpt = Annotated[
    str | None, typer.Option(metavar="DATE", help="Signed on or after DATE.")
]
SignedBeforeOpt = Annotated[
    str | None, typer.Option(metavar="DATE", help="Signed on or before DATE.")
]
RenewalTypeOpt = Annotated[
    str | None,
    typer.Option(metavar="TYPE", help="Only this renewal type: fixed, auto or open_ended."),
]


def chosen(
    *,
    state: str | None,
    kind: str | None,
    partner: str | None,
    expiring_within: int | None,
    q: str | None,
    unit: str | None,
    coordinator: str | None,
    signed_after: str | None,
    signed_before: str | None,
    renewal_type: str | None,
) -> dict[str, Any]:
    """The filters given (None for those not), dates parsed, as `filters.where` takes them."""
    return {
        "state": state,
        "kind": kind,
        "partner": partner,
        "expiring_within": expiring_within,
        "q": q,
        "unit": unit,
        "coordinator": coordinator,
        "signed_after": parse_date(signed_after, "--signed-after"),
        "signed_before": parse_date(signed_before, "--signed-before"),
        "renewal_type": renewal_type,
    }
