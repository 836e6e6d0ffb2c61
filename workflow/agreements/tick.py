"""The moves that time drives, applied as a set: renewal windows opening, agreements lapsing,
auto-renewing agreements renewing themselves.

Each candidate is still judged by the machine, versioned, and recorded with its event and outbox
row; only the statements are batched (one versioned UPDATE per (from, to) group, one INSERT of
events, one of outbox rows), so 1,000 due moves cost a handful of round trips, not 5,000.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from models import Agreement, AgreementEvent, table_of
from workflow import lifecycle
from workflow.agreements import tick_renewals, tick_writes
from workflow.agreements.subject import subject_of, utc_midnight
from workflow.agreements.tick_writes import SYSTEM, TickReport
from workflow.lifecycle import Move, RenewalType, State, Trigger
from workflow.uow import UnitOfWork

A = table_of(Agreement)
E = table_of(AgreementEvent)

__all__ = ["SYSTEM", "TickReport", "due", "run_tick", "tick"]
_CHUNK = 2000  # ids per statement: well under SQLite's bound-parameter limit

_COLUMNS = (
    A.c.id,
    A.c.slug,
    A.c.state,
    A.c.version,
    A.c.proposed_on,
    A.c.signed_on,
    A.c.expires_on,
    A.c.renewal_opens_on,
    A.c.term_no,
    A.c.term_months,
    A.c.renewal_type,
    A.c.notice_days,
    A.c.effective_on,
    A.c.renewal_window_days,
)
# A round of the tick renews an auto-renewing agreement by one term; a tick that catches up
# with several lapsed terms runs rounds until none is due (at most this many).
_MAX_ROUNDS = 1000
# Due at the end date: an auto-renewing agreement in force renews itself, the others expire.
LAPSING = (State.ACTIVE, State.RENEWED, State.RENEWAL_DUE, State.NOTICE_GIVEN, State.SUSPENDED)
OPENING = (State.ACTIVE, State.RENEWED)


def due(uow: UnitOfWork, today: date) -> list[tuple[Any, str, datetime]]:
    """(row, trigger, when) for every agreement time should move on `today`.

    `when` is the calendar's date, but never before the agreement's last event: a catch-up
    after a suspension or a late tick must not record history out of order.
    """
    if uow.conn.dialect.name == "postgresql":
        # The planner overestimates the due set (it cannot see that agreements past their end
        # date are mostly expired already, outside the partial index) and would then spend
        # tens of milliseconds JIT-compiling a query that reads a few hundred rows.
        uow.conn.exec_driver_sql("SET LOCAL jit = off")
    # The last event's time, looked up per due row by its unique (agreement_id, seq): a join
    # instead lets the planner hash the whole event table when it overestimates the due set.
    last_at = (
        select(E.c.at)
        .where(E.c.agreement_id == A.c.id, E.c.seq == A.c.version)
        .scalar_subquery()
        .label("last_at")
    )
    columns = (*_COLUMNS, last_at)
    lapsing = uow.conn.execute(
        select(*columns).where(A.c.state.in_(LAPSING), A.c.expires_on <= today)
    ).all()
    # An auto-renewing agreement has no renewal window to open: it renews by itself, and what
    # matters before its end is the notice deadline.
    opening = uow.conn.execute(
        select(*columns).where(
            A.c.state.in_(OPENING),
            A.c.renewal_opens_on <= today,
            A.c.expires_on > today,
            A.c.renewal_type != RenewalType.AUTO,
        )
    ).all()
    return [
        (
            r,
            (Trigger.RENEW if tick_renewals.renews_itself(r) else Trigger.EXPIRE).value,
            _not_before(r.expires_on, r.last_at),
        )
        for r in lapsing
    ] + [
        (r, Trigger.OPEN_RENEWAL.value, _not_before(r.renewal_opens_on, r.last_at)) for r in opening
    ]


def _not_before(day: date, last_at: datetime | None) -> datetime:
    start = utc_midnight(day)
    return max(start, last_at) if last_at is not None else start


def tick(
    uow: UnitOfWork, today: date, *, now: datetime | None = None, dry_run: bool = False
) -> TickReport:
    """Fire every due time-driven trigger as actor `system`; a second tick for a day is a no-op.

    A dry run judges the same candidates and reports the same moves, but writes nothing.
    """
    now = now or datetime.now(UTC)
    report = TickReport(today)
    for _ in range(_MAX_ROUNDS):
        renewed = len(report.moved.get(Trigger.RENEW.value, []))
        _round(uow, today, now, dry_run, report)
        if dry_run or len(report.moved.get(Trigger.RENEW.value, [])) == renewed:
            break
    return report


def _round(uow: UnitOfWork, today: date, now: datetime, dry_run: bool, report: TickReport) -> None:
    """Judge and apply what is due now; a renewal whose new term is already over is due again
    in the next round."""
    groups: dict[tuple[str, str, str], list[tuple[Any, datetime]]] = defaultdict(list)
    for row, trigger, when in due(uow, today):
        subject = subject_of(row)
        if trigger == Trigger.RENEW:
            move = tick_renewals.renewal_move(row, today, when.date())
        else:
            move = Move(trigger=trigger, today=today, on=when.date())
        try:
            dest = lifecycle.fire(subject, move)
        except lifecycle.IllegalMove as exc:
            refusal = f"{row.slug}: {exc}"
            if refusal not in report.refused:  # a later round judges it again
                report.refused.append(refusal)
            continue
        groups[(trigger, str(row.state), dest)].append((row, when))
    if dry_run:
        for (trigger, _, _), members in groups.items():
            report.moved[trigger].extend(row.slug for row, _ in members)
        return

    for (trigger, source, dest), members in groups.items():
        apply = tick_renewals.apply_renewals if trigger == Trigger.RENEW else None
        for start in range(0, len(members), _CHUNK):
            chunk = members[start : start + _CHUNK]
            if apply is not None:
                apply(uow, source, dest, chunk, now, report)
            else:
                tick_writes.apply_group(uow, trigger, source, dest, chunk, now, report)


def run_tick(uow: UnitOfWork, today: date, *, dry_run: bool = False) -> TickReport:
    """The tick as a use case: one transaction for the whole day's time-driven moves."""
    with uow:
        report = tick(uow, today, dry_run=dry_run)
        if not dry_run:
            uow.commit()
    return report
