"""The tick's writes for one group of moves (same trigger, same source and destination state).

Only the statements are batched: one versioned UPDATE per group, one INSERT of events, one of
outbox rows (on PostgreSQL the first two are one statement, its members passed as one json
parameter).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, text, tuple_, update
from sqlalchemy.dialects.postgresql import JSONB

from models import Agreement, AgreementEvent, OutboxMessage, table_of
from workflow.agreements.events import outbox_payload
from workflow.uow import UnitOfWork

A = table_of(Agreement)
E = table_of(AgreementEvent)
O = table_of(OutboxMessage)  # noqa: E741

SYSTEM = "system"


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


def apply_group(
    uow: UnitOfWork,
    trigger: str,
    source: str,
    dest: str,
    members: list[tuple[Any, datetime]],
    now: datetime,
    report: TickReport,
) -> None:
    """Move one group: the versioned UPDATE, its events and outbox rows; a member whose version
    or state changed since `due` read it is skipped as stale."""
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
    write_outbox(uow, trigger, source, dest, event_ids, by_id, now)
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
    write_outbox(uow, trigger, source, dest, event_ids, by_id, now)
    moved = {agreement_id for _, agreement_id in event_ids}
    report.moved[trigger].extend(row.slug for row, _ in members if row.id in moved)


def write_outbox(
    uow: UnitOfWork,
    trigger: str,
    source: str,
    dest: str,
    event_ids: Sequence[tuple[int, int]],
    by_id: dict[int, tuple[Any, datetime]],
    now: datetime,
) -> None:
    """The outbox rows of the events just written, (event id, agreement id) each: one INSERT."""
    rows = [
        {
            "agreement_id": agreement_id,
            "event_id": event_id,
            "payload": outbox_payload(
                event_id, agreement_id, trigger, source, dest, by_id[agreement_id][1]
            ),
        }
        for event_id, agreement_id in event_ids
    ]
    if uow.conn.dialect.name == "postgresql":
        uow.conn.execute(_OUTBOX_ROWS, {"topic": f"agreement.{trigger}", "rows": rows, "now": now})
        return
    uow.conn.execute(
        O.insert(),
        [
            {
                **row,
                "topic": f"agreement.{trigger}",
                "created_at": now,
                "available_at": now,
                "attempts": 0,
            }
            for row in rows
        ],
    )
