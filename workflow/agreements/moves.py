"""One move, end to end: load, check the version, fire the machine, write state + event + outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, func, select, type_coerce, update
from sqlalchemy.dialects.postgresql import JSONB

from models import (
    Agreement,
    AgreementEvent,
    AgreementParty,
    AgreementTerm,
    Institution,
    OutboxMessage,
    Signatory,
    table_of,
)
from workflow import lifecycle
from workflow.errors import InvalidInput, MoveRefused, NotFound, StaleVersion
from workflow.lifecycle import Move, Party, Subject, Trigger
from workflow.uow import UnitOfWork
from workflow.validation import actor_name, free_text, header_safe, within_horizon

A = table_of(Agreement)
E = table_of(AgreementEvent)
O = table_of(OutboxMessage)  # noqa: E741 - the outbox table, as in the design notes
TERMS = table_of(AgreementTerm)
SIGNATORIES = table_of(Signatory)

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
# SET takes the columns of the parameters given (state, version, updated_at, and the term's
# dates when signing); the WHERE is the optimistic lock.
_UPDATE_VERSIONED = update(A).where(
    A.c.id == bindparam("where_id", type_=Integer),
    A.c.version == bindparam("where_version", type_=Integer),
)
_INSERT_EVENT = E.insert().returning(E.c.id)
_INSERT_OUTBOX = O.insert()
_EVENT_COLUMNS = (
    "agreement_id",
    "seq",
    "at",
    "recorded_at",
    "actor",
    "trigger",
    "from_state",
    "to_state",
    "comment",
    "data",
)
_OUTBOX_COLUMNS = (
    "topic",
    "agreement_id",
    "event_id",
    "payload",
    "created_at",
    "available_at",
    "attempts",
)


# On PostgreSQL a move's writes go in one round trip, as data-modifying CTEs: the versioned
# UPDATE, the event inserted from the row it returned, the outbox row from the event. A stale
# version updates no row, so nothing is inserted either. SQLite runs the statements one by one.
def _outbox_from(event: Any) -> Any:
    """INSERT the outbox row of the event that CTE `event` inserted, returning the event id.

    The payload is the one `outbox_payload` builds, its `event_id` merged in by the server
    (a jsonb object has no key order: the stored value is the same).
    """
    payload = type_coerce(func.jsonb_build_object("event_id", event.c.id), JSONB).op("||")(
        bindparam("o_payload", type_=O.c.payload.type)
    )
    return (
        O.insert()
        .from_select(
            list(_OUTBOX_COLUMNS),
            select(
                bindparam("o_topic", type_=O.c.topic.type),
                event.c.agreement_id,
                event.c.id,
                payload,
                bindparam("o_created_at", type_=O.c.created_at.type),
                bindparam("o_available_at", type_=O.c.available_at.type),
                bindparam("o_attempts", type_=Integer),
            ),
        )
        .returning(O.c.event_id)
        .add_cte(event)
    )


def _event_cte(agreement_id: Any) -> Any:
    """INSERT the event (its agreement id from `agreement_id`), as a CTE returning its id."""
    return (
        E.insert()
        .from_select(
            list(_EVENT_COLUMNS),
            select(
                agreement_id,
                *(bindparam(f"e_{name}", type_=E.c[name].type) for name in _EVENT_COLUMNS[1:]),
            ),
        )
        .returning(E.c.id, E.c.agreement_id)
        .cte("event")
    )


_INSERT_EVENT_AND_OUTBOX = _outbox_from(_event_cte(bindparam("e_agreement_id", type_=Integer)))


@lru_cache(maxsize=8)
def _move_statement(columns: tuple[str, ...]) -> Any:
    """The versioned UPDATE setting `columns`, its event and outbox row: one statement."""
    moved = (
        update(A)
        .where(
            A.c.id == bindparam("where_id", type_=Integer),
            A.c.version == bindparam("where_version", type_=Integer),
        )
        .values({name: bindparam(f"set_{name}", type_=A.c[name].type) for name in columns})
        .returning(A.c.id)
        .cte("moved")
    )
    return _outbox_from(_event_cte(moved.c.id)).add_cte(moved)


@dataclass(frozen=True)
class MoveResult:
    """What one successful move did."""

    agreement_id: int
    slug: str
    trigger: str
    from_state: str
    to_state: str
    version: int
    event_id: int


@dataclass(frozen=True)
class SignatoryInput:
    """Who signs for one party: a name, optionally a known person and an assumption note."""

    name: str
    person_id: int | None = None
    assumption: str | None = None


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
    """The agreement's row by numeric id or slug, or NotFound."""
    key = normalize_ref(ref)
    if isinstance(key, int):
        row = uow.conn.execute(_SUBJECT_BY_ID, {"ref": key}).first()
    else:
        row = uow.conn.execute(_SUBJECT_BY_SLUG, {"ref": key}).first()
    if row is None:
        raise NotFound(f"no agreement {ref!r}: see `accord agreements list`")
    return row


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
    )


def last_event(uow: UnitOfWork, agreement_id: int) -> Any:
    """The latest event of an agreement (who moved it last, and when)."""
    return uow.conn.execute(_LAST_EVENT, {"agreement_id": agreement_id}).first()


def stale(uow: UnitOfWork, agreement_id: int, slug: str, expected: int) -> StaleVersion:
    """The refusal for a stale version, naming who changed the agreement and when."""
    latest = last_event(uow, agreement_id)
    if latest is None:  # pragma: no cover - every agreement has its proposal event
        return StaleVersion(f"{slug} changed since version {expected}; reload and retry")
    return StaleVersion(
        f"{slug} is at version {latest.seq}, not {expected}: {latest.actor} made it "
        f"{latest.to_state} ({latest.trigger}) at "
        f"{latest.recorded_at.isoformat(timespec='seconds')}"
        "; nothing was changed — reload and retry"
    )


def resolve_signatories(
    parties: list[tuple[Party, str, str | None]], given: Mapping[str, SignatoryInput]
) -> dict[int, SignatoryInput]:
    """Match `PARTY=NAME` keys (slug, short name or name, any case) to party institution ids."""
    resolved: dict[int, SignatoryInput] = {}
    for key, signatory in given.items():
        wanted = key.strip().casefold()
        match = [
            party
            for party, slug, short in parties
            if wanted in {slug.casefold(), (short or "").casefold(), party.name.casefold()}
        ]
        if not match:
            names = ", ".join(short or slug for _, slug, short in parties)
            raise InvalidInput(f"{key!r} is not a party to this agreement (parties: {names})")
        resolved[match[0].id] = signatory
    return resolved


def apply_move(
    uow: UnitOfWork,
    ref: str | int,
    trigger: str,
    *,
    actor: str,
    today: date,
    on: date | None = None,
    comment: str | None = None,
    until: date | None = None,
    signatories: Mapping[str, SignatoryInput] | None = None,
    expect_version: int | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> MoveResult:
    """Make one move inside `uow` without committing: the caller's transaction owns it."""
    actor = actor_name(actor)
    if comment is not None:
        free_text(comment, "the comment")
    for day, field in ((today, "today"), (on, "the date (--on)"), (until, "the end date")):
        if day is not None:
            within_horizon(day, field)
    for party, signatory in (signatories or {}).items():
        header_safe(signatory.name, f"the signatory for {party}")
        if len(signatory.name) > 200:
            raise InvalidInput(f"the signatory for {party} is longer than 200 characters")
    if on is not None and on > today:
        raise InvalidInput(f"the date {on.isoformat()} is in the future (today is {today})")
    row = load_subject_row(uow, ref)
    if expect_version is not None and expect_version != row.version:
        raise stale(uow, row.id, row.slug, expect_version)

    signing = trigger in (Trigger.SIGN, Trigger.RENEW)
    party_rows = load_parties(uow, row.id) if signing else []
    chosen = resolve_signatories(party_rows, signatories or {}) if signing else {}
    subject = subject_of(row, [p for p, _, _ in party_rows])
    move = Move(
        trigger=trigger,
        today=today,
        on=on,
        comment=comment,
        until=until,
        signatories={pid: s.name for pid, s in chosen.items()},
    )
    try:
        to_state = lifecycle.fire(subject, move)
    except lifecycle.IllegalMove as exc:
        raise MoveRefused(str(exc), state=exc.state, trigger=exc.trigger, legal=exc.legal) from None

    now = now or datetime.now(UTC)
    at = now
    if on is not None:
        latest = last_event(uow, row.id)
        if latest is not None and on < latest.at.date():
            raise InvalidInput(
                f"the date {on.isoformat()} is before the last recorded move "
                f"({latest.trigger} on {latest.at.date().isoformat()})"
            )
        # Dated by day; on the same day as the last move, not before it: history stays ordered.
        at = max(utc_midnight(on), latest.at) if latest is not None else utc_midnight(on)
    values: dict[str, Any] = {"state": to_state, "version": row.version + 1, "updated_at": now}
    if signing:
        effective = move.effective_date
        expires = lifecycle.term_end(subject, move)
        if expires is not None:  # a term length can carry the end past the horizon too
            within_horizon(expires, "the end of the term")
        values.update(
            signed_on=effective,
            effective_on=effective,
            expires_on=expires,
            renewal_opens_on=_renewal_opens(expires, row.renewal_window_days),
            term_no=row.term_no + 1,
        )
    event_data = dict(data or {})
    if signing:
        event_data["signatories"] = {
            name: chosen[party.id].name
            for party, _, short in party_rows
            for name in [short or party.name]
        }
        event_data["until"] = values["expires_on"].isoformat() if values["expires_on"] else None
    event: dict[str, Any] = {
        "agreement_id": row.id,
        "seq": row.version + 1,
        "at": at,
        "now": now,
        "actor": actor,
        "trigger": trigger,
        "from_state": str(row.state),
        "to_state": to_state,
        "comment": comment,
        "data": event_data,
    }
    if uow.conn.dialect.name == "postgresql":
        params = _event_params(**event)
        params.update({f"set_{name}": value for name, value in values.items()})
        params.update(where_id=row.id, where_version=row.version)
        del params["e_agreement_id"]  # the event takes it from the row the UPDATE returned
        found = uow.conn.execute(_move_statement(tuple(values)), params).scalar_one_or_none()
        if found is None:
            raise stale(uow, row.id, row.slug, row.version)
        event_id: int = found
    else:
        result = uow.conn.execute(
            _UPDATE_VERSIONED, {"where_id": row.id, "where_version": row.version, **values}
        )
        if result.rowcount != 1:
            raise stale(uow, row.id, row.slug, row.version)
        event_id = record_event(uow, **event)
    if signing:
        term_id = uow.conn.execute(
            TERMS.insert()
            .values(
                agreement_id=row.id,
                number=values["term_no"],
                signed_on=values["signed_on"],
                effective_on=values["effective_on"],
                expires_on=values["expires_on"],
                event_id=event_id,
            )
            .returning(TERMS.c.id)
        ).scalar_one()
        uow.conn.execute(
            SIGNATORIES.insert(),
            [
                {
                    "term_id": term_id,
                    "institution_id": party.id,
                    "name": chosen[party.id].name,
                    "person_id": chosen[party.id].person_id,
                    "assumption": chosen[party.id].assumption,
                }
                for party, _, _ in party_rows
            ],
        )
    return MoveResult(
        row.id, row.slug, trigger, str(row.state), to_state, row.version + 1, event_id
    )


def _renewal_opens(expires: date | None, window_days: int) -> date | None:
    if expires is None:
        return None
    return expires - timedelta(days=window_days)


def record_event(
    uow: UnitOfWork,
    *,
    agreement_id: int,
    seq: int,
    at: datetime,
    now: datetime,
    actor: str,
    trigger: str,
    from_state: str | None,
    to_state: str,
    comment: str | None,
    data: dict[str, Any],
) -> int:
    """Append the event and its outbox row (same transaction); return the event id."""
    if uow.conn.dialect.name == "postgresql":
        params = _event_params(
            agreement_id=agreement_id,
            seq=seq,
            at=at,
            now=now,
            actor=actor,
            trigger=trigger,
            from_state=from_state,
            to_state=to_state,
            comment=comment,
            data=data,
        )
        event_id: int = uow.conn.execute(_INSERT_EVENT_AND_OUTBOX, params).scalar_one()
        return event_id
    event_id = uow.conn.execute(
        _INSERT_EVENT,
        {
            "agreement_id": agreement_id,
            "seq": seq,
            "at": at,
            "recorded_at": now,
            "actor": actor,
            "trigger": trigger,
            "from_state": from_state,
            "to_state": to_state,
            "comment": comment,
            "data": data,
        },
    ).scalar_one()
    uow.conn.execute(
        _INSERT_OUTBOX,
        {
            "topic": f"agreement.{trigger}",
            "agreement_id": agreement_id,
            "event_id": event_id,
            "payload": outbox_payload(event_id, agreement_id, trigger, from_state, to_state, at),
            "created_at": now,
            "available_at": now,
            "attempts": 0,
        },
    )
    return event_id


def _event_params(
    *,
    agreement_id: int,
    seq: int,
    at: datetime,
    now: datetime,
    actor: str,
    trigger: str,
    from_state: str | None,
    to_state: str,
    comment: str | None,
    data: dict[str, Any],
) -> dict[str, Any]:
    """The parameters of the PostgreSQL statements writing an event (e_…) and its outbox row
    (o_…): prefixed, so that no key is ever taken for a column to SET or INSERT."""
    payload = outbox_payload(0, agreement_id, trigger, from_state, to_state, at)
    del payload["event_id"]  # the statement adds it, from the event row it inserted
    return {
        "e_agreement_id": agreement_id,
        "e_seq": seq,
        "e_at": at,
        "e_recorded_at": now,
        "e_actor": actor,
        "e_trigger": trigger,
        "e_from_state": from_state,
        "e_to_state": to_state,
        "e_comment": comment,
        "e_data": data,
        "o_topic": f"agreement.{trigger}",
        "o_payload": payload,
        "o_created_at": now,
        "o_available_at": now,
        "o_attempts": 0,
    }


def outbox_payload(
    event_id: int,
    agreement_id: int,
    trigger: str,
    from_state: str | None,
    to_state: str,
    at: datetime,
) -> dict[str, Any]:
    """Ids and names only: the task re-reads the rows it acts on."""
    return {
        "event_id": event_id,
        "agreement_id": agreement_id,
        "trigger": trigger,
        "from_state": from_state,
        "to_state": to_state,
        "at": at.isoformat(),
    }


def advance(uow: UnitOfWork, ref: str | int, trigger: str, **kwargs: Any) -> MoveResult:
    """One move as a use case: its own transaction, committed only if everything succeeded."""
    with uow:
        result = apply_move(uow, ref, trigger, **kwargs)
        uow.commit()
    return result
