"""Renewal reminders as rows: which are due, created set-based, cancelled when they stop applying.

A reminder is one `notifications` row keyed `renewal_reminder:<agreement>:<expiry>:<days>`, so a
sweep run twice, two sweeps at once or two beats create it once. The sweep inserts, for each
offset, the agreements whose reminder fell due within the last `catchup_days` — cost grows with
the number due, not the number stored, and a sweep after downtime catches up without a burst.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from models.tables import (
    Agreement,
    JSONType,
    Notification,
    ReminderPolicy,
    UTCDateTime,
    table_of,
)
from workflow.errors import InvalidInput
from workflow.lifecycle import State
from workflow.uow import UnitOfWork

A = table_of(Agreement)
N = table_of(Notification)
KIND = "renewal_reminder"
# Reminders go to agreements in force; a suspended one gets none until it resumes.
REMINDED = (State.ACTIVE, State.RENEWED, State.RENEWAL_DUE)


def reminder_key(agreement_id: int, expires_on: date, days: int) -> str:
    """The unique key of one reminder (the same text the set-based sweep builds in SQL)."""
    return f"{KIND}:{agreement_id}:{expires_on.isoformat()}:{days}"


def normalise_offsets(offsets: Iterable[int]) -> list[int]:
    """Offsets as distinct non-negative days, largest first; refuse anything else."""
    values = list(offsets)
    if not values:
        raise InvalidInput("reminder offsets must name at least one day count")
    if any(not isinstance(v, int) or v < 0 or v > 3650 for v in values):
        raise InvalidInput(f"reminder offsets must be whole days from 0 to 3650, not {values}")
    return sorted(set(values), reverse=True)


def _minus_days(column: Any, days: int, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return cast(column - literal(days, Integer), Date)
    # No CAST on SQLite: CAST(... AS DATE) has numeric affinity there and yields the year only.
    return func.date(column, f"-{days} days", type_=Date)


def _key_sql(days: int, dialect: str) -> ColumnElement[Any]:
    expiry = cast(A.c.expires_on, Text)
    return (
        literal(f"{KIND}:", String)
        .concat(cast(A.c.id, Text))
        .concat(literal(":", String))
        .concat(expiry)
        .concat(literal(f":{days}", String))
    )


def _group_selects(offsets: Sequence[int], scope: ColumnElement[bool], dialect: str) -> list[Any]:
    """One SELECT per offset; the day's window and `now` are bound parameters (see _bounds)."""
    selects = []
    for days in offsets:
        due_on = _minus_days(A.c.expires_on, days, dialect)
        selects.append(
            select(
                literal(KIND, String),
                _key_sql(days, dialect),
                A.c.id,
                due_on,
                literal("pending", String),
                literal(0, Integer),
                literal({}, JSONType),
                bindparam("now", type_=UTCDateTime()),
            ).where(
                A.c.state.in_(REMINDED),
                A.c.expires_on.between(
                    bindparam(f"from_{days}", type_=Date), bindparam(f"to_{days}", type_=Date)
                ),
                scope,
                # Bounded anti-join: the (kind, due_on) index answers it without a scan. The
                # window is spelled out (the due day implies it) so the planner reads only that
                # range, never every reminder ever made; the key is matched too: another term's
                # reminder may fall on the same day.
                ~exists().where(
                    N.c.kind == KIND,
                    N.c.due_on.between(
                        bindparam("due_from", type_=Date), bindparam("due_to", type_=Date)
                    ),
                    N.c.due_on == due_on,
                    N.c.agreement_id == A.c.id,
                    N.c.dedupe_key == _key_sql(days, dialect),
                ),
            )
        )
    return selects


Groups = tuple[tuple[int, ...], ...]


@lru_cache(maxsize=64)
def _due_statement(
    dialect: str,
    default: tuple[int, ...],
    policies: tuple[tuple[str, tuple[int, ...]], ...],
    custom: Groups,
) -> Any:
    """The sweep's one INSERT … SELECT for this shape of offsets, built once and reused: building
    the SQLAlchemy constructs cost more client time than the database spent on a quiet day.
    `policies` is ((kind, offsets), …); `custom` the distinct per-agreement offset lists,
    whose agreement ids are the expanding parameter `ids_<n>`."""
    default_scope: ColumnElement[bool] = A.c.reminder_offsets.is_(None)
    if policies:
        default_scope = and_(default_scope, A.c.kind.not_in([kind for kind, _ in policies]))
    selects = _group_selects(default, default_scope, dialect)
    for kind, offsets in policies:
        scope = and_(A.c.reminder_offsets.is_(None), A.c.kind == kind)
        selects += _group_selects(offsets, scope, dialect)
    for n, offsets in enumerate(custom):
        scope = A.c.id.in_(bindparam(f"ids_{n}", expanding=True))
        selects += _group_selects(offsets, scope, dialect)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(N)
        .from_select(
            [
                "kind",
                "dedupe_key",
                "agreement_id",
                "due_on",
                "status",
                "attempts",
                "payload",
                "created_at",
            ],
            union_all(*selects) if len(selects) > 1 else selects[0],
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(N.c.id)
    )


def _bounds(offsets: Iterable[int], today: date, catchup_days: int) -> dict[str, date]:
    """The catch-up window's days, and per offset the expiry days whose reminder fell due in it."""
    bounds = {"due_from": today - timedelta(days=catchup_days), "due_to": today}
    for days in offsets:
        bounds[f"from_{days}"] = today + timedelta(days=days - catchup_days)
        bounds[f"to_{days}"] = today + timedelta(days=days)
    return bounds


def materialize_due(
    uow: UnitOfWork,
    today: date,
    *,
    default_offsets: Sequence[int],
    catchup_days: int = 7,
    now: datetime | None = None,
) -> int:
    """Insert every renewal reminder due today (or missed within `catchup_days`); return count."""
    now = now or datetime.now(UTC)
    policies = {
        row.kind: normalise_offsets(row.offsets)
        for row in uow.conn.execute(select(table_of(ReminderPolicy))).all()
    }
    custom = uow.conn.execute(
        select(A.c.id, A.c.reminder_offsets).where(
            A.c.reminder_offsets.is_not(None), A.c.state.in_(REMINDED)
        )
    ).all()
    by_offsets: dict[tuple[int, ...], list[int]] = {}
    for row in custom:
        by_offsets.setdefault(tuple(normalise_offsets(row.reminder_offsets)), []).append(row.id)
    default = tuple(normalise_offsets(default_offsets))
    groups = [default, *policies.values(), *by_offsets]
    params: dict[str, Any] = {"now": now}
    params.update(_bounds({d for g in groups for d in g}, today, catchup_days))
    params.update({f"ids_{n}": ids for n, ids in enumerate(by_offsets.values())})
    statement = _due_statement(
        uow.dialect,
        default,
        tuple((kind, tuple(offsets)) for kind, offsets in policies.items()),
        tuple(by_offsets),
    )
    # Counted through RETURNING: rowcount of INSERT ... SELECT is not reliable across drivers.
    return len(uow.conn.execute(statement, params).all())


def schedule_term(
    uow: UnitOfWork,
    agreement_id: int,
    expires_on: date,
    offsets: Sequence[int],
    *,
    today: date,
    catchup_days: int = 7,
    now: datetime | None = None,
) -> int:
    """Create the reminders of one term ahead of time (skipping those long past); return count.

    A reminder of this term that was cancelled (the agreement was suspended, and has resumed)
    is made pending again; one already sent, or dead-lettered, is left as it is.
    """
    now = now or datetime.now(UTC)
    rows = [
        {
            "kind": KIND,
            "dedupe_key": reminder_key(agreement_id, expires_on, days),
            "agreement_id": agreement_id,
            "due_on": expires_on - timedelta(days=days),
            "status": "pending",
            "attempts": 0,
            "payload": {},
            "created_at": now,
        }
        for days in normalise_offsets(offsets)
        if expires_on - timedelta(days=days) >= today - timedelta(days=catchup_days)
    ]
    if not rows:
        return 0
    insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
    statement = (
        insert(N)
        .on_conflict_do_update(
            index_elements=["dedupe_key"],
            set_={"status": "pending", "next_attempt_at": None},
            where=N.c.status == "cancelled",
        )
        .returning(N.c.id)
    )
    # Counted through RETURNING: psycopg reports rowcount -1 for an executemany.
    return len(uow.conn.execute(statement, rows).all())


def cancel_pending(uow: UnitOfWork, agreement_id: int, *, keep_expiry: date | None = None) -> int:
    """Cancel an agreement's pending reminders, except those of the term ending `keep_expiry`."""
    condition = and_(N.c.agreement_id == agreement_id, N.c.kind == KIND, N.c.status == "pending")
    if keep_expiry is not None:
        keep = f"{KIND}:{agreement_id}:{keep_expiry.isoformat()}:%"
        condition = and_(condition, N.c.dedupe_key.not_like(keep))
    result = uow.conn.execute(update(N).where(condition).values(status="cancelled"))
    return int(result.rowcount or 0)


def kind_offsets(uow: UnitOfWork, kind: str, default: Sequence[int]) -> list[int]:
    """The offsets of one agreement kind: its policy, else the default."""
    return applicable_offsets(None, _kind_policy(uow, kind), default)


def _kind_policy(uow: UnitOfWork, kind: str) -> list[int] | None:
    policies = table_of(ReminderPolicy)
    return uow.conn.execute(
        select(policies.c.offsets).where(policies.c.kind == kind)
    ).scalar_one_or_none()


def applicable_offsets(
    own: Sequence[int] | None, kind_policy: Sequence[int] | None, default: Sequence[int]
) -> list[int]:
    """The offsets that apply: the agreement's own, else its kind's policy, else the default."""
    for offsets in (own, kind_policy):
        if offsets is not None:
            return normalise_offsets(offsets)
    return normalise_offsets(default)


def offsets_for(uow: UnitOfWork, agreement_id: int, default: Sequence[int]) -> list[int]:
    """The offsets that apply to one agreement: its own, else its kind's policy, else default."""
    row = uow.conn.execute(
        select(A.c.kind, A.c.reminder_offsets).where(A.c.id == agreement_id)
    ).one()
    own = row.reminder_offsets
    kind_policy = None if own is not None else _kind_policy(uow, row.kind)  # one query fewer
    return applicable_offsets(own, kind_policy, default)


def set_policy(uow: UnitOfWork, kind: str, offsets: Sequence[int] | None) -> list[int] | None:
    """Set (or with None, remove) the reminder offsets of one agreement kind."""
    policies = table_of(ReminderPolicy)
    uow.conn.execute(policies.delete().where(policies.c.kind == kind))
    if offsets is None:
        return None
    clean = normalise_offsets(offsets)
    uow.conn.execute(policies.insert().values(kind=kind, offsets=clean))
    return clean


def set_agreement_offsets(
    uow: UnitOfWork,
    agreement_id: int,
    offsets: Sequence[int] | None,
    *,
    today: date,
    default: Sequence[int],
    now: datetime | None = None,
) -> list[int]:
    """Override (or with None, stop overriding) one agreement's offsets; reschedule its term.

    Returns the offsets that now apply. Pending reminders of offsets no longer wanted are
    cancelled; those of new offsets are created (the sweep would also find them when due).
    """
    clean = normalise_offsets(offsets) if offsets is not None else None
    uow.conn.execute(update(A).where(A.c.id == agreement_id).values(reminder_offsets=clean))
    applied = offsets_for(uow, agreement_id, default)
    row = uow.conn.execute(select(A.c.state, A.c.expires_on).where(A.c.id == agreement_id)).one()
    if row.expires_on is None or row.state not in REMINDED:
        return applied
    wanted = {reminder_key(agreement_id, row.expires_on, d) for d in applied}
    uow.conn.execute(
        update(N)
        .where(
            N.c.agreement_id == agreement_id,
            N.c.kind == KIND,
            N.c.status == "pending",
            N.c.dedupe_key.not_in(wanted),
        )
        .values(status="cancelled")
    )
    schedule_term(uow, agreement_id, row.expires_on, applied, today=today, now=now)
    return applied
