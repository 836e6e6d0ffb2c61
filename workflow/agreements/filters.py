"""What `agreements list` and `advance-many` select by: each filter as SQL clauses.

`where` checks the filters given (one line naming what is wrong) and returns a `Selection`: the
*shape* (which clauses) and the values for their bound parameters. The clauses of a shape are
built once and reused, so a listing does not rebuild the same SQL expression on every call and
SQLAlchemy finds the statement it compiled before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from models import Agreement, AgreementParty, Institution, Partnership, Person, Unit
from workflow.agreements import listing
from workflow.agreements.proposals import parse_kind
from workflow.errors import InvalidInput, NotFound
from workflow.lifecycle import IN_FORCE, RenewalType, State

A = Agreement.__table__.c
_PARTY = AgreementParty.__table__.c
_INSTITUTION = Institution.__table__.c
_PERSON = Person.__table__.c


def parse_state(value: str) -> State:
    """A lifecycle state from its name, or an error listing the states."""
    try:
        return State(value.strip().lower())
    except ValueError:
        states = ", ".join(s.value for s in State)
        raise InvalidInput(f"unknown state {value!r}; states: {states}") from None


def parse_renewal_type(value: str) -> RenewalType:
    """A renewal type from its name (`open-ended` as well as `open_ended`), or an error listing
    the renewal types."""
    try:
        return RenewalType(value.strip().lower().replace("-", "_"))
    except ValueError:
        types = ", ".join(t.value for t in RenewalType)
        raise InvalidInput(f"--renewal-type {value!r}: give one of {types}") from None


def partner_ids(session: Session, text: str) -> list[int]:
    """Institutions whose slug or short name is `text`, or whose name contains it (any case)."""
    wanted = text.strip().casefold()
    if not wanted:
        raise InvalidInput("--partner is empty: give a slug, short name or part of a name")
    ids = session.scalars(
        select(Institution.id).where(
            or_(
                func.lower(Institution.slug) == wanted,
                func.lower(Institution.short_name) == wanted,
                func.lower(Institution.name).contains(wanted, autoescape=True),
            )
        )
    ).all()
    if not ids:
        raise NotFound(f"no partner matching {text!r}: give a slug, short name or part of a name")
    return list(ids)


@dataclass(frozen=True)
class Selection:
    """The filters given: which clauses (`shape`), their parameters and the sort."""

    shape: tuple[str, ...]
    params: dict[str, Any]
    sort: listing.Sort

    def clauses(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses, with bound parameters (`params` holds their values)."""
        return list(_clauses(self.shape))


def where(
    session: Session,
    *,
    today: date,
    state: str | None = None,
    kind: str | None = None,
    partner: str | None = None,
    expiring_within: int | None = None,
    q: str | None = None,
    unit: str | None = None,
    coordinator: str | None = None,
    signed_after: date | None = None,
    signed_before: date | None = None,
    renewal_type: str | None = None,
    sort: str | None = None,
) -> Selection:
    """The selection of a listing with every filter given (soonest expiry first by default
    when --expiring-within is given, else by id)."""
    params: dict[str, Any] = {}
    if state is not None:
        params["state"] = parse_state(state)
    if kind is not None:
        params["kind"] = parse_kind(kind)
    if partner is not None:
        params["partner_ids"] = partner_ids(session, partner)
    if expiring_within is not None:
        if expiring_within < 0:
            raise InvalidInput(f"--expiring-within must be 0 or more days, not {expiring_within}")
        horizon = today + timedelta(days=min(expiring_within, (date.max - today).days))
        params |= {"expiring_from": today, "expiring_to": horizon}
    if q is not None:
        params["q"] = _like(_piece(q, "--q"))
    if unit is not None:
        params["unit"] = _piece(unit, "--unit")
    if coordinator is not None:
        params["coordinator_ids"] = coordinator_ids(session, coordinator)
    if signed_after is not None and signed_before is not None and signed_after > signed_before:
        raise InvalidInput(
            f"--signed-after {signed_after} is later than --signed-before {signed_before}:"
            " swap them"
        )
    if signed_after is not None:
        params["signed_after"] = signed_after
    if signed_before is not None:
        params["signed_before"] = signed_before
    if renewal_type is not None:
        params["renewal_type"] = parse_renewal_type(renewal_type)
    chosen = listing.parse_sort(sort, "expires_on" if expiring_within is not None else "id")
    return Selection(tuple(name for name in _BUILDERS if name in params), params, chosen)


def _piece(text: str, option: str) -> str:
    wanted = text.strip().casefold()
    if not wanted:
        raise InvalidInput(f"{option} is empty: give a piece of text to look for")
    return wanted


def _like(wanted: str) -> str:
    """The text as a LIKE pattern's middle: / escapes / % and _, which match themselves."""
    return wanted.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _contains(column: Any, key: str) -> ColumnElement[bool]:
    """Case-insensitive substring match of the (escaped) text bound as `key`."""
    result: ColumnElement[bool] = func.lower(column).contains(bindparam(key), escape="/")
    return result


def _text() -> ColumnElement[bool]:
    """`--q`: the text in the title, slug, a party's name, short name or slug, or the
    coordinator's name."""
    party = exists().where(
        _PARTY.agreement_id == A.id,
        _INSTITUTION.id == _PARTY.institution_id,
        or_(*(_contains(c, "q") for c in (_INSTITUTION.name, _INSTITUTION.short_name))),
    )
    party_slug = exists().where(
        _PARTY.agreement_id == A.id,
        _INSTITUTION.id == _PARTY.institution_id,
        _contains(_INSTITUTION.slug, "q"),
    )
    coordinator = exists().where(_PERSON.id == A.coordinator_id, _contains(_PERSON.name, "q"))
    return or_(_contains(A.title, "q"), _contains(A.slug, "q"), party, party_slug, coordinator)


def coordinator_ids(session: Session, text: str) -> list[int]:
    """`--coordinator`: the people whose name or slug holds the text."""
    wanted = _piece(text, "--coordinator")
    ids = session.scalars(
        select(Person.id).where(
            or_(
                *(
                    func.lower(c).contains(wanted, autoescape=True)
                    for c in (Person.name, Person.slug)
                )
            )
        )
    ).all()
    if not ids:
        raise NotFound(f"no person matching {text!r}: give a piece of a person's name or slug")
    return list(ids)


# Each filter's clauses, in the order they are applied; the parameter named by the key.
_BUILDERS: dict[str, Callable[[], list[ColumnElement[bool]]]] = {
    "state": lambda: [A.state == bindparam("state")],
    "kind": lambda: [A.kind == bindparam("kind")],
    "partner_ids": lambda: [
        A.partnership_id.in_(
            select(Partnership.__table__.c.id).where(
                Partnership.__table__.c.partner_id.in_(bindparam("partner_ids", expanding=True))
            )
        )
    ],
    "expiring_from": lambda: [
        A.state.in_(sorted(IN_FORCE)),
        A.expires_on.between(bindparam("expiring_from"), bindparam("expiring_to")),
    ],
    "q": lambda: [_text()],
    "unit": lambda: [
        A.owning_unit_id.in_(
            select(Unit.__table__.c.id).where(
                func.lower(Unit.__table__.c.slug) == bindparam("unit")
            )
        )
    ],
    "coordinator_ids": lambda: [A.coordinator_id.in_(bindparam("coordinator_ids", expanding=True))],
    "signed_after": lambda: [A.signed_on >= bindparam("signed_after")],
    "signed_before": lambda: [A.signed_on <= bindparam("signed_before")],
    "renewal_type": lambda: [A.renewal_type == bindparam("renewal_type")],
}


@lru_cache(maxsize=256)
def _clauses(shape: tuple[str, ...]) -> tuple[ColumnElement[bool], ...]:
    return tuple(clause for name in shape for clause in _BUILDERS[name]())
