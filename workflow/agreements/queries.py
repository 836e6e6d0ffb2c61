"""The read side: agreements, their history, next moves and initiative progress, as plain data.

Functions take a Session and return JSON-ready dicts (ISO 8601 dates) or verdicts; nothing writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from models import (
    Agreement,
    AgreementEvent,
    AgreementKind,
    AgreementParty,
    AgreementTerm,
    Institution,
    Partnership,
    Signatory,
)
from workflow import lifecycle
from workflow.agreements import listing
from workflow.agreements.proposals import parse_kind
from workflow.agreements.subject import by_title, normalize_ref, subject_of
from workflow.errors import InvalidInput, NotFound
from workflow.lifecycle import IN_FORCE, Move, Party, RenewalType, State, Verdict

_AGREEMENT_DATES = ("proposed_on", "signed_on", "effective_on", "expires_on", "renewal_opens_on")
_EVENT_FIELDS = ("actor", "trigger", "from_state", "to_state", "comment")

# Everything agreement_dict touches, loaded in a few batched SELECTs instead of one per row.
_LOAD = (
    selectinload(Agreement.partnership).selectinload(Partnership.partner),
    selectinload(Agreement.parties).selectinload(AgreementParty.institution),
    selectinload(Agreement.terms)
    .selectinload(AgreementTerm.signatories)
    .selectinload(Signatory.institution),
    selectinload(Agreement.owning_unit),
    selectinload(Agreement.coordinator),
    selectinload(Agreement.source),
)


def iso(value: date | datetime | None) -> str | None:
    """A date or timestamp as ISO 8601, or None."""
    return None if value is None else value.isoformat()


def parse_state(value: str) -> State:
    """A lifecycle state from its name, or an error listing the states."""
    try:
        return State(value.strip().lower())
    except ValueError:
        states = ", ".join(s.value for s in State)
        raise InvalidInput(f"unknown state {value!r}; states: {states}") from None


def get_agreement(session: Session, ref: str | int) -> Agreement:
    """An agreement by numeric id, slug or title piece, with everything agreement_dict needs."""
    key = normalize_ref(ref)
    where = Agreement.id == key if isinstance(key, int) else Agreement.slug == key
    found = session.scalars(select(Agreement).options(*_LOAD).where(where)).first()
    if found is None and isinstance(key, str):  # not a slug: the one whose title holds it
        where = Agreement.id == by_title(session.connection(), key)
        found = session.scalars(select(Agreement).options(*_LOAD).where(where)).first()
    if found is None:
        raise NotFound(f"no agreement {ref!r}: see `accord agreements list`")
    return found


def agreement_dict(a: Agreement) -> dict[str, Any]:
    """The stable JSON shape of one agreement."""
    return {
        "id": a.id,
        "slug": a.slug,
        "title": a.title,
        "kind": AgreementKind(a.kind).value,
        "state": State(a.state).value,
        "version": a.version,
        "parties": [p.institution.name for p in a.parties],
        "partner": a.partnership.partner.label,
        "partnership": a.partnership.slug,
        "owning_unit": a.owning_unit.name if a.owning_unit else None,
        "coordinator": a.coordinator.name if a.coordinator else None,
        **{name: iso(getattr(a, name)) for name in _AGREEMENT_DATES},
        "term_months": a.term_months,
        "notice_days": a.notice_days,
        "renewal_type": RenewalType(a.renewal_type).value,
        # The last day to give notice of non-renewal: only an auto-renewing agreement has one.
        "notice_deadline": iso(
            lifecycle.notice_deadline(a.expires_on, a.notice_days)
            if a.renewal_type == RenewalType.AUTO
            else None
        ),
        "review_months": a.review_months,
        "review_due_on": iso(a.review_due_on),
        "term_no": a.term_no,
        "terms": [
            {
                "number": t.number,
                "signed_on": iso(t.signed_on),
                "effective_on": iso(t.effective_on),
                "expires_on": iso(t.expires_on),
                "signatories": [
                    {"party": s.institution.name, "name": s.name} for s in t.signatories
                ],
            }
            for t in a.terms
        ],
        "source": (
            {"headline": a.source.headline, "published": iso(a.source.published)}
            if a.source
            else None
        ),
        "assumptions": dict(a.assumptions or {}),
    }


def show(session: Session, ref: str | int) -> dict[str, Any]:
    """One agreement as its JSON dict."""
    return agreement_dict(get_agreement(session, ref))


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
class Page:
    """One page of a listing, and the cursor of the next (None on the last page)."""

    items: list[dict[str, Any]]
    next: str | None


def _filtered(
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
    sort: str | None = None,
) -> tuple[list[Any], list[Any], listing.Sort]:
    """The WHERE clauses, ORDER BY and sort of a listing with every filter given (soonest
    expiry first by default when --expiring-within is given, else by id)."""
    where: list[Any] = []
    if state is not None:
        where.append(Agreement.state == parse_state(state))
    if kind is not None:
        where.append(Agreement.kind == parse_kind(kind))
    if partner is not None:
        ids = partner_ids(session, partner)
        where.append(
            Agreement.partnership_id.in_(
                select(Partnership.id).where(Partnership.partner_id.in_(ids))
            )
        )
    if expiring_within is not None:
        if expiring_within < 0:
            raise InvalidInput(f"--expiring-within must be 0 or more days, not {expiring_within}")
        horizon = today + timedelta(days=min(expiring_within, (date.max - today).days))
        where += [Agreement.state.in_(IN_FORCE), Agreement.expires_on.between(today, horizon)]
    if q is not None:
        where.append(listing.text_clause(q))
    if unit is not None:
        where.append(listing.unit_clause(unit))
    if coordinator is not None:
        where.append(listing.coordinator_clause(session, coordinator))
    where += listing.signed_clauses(signed_after, signed_before)
    # --renewal-type (fixed, auto, open-ended) joins these filters when renewal types land.
    chosen = listing.parse_sort(sort, "expires_on" if expiring_within is not None else "id")
    return where, listing.order_by(chosen), chosen


def page(
    session: Session,
    *,
    full: bool = True,
    limit: int | None = None,
    after: str | None = None,
    **filters: Any,
) -> Page:
    """Agreements matching every filter given, sorted, from the row after the cursor: as JSON
    dicts (`full`) or as the table's rows (`list_rows`); `limit` rows at most."""
    where, order, chosen = _filtered(session, **filters)
    size = listing.parse_limit(limit)
    cursor = None if after is None else listing.decode_cursor(after, chosen)
    # Unpaged: one statement. Paged: a piece at a time, until the page and one more are read
    # (the one more tells whether there is a next page).
    pieces = listing.segments(chosen, cursor) if size or cursor else [None]
    items: list[dict[str, Any]] = []
    for piece in pieces:
        fetch = None if size is None else size + 1 - len(items)
        if fetch == 0:
            break
        chosen_where = where if piece is None else [*where, piece]
        if full:
            query = select(Agreement).options(*_LOAD).where(*chosen_where).order_by(*order)
            items += [agreement_dict(a) for a in session.scalars(query.limit(fetch)).all()]
        else:
            items += listing.table_rows(session, chosen_where, order, chosen, fetch)
    if size is None or len(items) <= size:
        return Page(items, None)
    return Page(items[:size], listing.encode_cursor(chosen, items[size - 1]))


def list_agreements(session: Session, **filters: Any) -> list[dict[str, Any]]:
    """Agreements matching every filter given (see `page`), as JSON dicts."""
    return page(session, full=True, **filters).items


def list_rows(session: Session, **filters: Any) -> list[dict[str, Any]]:
    """The same agreements as `list_agreements`, with only what a table of them shows (id,
    slug, state, kind, partner, expires_on): one statement instead of a dozen."""
    return page(session, full=False, **filters).items


def history(session: Session, ref: str) -> list[dict[str, Any]]:
    """Every event of an agreement, oldest first."""
    events = session.scalars(
        select(AgreementEvent)
        .where(AgreementEvent.agreement_id == get_agreement(session, ref).id)
        .order_by(AgreementEvent.seq)
    ).all()
    return [
        {
            "seq": e.seq,
            "at": iso(e.at),
            "recorded_at": iso(e.recorded_at),
            **{name: getattr(e, name) for name in _EVENT_FIELDS},
            "data": dict(e.data or {}),
        }
        for e in events
    ]


def next_moves(session: Session, ref: str, today: date) -> tuple[str, list[Verdict]]:
    """The agreement's state and its legal triggers, each judged by its guard as things stand."""
    a = get_agreement(session, ref)
    state = State(a.state).value
    subject = subject_of(a, [Party(p.institution.id, p.institution.name) for p in a.parties])
    return state, [
        lifecycle.judge(subject, Move(trigger=trigger, today=today))
        for trigger in lifecycle.legal_triggers(state)
    ]


def filtered_ids(session: Session, *, today: date, **filters: Any) -> list[int]:
    """The ids of the agreements `agreements list` would show for these filters, in its order."""
    where, order, _ = _filtered(session, today=today, **filters)
    return list(session.scalars(select(Agreement.id).where(*where).order_by(*order)).all())
