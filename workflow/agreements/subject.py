"""The agreement a move is made on: found by id, slug or title piece, read as the machine's
snapshot."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, func, select

from models import (
    Agreement,
    AgreementEvent,
    AgreementParty,
    Institution,
    table_of,
)
from workflow.errors import InvalidInput, NotFound, StaleVersion
from workflow.lifecycle import Party, Subject
from workflow.uow import UnitOfWork

A = table_of(Agreement)


E = table_of(AgreementEvent)


# The columns a move reads: everything the machine's guards judge, nothing more.
_SUBJECT_COLUMNS = (
    A.c.id,
    A.c.slug,
    A.c.state,
    A.c.version,
    A.c.proposed_on,
    A.c.signed_on,
    A.c.expires_on,
    A.c.term_no,
    A.c.term_months,
    A.c.renewal_window_days,
    A.c.renewal_type,
    A.c.notice_days,
)


# The hot path's statements are built once: SQLAlchemy then reuses their cache keys and compiled
# forms, and a move pays only for its parameters and round trips, not for building SQL.
_SUBJECT_BY_ID = select(*_SUBJECT_COLUMNS).where(A.c.id == bindparam("ref", type_=Integer))


_SUBJECT_BY_SLUG = select(*_SUBJECT_COLUMNS).where(
    A.c.slug == bindparam("ref", type_=A.c.slug.type)
)


_LAST_EVENT = (
    select(E.c.seq, E.c.actor, E.c.at, E.c.recorded_at, E.c.trigger, E.c.to_state)
    .where(E.c.agreement_id == bindparam("agreement_id", type_=Integer))
    .order_by(E.c.seq.desc())
    .limit(1)
)


def utc_midnight(day: date) -> datetime:
    """The start of `day` in UTC: the timestamp of a move dated by --on."""
    return datetime.combine(day, time.min, tzinfo=UTC)


# The largest id an INTEGER column holds: a longer number cannot name an agreement.
_MAX_ID = 2**31 - 1


def normalize_ref(ref: str | int) -> int | str:
    """An agreement reference as an id (ASCII digits) or a slug; impossible ids are NotFound."""
    if isinstance(ref, int):
        return ref
    ref = ref.strip()
    if ref.isascii() and ref.isdigit() and int(ref) <= _MAX_ID:
        return int(ref)
    if ref.isdigit() or not ref:  # too large for an id, or digits of another script
        raise NotFound(f"no agreement {ref!r}: see `accord agreements list`")
    return ref


def load_subject_row(uow: UnitOfWork, ref: str | int) -> Any:
    """The agreement's row by numeric id, slug or title piece, or NotFound."""
    key = normalize_ref(ref)
    if isinstance(key, int):
        row = uow.conn.execute(_SUBJECT_BY_ID, {"ref": key}).first()
    else:
        row = uow.conn.execute(_SUBJECT_BY_SLUG, {"ref": key}).first()
        if row is None:  # not a slug: the one agreement whose title holds it
            row = uow.conn.execute(_SUBJECT_BY_ID, {"ref": by_title(uow.conn, key)}).first()
    if row is None:
        raise NotFound(f"no agreement {ref!r}: see `accord agreements list`")
    return row


# An ambiguous title piece names at most this many of its matches.
_SHOWN = 10


def by_title(conn: Connection, piece: str) -> int:
    """The id of the one agreement whose title holds `piece` (any case); NotFound when none
    does, InvalidInput listing the matches when several do."""
    rows = conn.execute(
        select(A.c.id, A.c.slug, A.c.title)
        .where(func.lower(A.c.title).contains(piece.lower(), autoescape=True))
        .order_by(A.c.id)
        .limit(_SHOWN + 1)
    ).all()
    if not rows:
        raise NotFound(f"no agreement {piece!r}: see `accord agreements list`")
    if len(rows) > 1:
        shown = "; ".join(f"{r.slug} ({r.title})" for r in rows[:_SHOWN])
        more = f"; and more (showing {_SHOWN})" if len(rows) > _SHOWN else ""
        raise InvalidInput(
            f"{piece!r} is in the titles of several agreements: {shown}{more}"
            " — give the slug or the id"
        )
    found: int = rows[0].id
    return found


def load_parties(uow: UnitOfWork, agreement_id: int) -> list[tuple[Party, str, str | None]]:
    """The parties in signing order, each with its slug and short name for matching."""
    P, I = table_of(AgreementParty), Institution.__table__  # noqa: E741
    rows = uow.conn.execute(
        select(I.c.id, I.c.name, I.c.slug, I.c.short_name)
        .join(P, P.c.institution_id == I.c.id)
        .where(P.c.agreement_id == agreement_id)
        .order_by(P.c.position)
    ).all()
    return [(Party(r.id, r.name), r.slug, r.short_name) for r in rows]


def subject_of(row: Any, parties: list[Party] | None = None) -> Subject:
    """The machine's view of an agreement row."""
    return Subject(
        state=row.state,
        parties=parties or [],
        proposed_on=row.proposed_on,
        signed_on=row.signed_on,
        expires_on=row.expires_on,
        term_no=row.term_no,
        term_months=row.term_months,
        renewal_type=str(row.renewal_type),
        notice_days=row.notice_days,
    )


def last_event(uow: UnitOfWork, agreement_id: int) -> Any:
    """The latest event of an agreement (who moved it last, and when)."""
    return uow.conn.execute(_LAST_EVENT, {"agreement_id": agreement_id}).first()


def stale(uow: UnitOfWork, agreement_id: int, slug: str, expected: int) -> StaleVersion:
    """The refusal for a stale version, naming who changed the agreement and when."""
    latest = last_event(uow, agreement_id)
    if latest is None:  # pragma: no cover - every agreement has its proposal event
        return StaleVersion(f"{slug} changed since version {expected}; reload and retry")
    at = latest.recorded_at.isoformat(timespec="seconds")
    return StaleVersion(
        f"{slug} is at version {latest.seq}, not {expected}: {latest.actor} made it "
        f"{latest.to_state} ({latest.trigger}) at {at}"
        "; nothing was changed — reload and retry",
        version=latest.seq,
        actor=latest.actor,
        at=at,
    )
