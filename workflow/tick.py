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

from sqlalchemy import and_, select, tuple_, update

from models.tables import Agreement, AgreementEvent, OutboxMessage, table_of
from workflow import lifecycle
from workflow.lifecycle import Move, State, Trigger
from workflow.moves import outbox_payload, subject_of, utc_midnight
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
)
LAPSING = (State.ACTIVE, State.RENEWED, State.RENEWAL_DUE, State.SUSPENDED)
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


def due(uow: UnitOfWork, today: date) -> list[tuple[Any, str, date]]:
    """(row, trigger, effective date) for every agreement time should move on `today`."""
    lapsing = uow.conn.execute(
        select(*_COLUMNS).where(A.c.state.in_(LAPSING), A.c.expires_on <= today)
    ).all()
    opening = uow.conn.execute(
        select(*_COLUMNS).where(
            A.c.state.in_(OPENING),
            A.c.renewal_opens_on <= today,
            A.c.expires_on > today,
        )
    ).all()
    return [(r, Trigger.EXPIRE.value, r.expires_on) for r in lapsing] + [
        (r, Trigger.OPEN_RENEWAL.value, r.renewal_opens_on) for r in opening
    ]


def tick(uow: UnitOfWork, today: date, *, now: datetime | None = None) -> TickReport:
    """Fire every due time-driven trigger as actor `system`; a second tick for a day is a no-op."""
    now = now or datetime.now(UTC)
    report = TickReport(today)
    groups: dict[tuple[str, str, str], list[tuple[Any, date]]] = defaultdict(list)
    for row, trigger, effective in due(uow, today):
        subject = subject_of(row)
        try:
            dest = lifecycle.fire(subject, Move(trigger=trigger, today=today, on=effective))
        except lifecycle.IllegalMove as exc:
            report.refused.append(f"{row.slug}: {exc}")
            continue
        groups[(trigger, str(row.state), dest)].append((row, effective))

    for (trigger, source, dest), members in groups.items():
        for start in range(0, len(members), _CHUNK):
            _apply_group(uow, trigger, source, dest, members[start : start + _CHUNK], now, report)
    return report


def _apply_group(
    uow: UnitOfWork,
    trigger: str,
    source: str,
    dest: str,
    members: list[tuple[Any, date]],
    now: datetime,
    report: TickReport,
) -> None:
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
            "at": utc_midnight(by_id[agreement_id][1]),
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
                    utc_midnight(by_id[agreement_id][1]),
                ),
                "created_at": now,
                "available_at": now,
                "attempts": 0,
            }
            for event_id, agreement_id in event_ids
        ],
    )
    report.moved[trigger].extend(by_id[agreement_id][0].slug for agreement_id, _ in moved)


def run_tick(uow: UnitOfWork, today: date) -> TickReport:
    """The tick as a use case: one transaction for the whole day's time-driven moves."""
    with uow:
        report = tick(uow, today)
        uow.commit()
    return report
