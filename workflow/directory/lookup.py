"""Finding a directory record by its id or slug, and the clash of a slug already taken."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models import table_of
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
