"""Institutions: add and edit them, each edit versioned and logged, as the lifecycle is."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import insert

from models import Institution, InstitutionKind, table_of
from workflow.directory import changes, fields
from workflow.directory.lookup import find_row, require_free_slug
from workflow.errors import InvalidInput
from workflow.uow import UnitOfWork
from workflow.validation import time_zone_name

T = table_of(Institution)
TABLE = "institutions"


def kind_of(value: str) -> InstitutionKind:
    """An institution kind by its name; else InvalidInput listing the kinds."""
    try:
        return InstitutionKind(value.strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in InstitutionKind)
        raise InvalidInput(f"--kind: {value!r} is not a kind; use one of {kinds}") from None


def _time_zone(value: str) -> str | None:
    return time_zone_name(value.strip(), "--time-zone") if value.strip() else None


# Each editable field and the check its new value passes; an empty text clears an optional one.
CLEAN: dict[str, Callable[[Any], Any]] = {
    "name": lambda v: fields.text(v, "--name", 200),
    "short_name": lambda v: fields.optional_text(v, "--short-name", 40),
    "kind": kind_of,
    "country": fields.country,
    "city": lambda v: fields.optional_text(v, "--city", 100),
    "time_zone": _time_zone,
    "founded": lambda v: fields.year(v, "--founded"),
    "website": fields.website,
    "active": bool,
}


def find(uow: UnitOfWork, ref: str | int) -> Any:
    """The institution whose id or slug is `ref`, or NotFound."""
    return find_row(uow, Institution, ref, "institution", "institutions")


def clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """The given fields (None: not given) checked; InvalidInput on the first bad one."""
    unknown = set(values) - set(CLEAN)
    if unknown:  # pragma: no cover - the CLI offers only these
        raise InvalidInput(f"institutions have no field {sorted(unknown)[0]!r}")
    return {f: CLEAN[f](v) for f, v in values.items() if v is not None}


def add(
    uow: UnitOfWork,
    *,
    actor: str,
    slug: str,
    name: str,
    kind: str,
    country: str,
    short_name: str | None = None,
    city: str | None = None,
    time_zone: str | None = None,
    founded: int | None = None,
    website: str | None = None,
) -> int:
    """Store a new institution at version 1, its fields logged as set by `actor`; its id."""
    slug = fields.slug(slug)
    values = clean(
        {
            "name": name,
            "short_name": short_name,
            "kind": kind,
            "country": country,
            "city": city,
            "time_zone": time_zone,
            "founded": founded,
            "website": website,
        }
    )
    require_free_slug(uow, Institution, slug, "institution")
    new_id = uow.conn.execute(
        insert(T).values(slug=slug, version=1, active=True, **values).returning(T.c.id)
    ).scalar_one()
    logged = {"slug": (None, slug)} | {f: (None, v) for f, v in values.items() if v is not None}
    changes.record(uow, table=TABLE, record_id=new_id, version=1, actor=actor, changes=logged)
    return int(new_id)


def edit(
    uow: UnitOfWork,
    *,
    ref: str,
    expect_version: int,
    actor: str,
    values: Mapping[str, Any],
) -> tuple[str, int]:
    """Change the given fields of one institution if it is still at `expect_version`.

    Returns its slug and its version after; a field given its current value is no change.
    """
    cleaned = clean(values)
    if not cleaned:
        raise InvalidInput("nothing to change: give at least one field option (see --help)")
    row = find(uow, ref)
    version = changes.apply_edit(
        uow,
        model=Institution,
        row=row,
        label=f"institution {row.slug}",
        values=cleaned,
        expect_version=expect_version,
        actor=actor,
    )
    return row.slug, version
