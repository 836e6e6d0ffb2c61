"""Units: an institution's schools, offices, hospitals …, with the mailbox notices go to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, get_args

from sqlalchemy import insert, or_, select

from models import Agreement, Institution, Person, Unit, table_of
from workflow.directory import changes, fields, institutions
from workflow.directory.institution_views import like
from workflow.directory.lookup import find_row, require_free_slug
from workflow.errors import InvalidInput
from workflow.seeding.fields import UnitKind
from workflow.uow import UnitOfWork

T, I = table_of(Unit), table_of(Institution)  # noqa: E741
TABLE = "units"
KINDS: tuple[str, ...] = get_args(UnitKind)


def kind_of(value: str) -> str:
    """A unit kind by its name; else InvalidInput listing the kinds."""
    kind = value.strip().lower()
    if kind not in KINDS:
        raise InvalidInput(f"--kind: {value!r} is not a unit kind; use one of {', '.join(KINDS)}")
    return kind


CLEAN: dict[str, Callable[[Any], Any]] = {
    "name": lambda v: fields.text(v, "--name", 200),
    "kind": kind_of,
    "email": fields.email,
}


def find(uow: UnitOfWork, ref: str | int) -> Any:
    """The unit whose id or slug is `ref`, or NotFound."""
    return find_row(uow, Unit, ref, "unit", "units")


def add(
    uow: UnitOfWork,
    *,
    actor: str,
    slug: str,
    institution: str,
    name: str,
    kind: str,
    email: str | None = None,
) -> int:
    """Store a new unit of `institution` at version 1, its fields logged; its id."""
    slug = fields.slug(slug)
    values = {
        f: CLEAN[f](v)
        for f, v in {"name": name, "kind": kind, "email": email}.items()
        if v is not None
    }
    owner = institutions.find(uow, institution)
    require_free_slug(uow, Unit, slug, "unit")
    new_id = uow.conn.execute(
        insert(T).values(slug=slug, institution_id=owner.id, version=1, **values).returning(T.c.id)
    ).scalar_one()
    logged = {"slug": (None, slug), "institution_id": (None, owner.id)}
    logged |= {f: (None, v) for f, v in values.items() if v is not None}
    changes.record(uow, table=TABLE, record_id=new_id, version=1, actor=actor, changes=logged)
    return int(new_id)


def edit(
    uow: UnitOfWork, *, ref: str, expect_version: int, actor: str, values: Mapping[str, Any]
) -> tuple[str, int]:
    """Change the given fields of one unit if it is still at `expect_version`; slug, version."""
    cleaned = {f: CLEAN[f](v) for f, v in values.items() if v is not None}
    if not cleaned:
        raise InvalidInput("nothing to change: give at least one field option (see --help)")
    row = find(uow, ref)
    version = changes.apply_edit(
        uow,
        model=Unit,
        row=row,
        label=f"unit {row.slug}",
        values=cleaned,
        expect_version=expect_version,
        actor=actor,
    )
    return row.slug, version


def _as_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "slug": row.slug,
        "name": row.name,
        "kind": row.kind,
        "email": row.email,
        "institution": row.institution,
        "version": row.version,
    }


_ROWS = select(T, I.c.name.label("institution")).join(I, I.c.id == T.c.institution_id)


def list_units(
    uow: UnitOfWork,
    *,
    q: str | None = None,
    institution: str | None = None,
    country: str | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """Units by slug, narrowed by text (slug, name), institution, its country, the unit kind."""
    query = _ROWS.order_by(T.c.slug)
    if q:
        pattern = like(q)
        query = query.where(
            or_(T.c.slug.ilike(pattern, escape="\\"), T.c.name.ilike(pattern, escape="\\"))
        )
    if institution:
        query = query.where(T.c.institution_id == institutions.find(uow, institution).id)
    if country:
        query = query.where(I.c.country == fields.country(country))
    if kind:
        query = query.where(T.c.kind == kind_of(kind))
    return [_as_dict(r) for r in uow.conn.execute(query).all()]


def show_unit(uow: UnitOfWork, *, ref: str, history: bool = False) -> dict[str, Any]:
    """One unit with its people and the agreements it owns (and its changes)."""
    unit = find(uow, ref)
    data = _as_dict(uow.conn.execute(_ROWS.where(T.c.id == unit.id)).one())
    P, A = table_of(Person), table_of(Agreement)
    data["people"] = [
        {"id": p.id, "name": p.name, "email": p.email}
        for p in uow.conn.execute(select(P).where(P.c.unit_id == unit.id).order_by(P.c.name))
    ]
    data["agreements"] = [
        {"id": a.id, "slug": a.slug, "title": a.title}
        for a in uow.conn.execute(
            select(A.c.id, A.c.slug, A.c.title)
            .where(A.c.owning_unit_id == unit.id)
            .order_by(A.c.slug)
        )
    ]
    if history:
        data["history"] = changes.history(uow, table=TABLE, record_id=unit.id)
    return data
