"""A move's writes on PostgreSQL: the versioned UPDATE, event and outbox row in one statement."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, func, select, type_coerce, update
from sqlalchemy.dialects.postgresql import JSONB

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


# Moves set a few column sets; edits set any combination of their fields.
@lru_cache(maxsize=64)
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


def _event_params(event: NewEvent) -> dict[str, Any]:
    """The parameters of the PostgreSQL statements writing an event (e_…) and its outbox row
    (o_…): prefixed, so that no key is ever taken for a column to SET or INSERT."""
    payload = event.payload(0)
    del payload["event_id"]  # the statement adds it, from the event row it inserted
    return {
        **{f"e_{name}": value for name, value in event.row().items()},
        "o_topic": f"agreement.{event.trigger}",
        "o_payload": payload,
        "o_created_at": event.now,
        "o_available_at": event.now,
        "o_attempts": 0,
    }


def write_move(
    uow: UnitOfWork,
    *,
    agreement_id: int,
    version: int,
    values: dict[str, Any],
    event: NewEvent,
) -> int | None:
    """The versioned UPDATE setting `values`, its event and outbox row, in one round trip;
    the event's id, or None when the version was stale (then nothing was written)."""
    params = _event_params(event)
    params.update({f"set_{name}": value for name, value in values.items()})
    params.update(where_id=agreement_id, where_version=version)
    del params["e_agreement_id"]  # the event takes it from the row the UPDATE returned
    found: int | None = uow.conn.execute(
        _move_statement(tuple(values)), params
    ).scalar_one_or_none()
    return found


def write_event(uow: UnitOfWork, event: NewEvent) -> int:
    """Append the event and its outbox row in one statement; return the event id."""
    event_id: int = uow.conn.execute(_INSERT_EVENT_AND_OUTBOX, _event_params(event)).scalar_one()
    return event_id
