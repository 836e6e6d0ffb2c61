"""One move, end to end: load, check the version, fire the machine, write state + event + outbox."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from models import (
    AgreementTerm,
    Signatory,
    table_of,
)
from workflow import lifecycle
from workflow.agreements import content, writes_postgres, writes_sqlite
from workflow.agreements.events import NewEvent
from workflow.agreements.subject import (
    last_event,
    load_parties,
    load_subject_row,
    stale,
    subject_of,
    utc_midnight,
)
from workflow.errors import InvalidInput, MoveRefused
from workflow.lifecycle import Move, Party, Trigger
from workflow.uow import UnitOfWork
from workflow.validation import actor_name, free_text, header_safe, within_horizon

TERMS = table_of(AgreementTerm)


SIGNATORIES = table_of(Signatory)


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


def signatory_inputs(pairs: Iterable[tuple[str, str]]) -> dict[str, SignatoryInput]:
    """(party, name) pairs as given by a caller into the service's signatories: both must be
    non-empty, and a party named twice (any case) is an error."""
    found: dict[str, SignatoryInput] = {}
    for party, name in pairs:
        if not party.strip() or not name.strip():
            raise InvalidInput(f"--signatory expects PARTY=NAME, not {party}={name!r}")
        if party.strip().casefold() in (k.casefold() for k in found):
            raise InvalidInput(f"--signatory names {party.strip()!r} twice")
        found[party.strip()] = SignatoryInput(name.strip())
    return found


def only_when_signing(
    trigger: str, signatories: Mapping[str, SignatoryInput], until: date | None
) -> None:
    """Signatories and an end date belong to sign and renew: refused with another trigger
    rather than dropped unseen."""
    if (signatories or until) and trigger.strip() not in (Trigger.SIGN, Trigger.RENEW):
        raise InvalidInput(f"--signatory and --until apply to sign and renew, not {trigger!r}")


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
    effective: date | None = None,
    party: str | None = None,
    signatories: Mapping[str, SignatoryInput] | None = None,
    expect_version: int | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> MoveResult:
    """Make one move inside `uow` without committing: the caller's transaction owns it."""
    actor = actor_name(actor)
    if comment is not None:
        free_text(comment, "the comment")
    days = ((today, "today"), (on, "the date (--on)"), (until, "the end date"))
    for day, field in (*days, (effective, "the effective date (--effective)")):
        if day is not None:
            within_horizon(day, field)
    if effective is not None and trigger != Trigger.RENEW:
        raise InvalidInput(f"--effective applies to renew, not {trigger!r}")
    if party is not None and trigger != Trigger.GIVE_NOTICE:
        raise InvalidInput(f"--party applies to give_notice, not {trigger!r}")
    for key, signatory in (signatories or {}).items():
        header_safe(signatory.name, f"the signatory for {key}")
        if len(signatory.name) > 200:
            raise InvalidInput(f"the signatory for {key} is longer than 200 characters")
    if on is not None and on > today:
        raise InvalidInput(f"the date {on.isoformat()} is in the future (today is {today})")
    row = load_subject_row(uow, ref)
    if expect_version is not None and expect_version != row.version:
        raise stale(uow, row.id, row.slug, expect_version)

    signing = trigger in (Trigger.SIGN, Trigger.RENEW)
    party_rows = load_parties(uow, row.id) if signing or party is not None else []
    chosen = resolve_signatories(party_rows, signatories or {}) if signing else {}
    event_data = dict(data or {})
    if party is not None:
        event_data["party"] = notice_party(party_rows, party)
    subject = subject_of(row, [p for p, _, _ in party_rows])
    move = Move(
        trigger=trigger,
        today=today,
        on=on,
        comment=comment,
        until=until,
        effective=effective,
        signatories={pid: s.name for pid, s in chosen.items()},
    )
    try:
        to_state = lifecycle.fire(subject, move)
    except lifecycle.IllegalMove as exc:
        raise MoveRefused(
            str(exc), state=exc.state, trigger=exc.trigger, legal=exc.legal, reason=exc.reason
        ) from None

    now = now or datetime.now(UTC)
    at = now
    if on is not None:
        latest = not_before_last_move(uow, row.id, on)
        # Dated by day; on the same day as the last move, not before it: history stays ordered.
        at = max(utc_midnight(on), latest.at) if latest is not None else utc_midnight(on)
    values: dict[str, Any] = {"state": to_state, "version": row.version + 1, "updated_at": now}
    if signing:
        expires = lifecycle.term_end(subject, move)
        if expires is not None:  # a term length can carry the end past the horizon too
            within_horizon(expires, "the end of the term")
        values.update(
            signed_on=move.effective_date,
            effective_on=lifecycle.term_start(subject, move),
            expires_on=expires,
            renewal_opens_on=_renewal_opens(expires, row.renewal_window_days),
            term_no=row.term_no + 1,
        )
    if trigger == Trigger.APPROVE:  # the approval binds to the content as it stands now
        values["approved_hash"] = content.hash_in_database(uow, row.id)
    if trigger == Trigger.RENEW:
        event_data["effective"] = values["effective_on"].isoformat()
    if signing:
        event_data["signatories"] = {
            name: chosen[party.id].name
            for party, _, short in party_rows
            for name in [short or party.name]
        }
        event_data["until"] = values["expires_on"].isoformat() if values["expires_on"] else None
    event = NewEvent(
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
    # PostgreSQL writes the move in one round trip; SQLite one statement at a time.
    writes = writes_postgres.write_move if uow.dialect == "postgresql" else writes_sqlite.write_move
    found = writes(uow, agreement_id=row.id, version=row.version, values=values, event=event)
    if found is None:
        raise stale(uow, row.id, row.slug, row.version)
    event_id: int = found
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


def notice_party(parties: list[tuple[Party, str, str | None]], key: str) -> str:
    """The party giving notice (slug, short name or name, any case), as its short name."""
    found = resolve_signatories(parties, {key: SignatoryInput(name=key)})
    (party_id,) = found
    for party, _, short in parties:
        if party.id == party_id:
            return short or party.name
    raise AssertionError("resolved to a party not in the list")  # pragma: no cover


def not_before_last_move(uow: UnitOfWork, agreement_id: int, on: date) -> Any:
    """The agreement's latest event, after refusing a move dated (--on) before it."""
    latest = last_event(uow, agreement_id)
    if latest is not None and on < latest.at.date():
        raise InvalidInput(
            f"the date {on.isoformat()} is before the last recorded move "
            f"({latest.trigger} on {latest.at.date().isoformat()})"
        )
    return latest


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
    event = NewEvent(
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
    if uow.dialect == "postgresql":
        return writes_postgres.write_event(uow, event)
    return writes_sqlite.write_event(uow, event)


def advance(uow: UnitOfWork, ref: str | int, trigger: str, **kwargs: Any) -> MoveResult:
    """One move as a use case: its own transaction, committed only if everything succeeded."""
    with uow:
        result = apply_move(uow, ref, trigger, **kwargs)
        uow.commit()
    return result
