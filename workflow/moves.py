"""One move, end to end: load, check the version, fire the machine, write state + event + outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update

from models.tables import (
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


def load_subject_row(uow: UnitOfWork, ref: str | int) -> Any:
    """The agreement's row by numeric id or slug, or NotFound."""
    query = select(*_SUBJECT_COLUMNS)
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        query = query.where(A.c.id == int(ref))
    else:
        query = query.where(A.c.slug == ref)
    row = uow.conn.execute(query).first()
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
    return uow.conn.execute(
        select(E.c.seq, E.c.actor, E.c.at, E.c.recorded_at, E.c.trigger, E.c.to_state)
        .where(E.c.agreement_id == agreement_id)
        .order_by(E.c.seq.desc())
        .limit(1)
    ).first()


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
    if not actor.strip():
        raise InvalidInput("an actor is required (--actor NAME)")
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

    if on is not None:
        latest = last_event(uow, row.id)
        if latest is not None and on < latest.at.date():
            raise InvalidInput(
                f"the date {on.isoformat()} is before the last recorded move "
                f"({latest.trigger} on {latest.at.date().isoformat()})"
            )

    now = now or datetime.now(UTC)
    at = utc_midnight(on) if on is not None else now
    values: dict[str, Any] = {"state": to_state, "version": row.version + 1, "updated_at": now}
    if signing:
        effective = move.effective_date
        expires = lifecycle.term_end(subject, move)
        values.update(
            signed_on=effective,
            effective_on=effective,
            expires_on=expires,
            renewal_opens_on=_renewal_opens(expires, row.renewal_window_days),
            term_no=row.term_no + 1,
        )
    result = uow.conn.execute(
        update(A).where(A.c.id == row.id, A.c.version == row.version).values(values)
    )
    if result.rowcount != 1:
        raise stale(uow, row.id, row.slug, row.version)

    event_data = dict(data or {})
    if signing:
        event_data["signatories"] = {
            name: chosen[party.id].name
            for party, _, short in party_rows
            for name in [short or party.name]
        }
        event_data["until"] = values["expires_on"].isoformat() if values["expires_on"] else None
    event_id = record_event(
        uow,
        agreement_id=row.id,
        seq=row.version + 1,
        at=at,
        now=now,
        actor=actor,
        trigger=trigger,
        from_state=str(row.state),
        to_state=to_state,
        comment=comment,
        data=event_data,
    )
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
    event_id: int = uow.conn.execute(
        E.insert()
        .values(
            agreement_id=agreement_id,
            seq=seq,
            at=at,
            recorded_at=now,
            actor=actor,
            trigger=trigger,
            from_state=from_state,
            to_state=to_state,
            comment=comment,
            data=data,
        )
        .returning(E.c.id)
    ).scalar_one()
    uow.conn.execute(
        O.insert().values(
            topic=f"agreement.{trigger}",
            agreement_id=agreement_id,
            event_id=event_id,
            payload=outbox_payload(event_id, agreement_id, trigger, from_state, to_state, at),
            created_at=now,
            available_at=now,
            attempts=0,
        )
    )
    return event_id


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
