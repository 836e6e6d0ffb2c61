"""Dead letters: work that failed past its retry cap, listed for ops and replayed on request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from models import DeadLetter, Notification, table_of
from workflow.errors import InvalidInput, NotFound
from workflow.uow import UnitOfWork

N = table_of(Notification)
D = table_of(DeadLetter)


@dataclass(frozen=True)
class DeadLetterView:
    """One dead letter as ops see it."""

    id: int
    task: str
    notification_id: int | None
    kind: str | None
    error: str
    attempts: int
    failed_at: datetime
    replayed_at: datetime | None
    replay_count: int


def list_dead(uow: UnitOfWork, *, include_replayed: bool = False) -> list[DeadLetterView]:
    """Dead letters, newest first; replayed ones only when asked."""
    query = select(D).order_by(D.c.id.desc())
    if not include_replayed:
        query = query.where(D.c.replayed_at.is_(None))
    return [
        DeadLetterView(
            r.id,
            r.task,
            r.notification_id,
            (r.payload or {}).get("kind"),
            r.error,
            r.attempts,
            r.failed_at,
            r.replayed_at,
            r.replay_count,
        )
        for r in uow.conn.execute(query).all()
    ]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def as_json(d: DeadLetterView) -> dict[str, Any]:
    """A dead letter as `accord dead-letters list --json` prints it."""
    return {
        "id": d.id,
        "task": d.task,
        "notification_id": d.notification_id,
        "kind": d.kind,
        "error": d.error,
        "attempts": d.attempts,
        "failed_at": _iso(d.failed_at),
        "replayed_at": _iso(d.replayed_at),
        "replay_count": d.replay_count,
    }


def replay(uow: UnitOfWork, dead_letter_id: int, *, now: datetime | None = None) -> int:
    """Put a dead letter's notification back in the queue with fresh attempts; return its id."""
    now = now or datetime.now(UTC)
    row = uow.conn.execute(select(D).where(D.c.id == dead_letter_id)).first()
    if row is None:
        raise NotFound(f"no dead letter {dead_letter_id}: see `accord dead-letters list`")
    if row.replayed_at is not None:
        raise InvalidInput(
            f"dead letter {dead_letter_id} was replayed at {row.replayed_at.isoformat()}"
        )
    if row.notification_id is None:
        raise InvalidInput(f"dead letter {dead_letter_id} has nothing to replay")
    uow.conn.execute(
        update(N)
        .where(N.c.id == row.notification_id)
        .values(status="pending", attempts=0, next_attempt_at=None, last_error=None)
    )
    uow.conn.execute(
        update(D)
        .where(D.c.id == dead_letter_id)
        .values(replayed_at=now, replay_count=D.c.replay_count + 1)
    )
    return int(row.notification_id)
