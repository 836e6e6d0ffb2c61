"""The set-based SQL of renewal reminders, per group of agreements that share one list of offsets.

Each statement is built once per shape (dialect, groups) and reused: building the SQLAlchemy
constructs cost more client time than the database spent on a quiet day.

Fixed agreements' reminders count back from the end date, auto-renewing ones' from the notice
deadline (each their own SELECT, each on its own index); open-ended agreements get none.

- `insert_wanted`: INSERT … SELECT the reminders the rules want whose day falls in a window (the
  sweep: the catch-up window up to today; a replan: from the catch-up bound on), reviving
  cancelled ones and leaving those sent, missed or dead alone.
- `cancel_unwanted`: the pending reminders of a group's agreements the rules no longer want
  (another term, an offset dropped, the agreement out of force) become cancelled.
- `MARK_MISSED`: the pending reminders (renewal and review) past their day by more than the
  catch-up bound.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
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
    literal_column,
    not_,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from models import Agreement, JSONType, Notification, UTCDateTime, table_of
from workflow.notices.reminder_rules import AUTO, FIXED, KIND, NOTICE, REMINDED, REVIEW_KIND

A = table_of(Agreement)
N = table_of(Notification)


@dataclass(frozen=True)
class Group:
    """Agreements sharing one list of offsets: with `ids`, those bound as `ids_<ids>`; with
    `kind`, that kind's without days of their own; else those following the default (no days of
    their own, a kind outside `policy_kinds`)."""

    offsets: tuple[int, ...]
    kind: str | None = None
    policy_kinds: tuple[str, ...] = ()
    ids: int | None = None


def _members(group: Group) -> ColumnElement[bool]:
    if group.ids is not None:
        return A.c.id.in_(bindparam(f"ids_{group.ids}", expanding=True))
    no_own = A.c.reminder_offsets.is_(None)
    if group.kind is not None:
        return and_(no_own, A.c.kind == group.kind)
    if group.policy_kinds:
        return and_(no_own, A.c.kind.not_in(group.policy_kinds))
    return no_own


def _minus_days(column: Any, days: int, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return cast(column - literal(days, Integer), Date)
    # No CAST on SQLite: CAST(... AS DATE) has numeric affinity there and yields the year only.
    return func.date(column, f"-{days} days", type_=Date)


def _deadline(dialect: str) -> ColumnElement[Any]:
    """An auto-renewing agreement's notice deadline: its end date minus its notice period. On
    PostgreSQL spelt as ix_agreements_notice_deadline_auto indexes it (no bound parameter)."""
    notice = func.coalesce(A.c.notice_days, literal_column("0"))
    if dialect == "postgresql":
        return type_coerce(A.c.expires_on - notice, Date)
    return func.date(A.c.expires_on, literal_column("'-'", String).concat(notice).concat(" days"))


def _key_sql(days: int, dialect: str, auto: bool) -> ColumnElement[Any]:
    key = (
        literal(f"{KIND}:", String)
        .concat(cast(A.c.id, Text))
        .concat(literal(":", String))
        .concat(cast(A.c.expires_on, Text))
        .concat(literal(f":{days}", String))
    )
    if not auto:
        return key
    return key.concat(literal(f":{NOTICE}:", String)).concat(cast(_deadline(dialect), Text))


def _wanted(group: Group, days: int, dialect: str, auto: bool) -> Any:
    """One group's reminders `days` before the end date (`auto`: before the notice deadline)
    whose day is in the window (see `window`)."""
    counted_from = _deadline(dialect) if auto else A.c.expires_on
    due_on = _minus_days(counted_from, days, dialect)
    key = _key_sql(days, dialect, auto)
    return select(
        literal(KIND, String),
        key,
        A.c.id,
        due_on,
        literal("pending", String),
        literal(0, Integer),
        literal({}, JSONType),
        bindparam("now", type_=UTCDateTime()),
    ).where(
        A.c.state.in_(REMINDED),
        A.c.renewal_type == (AUTO if auto else FIXED),
        counted_from.between(
            bindparam(f"from_{days}", type_=Date), bindparam(f"to_{days}", type_=Date)
        ),
        _members(group),
        # Bounded anti-join: the (kind, due_on) index answers it without a scan. The window is
        # spelled out (the due day implies it) so the planner reads only that range, never every
        # reminder ever made; the key is matched too: another term's reminder may fall on the
        # same day. A cancelled one is selected, to be revived by the upsert.
        ~exists().where(
            N.c.kind == KIND,
            N.c.due_on.between(bindparam("due_from", type_=Date), bindparam("due_to", type_=Date)),
            N.c.due_on == due_on,
            N.c.agreement_id == A.c.id,
            N.c.dedupe_key == key,
            N.c.status != "cancelled",
        ),
    )


_COLUMNS = [
    "kind",
    "dedupe_key",
    "agreement_id",
    "due_on",
    "status",
    "attempts",
    "payload",
    "created_at",
]


# Whether any auto-renewing agreement is reminded at all: the partial index answers at once.
# Without one the sweep leaves out the statements by notice deadline (their planning is not free).
ANY_AUTO = select(exists().where(A.c.renewal_type == AUTO, A.c.state.in_(REMINDED)))


@lru_cache(maxsize=64)
def insert_wanted(dialect: str, groups: tuple[Group, ...], with_auto: bool = True) -> Any:
    """INSERT the groups' wanted reminders in the window; RETURNING the ids made or revived.
    Without `with_auto`, only fixed agreements' (when there is no auto-renewing one)."""
    selects = [
        _wanted(group, days, dialect, auto)
        for auto in ((False, True) if with_auto else (False,))
        for group in groups
        for days in group.offsets
    ]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The groups are disjoint, so no key comes twice (PostgreSQL refuses to update a row twice).
    return (
        insert(N)
        .from_select(_COLUMNS, union_all(*selects) if len(selects) > 1 else selects[0])
        .on_conflict_do_update(
            index_elements=["dedupe_key"],
            set_={"status": "pending", "next_attempt_at": None},
            where=N.c.status == "cancelled",
        )
        .returning(N.c.id)
    )


@lru_cache(maxsize=64)
def cancel_unwanted(dialect: str, groups: tuple[Group, ...], one_agreement: bool) -> Any:
    """UPDATE the groups' agreements' pending reminders the rules do not want to cancelled;
    with `one_agreement`, only those of the agreement bound as `scope_id`."""

    def keys(group: Group, auto: bool) -> ColumnElement[bool]:
        return or_(*(N.c.dedupe_key == _key_sql(d, dialect, auto) for d in group.offsets))

    # Fixed agreements want keys by their end date, auto-renewing ones by their notice deadline,
    # open-ended ones none.
    wanted = or_(
        *(
            and_(
                _members(group),
                or_(
                    and_(A.c.renewal_type == FIXED, keys(group, False)),
                    and_(A.c.renewal_type == AUTO, keys(group, True)),
                ),
            )
            for group in groups
        )
    )
    in_force = and_(A.c.state.in_(REMINDED), A.c.expires_on.is_not(None), wanted)
    unwanted = exists().where(
        A.c.id == N.c.agreement_id, or_(*(_members(g) for g in groups)), not_(in_force)
    )
    condition = and_(N.c.kind == KIND, N.c.status == "pending", unwanted)
    if one_agreement:
        condition = and_(condition, N.c.agreement_id == bindparam("scope_id"))
    return update(N).where(condition).values(status="cancelled")


MARK_MISSED = (
    update(N)
    .where(
        N.c.kind.in_((KIND, REVIEW_KIND)),
        N.c.status == "pending",
        N.c.due_on < bindparam("before", type_=Date),
    )
    .values(status="missed")
)


def window(offsets: Iterable[int], first_due: date, last_due: date | None) -> dict[str, date]:
    """The parameters of a window of due days (`last_due` None: no end), and per offset the
    expiry days whose reminder falls due in it."""
    bounds = {"due_from": first_due, "due_to": last_due or date.max}
    for days in set(offsets):
        bounds[f"from_{days}"] = first_due + timedelta(days=days)
        bounds[f"to_{days}"] = last_due + timedelta(days=days) if last_due else date.max
    return bounds
