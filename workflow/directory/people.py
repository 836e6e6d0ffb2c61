"""People: signatories, coordinators and contacts, each at an institution and maybe a unit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import insert, or_, select

from models import (
    Agreement,
    AgreementTerm,
    Institution,
    Partnership,
    Person,
    Signatory,
    Unit,
    table_of,
)
from workflow.directory import changes, fields, institutions, units
from workflow.directory.institution_views import like
from workflow.directory.lookup import find_row, require_free_slug
from workflow.errors import InvalidInput
from workflow.uow import UnitOfWork

T, I, U = table_of(Person), table_of(Institution), table_of(Unit)  # noqa: E741
TABLE = "people"

CLEAN: dict[str, Callable[[Any], Any]] = {
    "name": lambda v: fields.text(v, "--name", 200),
    "title": lambda v: fields.optional_text(v, "--title", 200),
    "email": fields.email,
    "role_description": lambda v: fields.optional_text(v, "--role", 300),
    "active": bool,
}


def find(uow: UnitOfWork, ref: str | int) -> Any:
    """The person whose id or slug is `ref`, or NotFound."""
    return find_row(uow, Person, ref, "person", "people")


def _places(
    uow: UnitOfWork, institution: str | None, unit: str | None, current: Any = None
) -> dict[str, Any]:
    """institution_id and unit_id for the refs given; a unit must be of the person's institution."""
    placed: dict[str, Any] = {}
    if institution is not None:
        placed["institution_id"] = institutions.find(uow, institution).id
    if unit is not None:
        placed["unit_id"] = units.find(uow, unit).id if unit.strip() else None
    owner = placed.get("institution_id", getattr(current, "institution_id", None))
    unit_id = placed.get("unit_id", getattr(current, "unit_id", None))
    if unit_id is not None:
        found = uow.conn.execute(
            select(U.c.slug, U.c.institution_id).where(U.c.id == unit_id)
        ).one()
        if found.institution_id != owner:
            raise InvalidInput(
                f"unit {found.slug} is not of the person's institution; give a unit of it, "
                "or --unit '' for none"
            )
    return placed


def add(
    uow: UnitOfWork,
    *,
    actor: str,
    slug: str,
    name: str,
    institution: str,
    unit: str | None = None,
    title: str | None = None,
    email: str | None = None,
    role_description: str | None = None,
) -> int:
    """Store a new person at version 1, the fields logged; their id."""
    slug = fields.slug(slug)
    given = {"name": name, "title": title, "email": email, "role_description": role_description}
    values = {f: CLEAN[f](v) for f, v in given.items() if v is not None}
    values |= _places(uow, institution, unit)
    require_free_slug(uow, Person, slug, "person")
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
    institution: str | None = None,
    unit: str | None = None,
) -> tuple[str, int]:
    """Change the given fields of one person if still at `expect_version`; slug, version."""
    cleaned = {f: CLEAN[f](v) for f, v in values.items() if v is not None}
    row = find(uow, ref)
    cleaned |= _places(uow, institution, unit, row)
    if not cleaned:
        raise InvalidInput("nothing to change: give at least one field option (see --help)")
    version = changes.apply_edit(
        uow,
        model=Person,
        row=row,
        label=f"person {row.slug}",
        values=cleaned,
        expect_version=expect_version,
        actor=actor,
    )
    return row.slug, version


_ROWS = (
    select(T, I.c.name.label("institution"), U.c.name.label("unit"))
    .join(I, I.c.id == T.c.institution_id)
    .outerjoin(U, U.c.id == T.c.unit_id)
)


def _as_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "slug": row.slug,
        "name": row.name,
        "title": row.title,
        "email": row.email,
        "institution": row.institution,
        "unit": row.unit,
        "role_description": row.role_description,
        "active": bool(row.active),
        "version": row.version,
    }


def list_people(
    uow: UnitOfWork,
    *,
    q: str | None = None,
    institution: str | None = None,
    country: str | None = None,
) -> list[dict[str, Any]]:
    """People by name, narrowed by text (name, slug, title, e-mail), institution, country."""
    query = _ROWS.order_by(T.c.name, T.c.id)
    if q:
        pattern = like(q)
        columns = (T.c.name, T.c.slug, T.c.title, T.c.email)
        query = query.where(or_(*(c.ilike(pattern, escape="\\") for c in columns)))
    if institution:
        query = query.where(T.c.institution_id == institutions.find(uow, institution).id)
    if country:
        query = query.where(I.c.country == fields.country(country))
    return [_as_dict(r) for r in uow.conn.execute(query).all()]


def _roles(uow: UnitOfWork, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """The agreements a person coordinates or signed, and the partnerships they are contact for."""
    A, S, M, P = (
        table_of(Agreement),
        table_of(Signatory),
        table_of(AgreementTerm),
        table_of(Partnership),
    )
    found: dict[int, dict[str, Any]] = {}
    coordinated = select(A.c.id, A.c.slug, A.c.title, A.c.state).where(
        A.c.coordinator_id == person_id
    )
    signed = (
        select(A.c.id, A.c.slug, A.c.title, A.c.state)
        .join(M, M.c.agreement_id == A.c.id)
        .join(S, S.c.term_id == M.c.id)
        .where(S.c.person_id == person_id)
    )
    for role, query in (("coordinator", coordinated), ("signatory", signed)):
        for a in uow.conn.execute(query):
            entry = found.setdefault(
                a.id,
                {"id": a.id, "slug": a.slug, "title": a.title, "state": str(a.state), "roles": []},
            )
            if role not in entry["roles"]:
                entry["roles"].append(role)
    partnerships = [
        {
            "slug": p.slug,
            "role": "home contact" if p.home_contact_id == person_id else "partner contact",
        }
        for p in uow.conn.execute(
            select(P.c.slug, P.c.home_contact_id)
            .where(or_(P.c.home_contact_id == person_id, P.c.partner_contact_id == person_id))
            .order_by(P.c.slug)
        )
    ]
    agreements = sorted(found.values(), key=lambda a: str(a["slug"]))
    return {"agreements": agreements, "partnerships": partnerships}


def show_person(uow: UnitOfWork, *, ref: str, history: bool = False) -> dict[str, Any]:
    """One person, the agreements and partnerships they have a part in (and their changes)."""
    person = find(uow, ref)
    data = _as_dict(uow.conn.execute(_ROWS.where(T.c.id == person.id)).one())
    data.update(_roles(uow, person.id))
    if history:
        data["history"] = changes.history(uow, table=TABLE, record_id=person.id)
    return data
