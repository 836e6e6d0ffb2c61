"""A move's writes on SQLite: the versioned UPDATE, the event and its outbox row, one by one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, bindparam, update

from models import (
    Agreement,
    AgreementEvent,
    OutboxMessage,
    table_of,
)
from workflow.agreements.events import NewEvent
from workflow.uow import UnitOfWork

A = table_of(Agreement)
E = table_of(AgreementEvent)
O = table_of(OutboxMessage)  # noqa: E741 - the outbox table, as in the design notes


# SET takes the columns of the parameters given (state, version, updated_at, and the term's
# dates when signing); the WHERE is the optimistic lock.
_UPDATE_VERSIONED = update(A).where(
    A.c.id == bindparam("where_id", type_=Integer),
    A.c.version == bindparam("where_version", type_=Integer),
)
_INSERT_EVENT = E.insert().returning(E.c.id)
_INSERT_OUTBOX = O.insert()


def write_move(
    uow: UnitOfWork,
    *,
    agreement_id: int,
    version: int,
    values: dict[str, Any],
    event: NewEvent,
) -> int | None:
    """The versioned UPDATE setting `values`, then the event and its outbox row; the event's id,
    or None when the version was stale (then nothing was written)."""
    result = uow.conn.execute(
        _UPDATE_VERSIONED, {"where_id": agreement_id, "where_version": version, **values}
    )
    if result.rowcount != 1:
        return None
    return write_event(uow, event)


def write_event(uow: UnitOfWork, event: NewEvent) -> int:
    """Append the event, then its outbox row; return the event id."""
    event_id: int = uow.conn.execute(_INSERT_EVENT, event.row()).scalar_one()
    uow.conn.execute(
        _INSERT_OUTBOX,
        {
            "topic": f"agreement.{event.trigger}",
            "agreement_id": event.agreement_id,
            "event_id": event_id,
            "payload": event.payload(event_id),
            "created_at": event.now,
            "available_at": event.now,
            "attempts": 0,
        },
    )
    return event_id
