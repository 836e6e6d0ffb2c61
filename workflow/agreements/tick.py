"""The moves that time drives, applied as a set: renewal windows opening, agreements lapsing.

Each candidate is still judged by the machine, versioned, and recorded with its event and outbox
row; only the statements are batched (one versioned UPDATE per (from, to) group, one INSERT of
events, one of outbox rows), so 1,000 due moves cost a handful of round trips, not 5,000.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import JSONB

from models import Agreement, AgreementEvent, OutboxMessage, table_of
from workflow import lifecycle
from workflow.agreements.events import outbox_payload
from workflow.agreements.subject import subject_of, utc_midnight
from workflow.lifecycle import Move, State, Trigger
from workflow.uow import UnitOfWork

A = table_of(Agreement)
E = table_of(AgreementEvent)
O = table_of(OutboxMessage)  # noqa: E741

SYSTEM = "system"
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
)
LAPSING = (State.ACTIVE, State.RENEWED, State.RENEWAL_DUE, State.NOTICE_GIVEN, State.SUSPENDED)
OPENING = (State.ACTIVE, State.RENEWED)


@dataclass
class TickReport:
    """What one tick did: moves made per trigger, and candidates the machine refused."""

    today: date
    moved: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    refused: list[str] = field(default_factory=list)
    skipped_stale: int = 0

    @property
    def total(self) -> int:
        """How many moves were made."""
        return sum(len(v) for v in self.moved.values())


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
    opening = uow.conn.execute(
        select(*columns).where(
            A.c.state.in_(OPENING),
            A.c.renewal_opens_on <= today,
            A.c.expires_on > today,
        )
    ).all()
    return [(r, Trigger.EXPIRE.value, _not_before(r.expires_on, r.last_at)) for r in lapsing] + [
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
    groups: dict[tuple[str, str, str], list[tuple[Any, datetime]]] = defaultdict(list)
    for row, trigger, when in due(uow, today):
        subject = subject_of(row)
        try:
            dest = lifecycle.fire(subject, Move(trigger=trigger, today=today, on=when.date()))
        except lifecycle.IllegalMove as exc:
            report.refused.append(f"{row.slug}: {exc}")
            continue
        groups[(trigger, str(row.state), dest)].append((row, when))
    if dry_run:
        for (trigger, _, _), members in groups.items():
            report.moved[trigger].extend(row.slug for row, _ in members)
        return report

    for (trigger, source, dest), members in groups.items():
        for start in range(0, len(members), _CHUNK):
            _apply_group(uow, trigger, source, dest, members[start : start + _CHUNK], now, report)
    return report


def _apply_group(
    uow: UnitOfWork,
    trigger: str,
    source: str,
    dest: str,
    members: list[tuple[Any, datetime]],
    now: datetime,
    report: TickReport,
) -> None:
    if uow.conn.dialect.name == "postgresql":
        _apply_group_as_json(uow, trigger, source, dest, members, now, report)
        return
    by_id = {row.id: (row, effective) for row, effective in members}
    moved = uow.conn.execute(
        update(A)
        .where(
            and_(
                tuple_(A.c.id, A.c.version).in_([(r.id, r.version) for r, _ in members]),
                A.c.state == source,
            )
        )
        .values(state=dest, version=A.c.version + 1, updated_at=now)
        .returning(A.c.id, A.c.version)
    ).all()
    report.skipped_stale += len(members) - len(moved)
    if not moved:
        return
    events = [
        {
            "agreement_id": agreement_id,
            "seq": version,
            "at": by_id[agreement_id][1],
            "recorded_at": now,
            "actor": SYSTEM,
            "trigger": trigger,
            "from_state": source,
            "to_state": dest,
            "comment": None,
            "data": {"tick": report.today.isoformat()},
        }
        for agreement_id, version in moved
    ]
    event_ids = uow.conn.execute(
        E.insert().returning(E.c.id, E.c.agreement_id, sort_by_parameter_order=True), events
    ).all()
    uow.conn.execute(
        O.insert(),
        [
            {
                "topic": f"agreement.{trigger}",
                "agreement_id": agreement_id,
                "event_id": event_id,
                "payload": outbox_payload(
                    event_id,
                    agreement_id,
                    trigger,
                    source,
                    dest,
                    by_id[agreement_id][1],
                ),
                "created_at": now,
                "available_at": now,
                "attempts": 0,
            }
            for event_id, agreement_id in event_ids
        ],
    )
    report.moved[trigger].extend(by_id[agreement_id][0].slug for agreement_id, _ in moved)


# PostgreSQL: a group in two statements whatever its size, its members passed as ONE json
# parameter (not one parameter per value): the versioned UPDATE with the events inserted from the
# rows it returned, then the outbox rows. A member whose version or state changed since `due` read
# it is not updated, so it gets no event either.
_MOVE_GROUP = text(
    """
WITH due AS (
    SELECT * FROM jsonb_to_recordset(:members) AS due (id integer, version integer,
                                                        at timestamptz)
), moved AS (
    UPDATE agreements SET state = :dest, version = agreements.version + 1, updated_at = :now
    FROM due
    WHERE agreements.id = due.id AND agreements.version = due.version
      AND agreements.state = :source
    RETURNING agreements.id, agreements.version, due.at
)
INSERT INTO agreement_events (agreement_id, seq, at, recorded_at, actor, trigger,
                              from_state, to_state, comment, data)
SELECT id, version, at, :now, :actor, :trigger, :source, :dest, NULL, :data
FROM moved ORDER BY id
RETURNING id, agreement_id
"""
).bindparams(
    bindparam("members", type_=JSONB),
    bindparam("now", type_=A.c.updated_at.type),
    bindparam("data", type_=JSONB),
)
_OUTBOX_ROWS = text(
    """
INSERT INTO outbox (topic, agreement_id, event_id, payload, created_at, available_at, attempts)
SELECT :topic, agreement_id, event_id, payload, :now, :now, 0
FROM jsonb_to_recordset(:rows) AS rows (agreement_id integer, event_id integer, payload jsonb)
"""
).bindparams(
    bindparam("rows", type_=JSONB),
    bindparam("now", type_=O.c.created_at.type),
)


def _apply_group_as_json(
    uow: UnitOfWork,
    trigger: str,
    source: str,
    dest: str,
    members: list[tuple[Any, datetime]],
    now: datetime,
    report: TickReport,
) -> None:
    """`_apply_group` on PostgreSQL: the same rows, written by two statements."""
    by_id = {row.id: (row, effective) for row, effective in members}
    event_ids = uow.conn.execute(
        _MOVE_GROUP,
        {
            "members": [
                {"id": row.id, "version": row.version, "at": effective.isoformat()}
                for row, effective in members
            ],
            "now": now,
            "source": source,
            "dest": dest,
            "actor": SYSTEM,
            "trigger": trigger,
            "data": {"tick": report.today.isoformat()},
        },
    ).all()
    report.skipped_stale += len(members) - len(event_ids)
    if not event_ids:
        return
    uow.conn.execute(
        _OUTBOX_ROWS,
        {
            "topic": f"agreement.{trigger}",
            "rows": [
                {
                    "agreement_id": agreement_id,
                    "event_id": event_id,
                    "payload": outbox_payload(
                        event_id, agreement_id, trigger, source, dest, by_id[agreement_id][1]
                    ),
                }
                for event_id, agreement_id in event_ids
            ],
            "now": now,
        },
    )
    moved = {agreement_id for _, agreement_id in event_ids}
    report.moved[trigger].extend(row.slug for row, _ in members if row.id in moved)


def run_tick(uow: UnitOfWork, today: date, *, dry_run: bool = False) -> TickReport:
    """The tick as a use case: one transaction for the whole day's time-driven moves."""
    with uow:
        report = tick(uow, today, dry_run=dry_run)
        if not dry_run:
            uow.commit()
    return report
