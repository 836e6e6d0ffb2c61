"""The append-only change log of directory records: who changed which field, when, from what."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from models import DirectoryChange, table_of, utcnow
from workflow.errors import StaleVersion
from workflow.uow import UnitOfWork

C = table_of(DirectoryChange)


def as_text(value: Any) -> str | None:
    """A field's value as the log stores it: text, or NULL for none."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(getattr(value, "value", value))


def record(
    uow: UnitOfWork,
    *,
    table: str,
    record_id: int,
    version: int,
    actor: str,
    changes: Mapping[str, tuple[Any, Any]],
    at: datetime | None = None,
) -> None:
    """Log each field's (before, after) of one record at its new `version`."""
    when = at or utcnow()
    rows = [
        {
            "table_name": table,
            "record_id": record_id,
            "version": version,
            "field": field,
            "before": as_text(before),
            "after": as_text(after),
            "actor": actor,
            "at": when,
        }
        for field, (before, after) in changes.items()
    ]
    if rows:
        uow.conn.execute(insert(C), rows)


def history(uow: UnitOfWork, *, table: str, record_id: int) -> list[dict[str, Any]]:
    """Every logged change of one record, oldest first."""
    rows = uow.conn.execute(
        select(C).where(C.c.table_name == table, C.c.record_id == record_id).order_by(C.c.id)
    ).all()
    return [
        {
            "version": r.version,
            "at": r.at.isoformat(timespec="seconds"),
            "actor": r.actor,
            "field": r.field,
            "before": r.before,
            "after": r.after,
        }
        for r in rows
    ]


def stale(
    uow: UnitOfWork, *, table: str, record_id: int, label: str, expected: int
) -> StaleVersion:
    """The refusal for a stale --expect-version, naming who changed the record last and when."""
    last = uow.conn.execute(
        select(C.c.version, C.c.actor, C.c.at)
        .where(C.c.table_name == table, C.c.record_id == record_id)
        .order_by(C.c.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return StaleVersion(f"{label} is not at version {expected}; reload it and retry")
    at = last.at.isoformat(timespec="seconds")
    return StaleVersion(
        f"{label} is at version {last.version}, not {expected}: {last.actor} changed it at "
        f"{at}; nothing was changed — reload it and retry",
        version=last.version,
        actor=last.actor,
        at=at,
    )


def apply_edit(
    uow: UnitOfWork,
    *,
    model: Any,
    row: Any,
    label: str,
    values: Mapping[str, Any],
    expect_version: int,
    actor: str,
) -> int:
    """Write the fields of `values` that differ from `row`, at the next version, and log them.

    The UPDATE is conditional on the version read, so of two concurrent edits of one version
    only one is written; the other is refused as stale. Returns the record's version after.
    """
    t = table_of(model)
    if row.version != expect_version:
        raise stale(uow, table=t.name, record_id=row.id, label=label, expected=expect_version)
    changed = {f: (getattr(row, f), v) for f, v in values.items() if getattr(row, f) != v}
    if not changed:
        return int(row.version)
    new = expect_version + 1
    done = uow.conn.execute(
        update(t)
        .where(t.c.id == row.id, t.c.version == expect_version)
        .values(version=new, **{f: after for f, (_, after) in changed.items()})
    )
    if done.rowcount != 1:  # another edit landed between our read and our write
        raise stale(uow, table=t.name, record_id=row.id, label=label, expected=expect_version)
    record(uow, table=t.name, record_id=row.id, version=new, actor=actor, changes=changed)
    return new
