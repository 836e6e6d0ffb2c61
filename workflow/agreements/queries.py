"""The read side: agreements, their history, next moves and initiative progress, as plain data.

Functions take a Session and return JSON-ready dicts (ISO 8601 dates) or verdicts; nothing writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import (
    Agreement,
    AgreementEvent,
    AgreementKind,
    AgreementParty,
    AgreementTerm,
    Partnership,
    Signatory,
)
from workflow import lifecycle
from workflow.agreements import content, listing, table
from workflow.agreements.filters import where as clauses_for
from workflow.agreements.subject import by_title, normalize_ref, subject_of
from workflow.errors import NotFound
from workflow.lifecycle import EDIT, Move, Party, RenewalType, State, Verdict

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
        "summary": a.summary,
        # What the last approval bound (None before any) against the content as it is now.
        "approved_hash": a.approved_hash,
        "content_hash": content.hash_of_agreement(a),
    }


def show(session: Session, ref: str | int) -> dict[str, Any]:
    """One agreement as its JSON dict."""
    return agreement_dict(get_agreement(session, ref))


@dataclass(frozen=True)
class Page:
    """One page of a listing, and the cursor of the next (None on the last page)."""

    items: list[dict[str, Any]]
    next: str | None


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
    chosen = clauses_for(session, **filters)
    where, sort = chosen.clauses(), chosen.sort
    size = listing.parse_limit(limit)
    cursor = None if after is None else listing.decode_cursor(after, sort)
    # Unpaged: one statement. Paged: a piece at a time, until the page and one more are read
    # (the one more tells whether there is a next page).
    pieces = listing.segments(sort, cursor) if size or cursor else [listing.Piece(None, {})]
    items: list[dict[str, Any]] = []
    for piece in pieces:
        fetch = None if size is None else size + 1 - len(items)
        if fetch == 0:
            break
        if full:
            query = (
                select(Agreement)
                .options(*_LOAD)
                .where(*listing.with_piece(where, sort, piece))
                .order_by(*listing.order_by(sort))
            )
            found = session.scalars(query.limit(fetch), {**chosen.params, **piece.params})
            items += [agreement_dict(a) for a in found.all()]
        else:
            params = chosen.params
            items += table.rows(session, chosen.shape, where, params, sort, piece, fetch)
    if size is None or len(items) <= size:
        return Page(items, None)
    return Page(items[:size], listing.encode_cursor(sort, items[size - 1]))


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
            # An edit's {field, before, after} list; a move changes no field by hand: [].
            "changes": list((e.data or {}).get("changes", [])) if e.trigger == EDIT else [],
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
    chosen = clauses_for(session, today=today, **filters)
    query = select(Agreement.id).where(*chosen.clauses()).order_by(*listing.order_by(chosen.sort))
    return list(session.scalars(query, chosen.params).all())
