"""Finding a directory record by its id or slug, a slug already taken, what refers to a record,
and deleting one nothing refers to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete as delete_
from sqlalchemy import func, select

from models import table_of
from workflow.directory import changes
from workflow.errors import InvalidInput, NotFound
from workflow.uow import UnitOfWork

_MAX_ID = 2**31 - 1


def find_row(uow: UnitOfWork, model: Any, ref: str | int, what: str, listing: str) -> Any:
    """The row of `model` whose id or slug is `ref`, or NotFound saying where to look."""
    t = table_of(model)
    key = ref.strip() if isinstance(ref, str) else ref
    if isinstance(key, int) or (key.isascii() and key.isdigit() and int(key) <= _MAX_ID):
        row = uow.conn.execute(select(t).where(t.c.id == int(key))).first()
    else:
        row = uow.conn.execute(select(t).where(t.c.slug == key)).first()
    if row is None:
        raise NotFound(f"no {what} {ref!r}: see `accord {listing} list`")
    return row


def require_free_slug(uow: UnitOfWork, model: Any, slug: str, what: str) -> None:
    """InvalidInput naming the record that already has `slug`, if one has."""
    t = table_of(model)
    holder = uow.conn.execute(select(t.c.id, t.c.name).where(t.c.slug == slug)).first()
    if holder is not None:
        raise InvalidInput(
            f"{what} slug {slug!r} is taken by {holder.name} (id {holder.id}); choose another"
        )


def referrers(uow: UnitOfWork, model: Any, record_id: int) -> list[str]:
    """What refers to one record, as "2 units.institution_id": every foreign key to its table."""
    target = table_of(model)
    found = []
    for other in target.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table is target:
                count = uow.conn.execute(
                    select(func.count()).select_from(other).where(key.parent == record_id)
                ).scalar_one()
                if count:
                    found.append(f"{count} {other.name}.{key.parent.name}")
    return found


def delete(
    uow: UnitOfWork, *, model: Any, row: Any, label: str, expect_version: int, actor: str
) -> None:
    """Delete a record nothing refers to, at `expect_version`, and log that it was deleted."""
    t = table_of(model)
    if row.version != expect_version:
        raise changes.stale(
            uow, table=t.name, record_id=row.id, label=label, expected=expect_version
        )
    if using := referrers(uow, model, row.id):
        hint = "; mark it --inactive instead" if "active" in t.c else ""
        raise InvalidInput(f"{label} is referred to by {', '.join(using)}: not deleted{hint}")
    done = uow.conn.execute(delete_(t).where(t.c.id == row.id, t.c.version == expect_version))
    if done.rowcount != 1:  # pragma: no cover - an edit landed between our read and our write
        raise changes.stale(
            uow, table=t.name, record_id=row.id, label=label, expected=expect_version
        )
    changes.record(
        uow,
        table=t.name,
        record_id=row.id,
        version=expect_version + 1,
        actor=actor,
        changes={"deleted": (row.slug, None)},
    )


def delete_record(uow: UnitOfWork, *, what: str, ref: str, expect_version: int, actor: str) -> str:
    """Delete the institution, unit, person or partnership `ref` (see `delete`); its slug."""
    from models import Institution, Partnership, Person, Unit

    model, listing = {
        "institution": (Institution, "institutions"),
        "unit": (Unit, "units"),
        "person": (Person, "people"),
        "partnership": (Partnership, "partnerships"),
    }[what]
    row = find_row(uow, model, ref, what, listing)
    label = f"{what} {row.slug}"
    delete(uow, model=model, row=row, label=label, expect_version=expect_version, actor=actor)
    return str(row.slug)
