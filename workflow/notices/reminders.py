"""Renewal reminders as rows: made when due, re-planned when a rule changes, missed when late.

The sweep inserts, for each offset, the agreements whose reminder fell due within the last
`catchup_days`: cost grows with the number due, not the number stored, and a sweep after
downtime catches up without a burst. A change of rules (an agreement's days, a kind's policy,
the default) re-plans the agreements it touches, so the pending reminders always equal a fresh
plan from the rules in force; one past its day by more than the catch-up bound is missed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from models import Agreement, Notification, ReminderDefault, ReminderPolicy, table_of
from workflow.notices import reminder_rules as rules
from workflow.notices import reminder_sql as sql
from workflow.notices import reviews
from workflow.notices.reminder_rules import KIND as KIND
from workflow.notices.reminder_rules import REMINDED as REMINDED
from workflow.notices.reminder_rules import applicable_offsets as applicable_offsets
from workflow.notices.reminder_rules import kind_offsets as kind_offsets
from workflow.notices.reminder_rules import normalise_offsets as normalise_offsets
from workflow.notices.reminder_rules import offsets_for as offsets_for
from workflow.notices.reminder_rules import reminder_key as reminder_key
from workflow.uow import UnitOfWork

A = table_of(Agreement)
N = table_of(Notification)
P = table_of(ReminderPolicy)
D = table_of(ReminderDefault)
# The PostgreSQL advisory lock a sweep holds for its transaction. Every re-plan takes it too, so
# none interleaves with a sweep that has read the rules and writes reminders by them.
SWEEP_LOCK = 0x5EC0_5EE9


def hold_sweep_lock(uow: UnitOfWork) -> None:
    """Wait for any other sweep or re-plan, then keep them out until this transaction ends
    (PostgreSQL; SQLite's writers queue anyway). Taking it twice in one transaction is fine."""
    if uow.dialect == "postgresql":
        uow.conn.execute(select(func.pg_advisory_xact_lock(SWEEP_LOCK)))


@dataclass(frozen=True)
class Replanned:
    """What one re-plan did: reminders made or revived, and pending ones cancelled."""

    created: int = 0
    cancelled: int = 0


def _all_groups(
    uow: UnitOfWork, default: Sequence[int], *, in_force_only: bool
) -> tuple[tuple[sql.Group, ...], dict[str, Any]]:
    """Every agreement, in disjoint groups by the offsets that apply, and the groups' ids."""
    policies = rules.policies(uow)
    query = select(A.c.id, A.c.reminder_offsets).where(A.c.reminder_offsets.is_not(None))
    if in_force_only:
        query = query.where(A.c.state.in_(REMINDED))
    by_offsets: dict[tuple[int, ...], list[int]] = {}
    for row in uow.conn.execute(query).all():
        by_offsets.setdefault(tuple(normalise_offsets(row.reminder_offsets)), []).append(row.id)
    groups = [sql.Group(tuple(normalise_offsets(default)), policy_kinds=tuple(policies))]
    groups += [sql.Group(offsets, kind=kind) for kind, offsets in policies.items()]
    groups += [sql.Group(offsets, ids=n) for n, offsets in enumerate(by_offsets)]
    ids = {f"ids_{n}": members for n, members in enumerate(by_offsets.values())}
    return tuple(groups), ids


def _insert(
    uow: UnitOfWork,
    groups: tuple[sql.Group, ...],
    params: dict[str, Any],
    first_due: date,
    last_due: date | None,
    now: datetime,
) -> int:
    bounds = sql.window((d for g in groups for d in g.offsets), first_due, last_due)
    with_auto = bool(uow.conn.execute(sql.ANY_AUTO).scalar())
    statement = sql.insert_wanted(uow.dialect, groups, with_auto)
    # Counted through RETURNING: rowcount of INSERT ... SELECT is not reliable across drivers.
    return len(uow.conn.execute(statement, {**params, **bounds, "now": now}).all())


def materialize_due(
    uow: UnitOfWork,
    today: date,
    *,
    default_offsets: Sequence[int],
    catchup_days: int = 7,
    now: datetime | None = None,
) -> int:
    """Insert (or revive) every renewal reminder due today or within `catchup_days`; count."""
    groups, ids = _all_groups(uow, default_offsets, in_force_only=True)
    first = today - timedelta(days=catchup_days)
    return _insert(uow, groups, ids, first, today, now or datetime.now(UTC))


def replan(
    uow: UnitOfWork,
    *,
    today: date,
    default_offsets: Sequence[int],
    catchup_days: int = 7,
    agreement_id: int | None = None,
    kind: str | None = None,
    now: datetime | None = None,
) -> Replanned:
    """Make the pending reminders of one agreement, of one kind's agreements without days of
    their own, or (no scope given) of every agreement, a fresh plan from the rules in force;
    first, as a sweep does, those of the agreements that follow a default that has changed.
    Without a kind, the open-ended agreements' next review days are kept too (`reviews.plan`)."""
    now = now or datetime.now(UTC)
    followed = follow_default(
        uow, today=today, default_offsets=default_offsets, catchup_days=catchup_days, now=now
    )
    params: dict[str, Any] = {}
    if agreement_id is not None:
        offsets = rules.offsets_for(uow, agreement_id, default_offsets)
        groups: tuple[sql.Group, ...] = (sql.Group(tuple(offsets), ids=0),)
        params = {"ids_0": [agreement_id], "scope_id": agreement_id}
    elif kind is not None:
        offsets = rules.kind_offsets(uow, kind, default_offsets)
        groups = (sql.Group(tuple(offsets), kind=str(kind)),)
    else:
        groups, params = _all_groups(uow, default_offsets, in_force_only=False)
    done = _replan(
        uow,
        groups,
        params,
        one_agreement=agreement_id is not None,
        today=today,
        catchup_days=catchup_days,
        now=now,
    )
    if kind is None:
        reviewed = reviews.plan(
            uow, today=today, catchup_days=catchup_days, agreement_id=agreement_id
        )
        done = Replanned(done.created, done.cancelled + reviewed.cancelled)
    if followed is None:
        return done
    return Replanned(followed.created + done.created, followed.cancelled + done.cancelled)


def _replan(
    uow: UnitOfWork,
    groups: tuple[sql.Group, ...],
    params: dict[str, Any],
    *,
    one_agreement: bool,
    today: date,
    catchup_days: int,
    now: datetime,
) -> Replanned:
    hold_sweep_lock(uow)
    cancel = sql.cancel_unwanted(uow.dialect, groups, one_agreement)
    cancelled = int(uow.conn.execute(cancel, params).rowcount or 0)
    first = today - timedelta(days=catchup_days)
    return Replanned(_insert(uow, groups, params, first, None, now), cancelled)


def mark_missed(uow: UnitOfWork, today: date, catchup_days: int) -> int:
    """Record pending reminders past their day by more than `catchup_days` as missed; count."""
    before = today - timedelta(days=catchup_days)
    return int(uow.conn.execute(sql.MARK_MISSED, {"before": before}).rowcount or 0)


def follow_default(
    uow: UnitOfWork,
    *,
    today: date,
    default_offsets: Sequence[int],
    catchup_days: int = 7,
    now: datetime | None = None,
) -> Replanned | None:
    """Re-plan the agreements that follow the default when it differs from the one last planned
    with (None when it does not), and remember the one in force."""
    hold_sweep_lock(uow)  # before the read: two processes must not both see the old default
    now = now or datetime.now(UTC)
    default = normalise_offsets(default_offsets)
    last = uow.conn.execute(select(D.c.offsets).where(D.c.id == 1)).scalar_one_or_none()
    if last == default:
        return None
    values = {"offsets": default, "planned_on": today, "updated_at": now}
    if last is None:
        # A database's first plan: the reminders made so far followed this default.
        uow.conn.execute(D.insert().values(id=1, **values))
        return None
    uow.conn.execute(update(D).where(D.c.id == 1).values(**values))
    groups = (sql.Group(tuple(default), policy_kinds=tuple(rules.policies(uow))),)
    return _replan(
        uow, groups, {}, one_agreement=False, today=today, catchup_days=catchup_days, now=now
    )


def set_policy(
    uow: UnitOfWork,
    kind: str,
    offsets: Sequence[int] | None,
    *,
    today: date,
    default: Sequence[int],
    catchup_days: int = 7,
    now: datetime | None = None,
) -> Replanned:
    """Set (or with None, remove) one agreement kind's reminder offsets; re-plan its agreements."""
    uow.conn.execute(P.delete().where(P.c.kind == kind))
    if offsets is not None:
        uow.conn.execute(P.insert().values(kind=kind, offsets=normalise_offsets(offsets)))
    return replan(
        uow, today=today, default_offsets=default, catchup_days=catchup_days, kind=kind, now=now
    )


def set_agreement_offsets(
    uow: UnitOfWork,
    agreement_id: int,
    offsets: Sequence[int] | None,
    *,
    today: date,
    default: Sequence[int],
    catchup_days: int = 7,
    now: datetime | None = None,
) -> list[int]:
    """Override (or with None, stop overriding) one agreement's offsets and re-plan it; return
    the offsets that now apply."""
    clean = normalise_offsets(offsets) if offsets is not None else None
    uow.conn.execute(update(A).where(A.c.id == agreement_id).values(reminder_offsets=clean))
    replan(
        uow,
        today=today,
        default_offsets=default,
        catchup_days=catchup_days,
        agreement_id=agreement_id,
        now=now,
    )
    return rules.offsets_for(uow, agreement_id, default)
