"""The tick's automatic renewals: an auto-renewing agreement at its end date starts a new term.

The new term has the same length as the agreement's `term_months` (or, when it has none, as the
term ending), takes effect the day after the old one ends, and carries the old term's
signatories, each marked as an assumption: nobody signed again. Like the tick's other moves, a
group of renewals is written by a handful of statements whatever its size.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, select, tuple_, update

from models import Agreement, AgreementEvent, AgreementTerm, Signatory, table_of
from workflow import lifecycle
from workflow.agreements import renewal_writes_postgres
from workflow.agreements.renewal_writes_postgres import CARRIED, Renewal, renewal_event_data
from workflow.agreements.subject import subject_of
from workflow.agreements.tick_writes import SYSTEM, TickReport, write_outbox
from workflow.lifecycle import Move, RenewalType, State, Trigger
from workflow.uow import UnitOfWork

A = table_of(Agreement)
E = table_of(AgreementEvent)
TERMS = table_of(AgreementTerm)
SIGNATORIES = table_of(Signatory)

# The states an auto-renewing agreement renews itself from at its end date; from any other
# (notice given, suspended) it lapses instead.
RENEWING = (State.ACTIVE, State.RENEWED, State.RENEWAL_DUE)


def renews_itself(row: Any) -> bool:
    """Whether an agreement due at its end date renews rather than expires."""
    return str(row.renewal_type) == RenewalType.AUTO and str(row.state) in RENEWING


def previous_length(effective_on: date | None, expires_on: date) -> int | timedelta | None:
    """The ending term's length: whole months when it is a whole number of them, else days."""
    if effective_on is None or expires_on <= effective_on:
        return None
    months = (expires_on.year - effective_on.year) * 12 + expires_on.month - effective_on.month
    if months > 0 and lifecycle.add_months(effective_on, months) == expires_on:
        return months
    return expires_on - effective_on


def renewal_move(row: Any, today: date, on: date) -> Move:
    """The renew move the tick fires: dated `on`, its end from the term length."""
    move = Move(trigger=Trigger.RENEW, today=today, on=on)
    if row.term_months or row.expires_on is None:
        return move
    length = previous_length(row.effective_on or row.signed_on, row.expires_on)
    if length is None:
        return move  # the guard refuses it: no end date and no term length
    start = lifecycle.term_start(subject_of(row), move)
    until = lifecycle.add_months(start, length) if isinstance(length, int) else start + length
    return Move(trigger=Trigger.RENEW, today=today, on=on, until=until)


def renewal_of(row: Any, today: date, on: date) -> Renewal:
    """The new term's dates (the machine has accepted the move)."""
    move = renewal_move(row, today, on)
    subject = subject_of(row)
    expires = lifecycle.term_end(subject, move)
    assert expires is not None
    return Renewal(
        signed_on=on,
        effective_on=lifecycle.term_start(subject, move),
        expires_on=expires,
        renewal_opens_on=expires - timedelta(days=row.renewal_window_days),
    )


def apply_renewals(
    uow: UnitOfWork,
    source: str,
    dest: str,
    members: list[tuple[Any, datetime]],
    now: datetime,
    report: TickReport,
) -> None:
    """Renew one group (same source state): state, term dates, event, term, signatories,
    outbox rows; a member changed since `due` read it is skipped as stale."""
    renewals = {row.id: renewal_of(row, report.today, when.date()) for row, when in members}
    if uow.conn.dialect.name == "postgresql":
        moved = renewal_writes_postgres.renew(uow, source, dest, members, renewals, now, report)
    else:
        moved = _renew_on_sqlite(uow, source, dest, members, renewals, now, report)
    report.skipped_stale += len(members) - len(moved)
    if not moved:
        return
    by_id = {row.id: (row, when) for row, when in members}
    renew = Trigger.RENEW.value
    write_outbox(uow, renew, source, dest, moved, by_id, now)
    report.moved[renew].extend(by_id[agreement_id][0].slug for _, agreement_id in moved)


def _renew_on_sqlite(
    uow: UnitOfWork,
    source: str,
    dest: str,
    members: list[tuple[Any, datetime]],
    renewals: dict[int, Renewal],
    now: datetime,
    report: TickReport,
) -> list[tuple[int, int]]:
    """(event id, agreement id) of each member renewed, written statement by statement."""
    by_id = {row.id: (row, when) for row, when in members}
    moved = uow.conn.execute(
        update(A)
        .where(
            and_(
                tuple_(A.c.id, A.c.version).in_([(r.id, r.version) for r, _ in members]),
                A.c.state == source,
            )
        )
        .values(state=dest, version=A.c.version + 1, updated_at=now, term_no=A.c.term_no + 1)
        .returning(A.c.id, A.c.version, A.c.term_no)
    ).all()
    if not moved:
        return []
    moved = sorted(moved)
    uow.conn.execute(
        update(A).where(A.c.id == bindparam("agreement_id")),
        [
            {
                "agreement_id": agreement_id,
                "signed_on": renewals[agreement_id].signed_on,
                "effective_on": renewals[agreement_id].effective_on,
                "expires_on": renewals[agreement_id].expires_on,
                "renewal_opens_on": renewals[agreement_id].renewal_opens_on,
            }
            for agreement_id, _, _ in moved
        ],
    )
    events = uow.conn.execute(
        E.insert().returning(E.c.id, E.c.agreement_id, sort_by_parameter_order=True),
        [
            {
                "agreement_id": agreement_id,
                "seq": version,
                "at": by_id[agreement_id][1],
                "recorded_at": now,
                "actor": SYSTEM,
                "trigger": Trigger.RENEW.value,
                "from_state": source,
                "to_state": dest,
                "comment": None,
                "data": renewal_event_data(report.today, renewals[agreement_id]),
            }
            for agreement_id, version, _ in moved
        ],
    ).all()
    event_of = {agreement_id: event_id for event_id, agreement_id in events}
    terms = uow.conn.execute(
        TERMS.insert().returning(TERMS.c.id, sort_by_parameter_order=True),
        [
            {
                "agreement_id": agreement_id,
                "number": term_no,
                "signed_on": renewals[agreement_id].signed_on,
                "effective_on": renewals[agreement_id].effective_on,
                "expires_on": renewals[agreement_id].expires_on,
                "event_id": event_of[agreement_id],
            }
            for agreement_id, _, term_no in moved
        ],
    ).all()
    previous = (
        select(TERMS.c.id)
        .where(
            TERMS.c.agreement_id == bindparam("agreement_id"),
            TERMS.c.number == bindparam("previous"),
        )
        .scalar_subquery()
    )
    uow.conn.execute(
        SIGNATORIES.insert().from_select(
            ["term_id", "institution_id", "name", "person_id", "assumption"],
            select(
                bindparam("term_id"),
                SIGNATORIES.c.institution_id,
                SIGNATORIES.c.name,
                SIGNATORIES.c.person_id,
                bindparam("assumption"),
            )
            .where(SIGNATORIES.c.term_id == previous)
            .order_by(SIGNATORIES.c.id),
        ),
        [
            {
                "term_id": term_id,
                "agreement_id": agreement_id,
                "previous": term_no - 1,
                "assumption": CARRIED,
            }
            for (term_id,), (agreement_id, _, term_no) in zip(terms, moved, strict=True)
        ],
    )
    return [(event_id, agreement_id) for event_id, agreement_id in events]
