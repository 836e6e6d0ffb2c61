"""Reading institutions: the list with its filters, and one institution with what hangs on it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from models import (
    Agreement,
    AgreementParty,
    Institution,
    Partnership,
    Person,
    Unit,
    table_of,
)
from workflow.directory import changes
from workflow.directory.fields import country as country_code
from workflow.directory.institutions import TABLE, find, kind_of
from workflow.uow import UnitOfWork

T = table_of(Institution)


def as_dict(row: Any) -> dict[str, Any]:
    """An institution in the JSON contract."""
    return {
        "id": row.id,
        "slug": row.slug,
        "name": row.name,
        "short_name": row.short_name,
        "kind": str(row.kind.value),
        "country": row.country,
        "city": row.city,
        "timezone": row.time_zone,
        "founded": row.founded,
        "website": row.website,
        "active": bool(row.active),
        "version": row.version,
    }


def like(text: str) -> str:
    """A case-insensitive LIKE pattern for `text` anywhere, its wildcards taken literally."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_institutions(
    uow: UnitOfWork,
    *,
    q: str | None = None,
    country: str | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """Institutions by slug, narrowed by text (slug, name, short name, city), country, kind."""
    query = select(T).order_by(T.c.slug)
    if q:
        pattern = like(q)
        query = query.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (T.c.slug, T.c.name, T.c.short_name, T.c.city)
                )
            )
        )
    if country:
        query = query.where(T.c.country == country_code(country))
    if kind:
        query = query.where(T.c.kind == kind_of(kind))
    return [as_dict(r) for r in uow.conn.execute(query).all()]


def show_institution(uow: UnitOfWork, *, ref: str, history: bool = False) -> dict[str, Any]:
    """One institution with its units, people, partnerships and agreements (and its changes)."""
    row = find(uow, ref)
    U, P, S = table_of(Unit), table_of(Person), table_of(Partnership)
    A, AP = table_of(Agreement), table_of(AgreementParty)
    H, R = T.alias("home"), T.alias("partner")
    data = as_dict(row)
    data["units"] = [
        {"id": u.id, "slug": u.slug, "name": u.name, "kind": u.kind, "email": u.email}
        for u in uow.conn.execute(select(U).where(U.c.institution_id == row.id).order_by(U.c.slug))
    ]
    data["people"] = [
        {"id": p.id, "name": p.name, "title": p.title, "email": p.email, "active": bool(p.active)}
        for p in uow.conn.execute(select(P).where(P.c.institution_id == row.id).order_by(P.c.name))
    ]
    data["partnerships"] = [
        {"slug": s.slug, "home": s.home, "partner": s.partner, "since": s.since}
        for s in uow.conn.execute(
            select(S.c.slug, S.c.since, H.c.name.label("home"), R.c.name.label("partner"))
            .join(H, H.c.id == S.c.home_id)
            .join(R, R.c.id == S.c.partner_id)
            .where(or_(S.c.home_id == row.id, S.c.partner_id == row.id))
            .order_by(S.c.slug)
        )
    ]
    data["agreements"] = [
        {"id": a.id, "slug": a.slug, "title": a.title, "state": str(a.state.value)}
        for a in uow.conn.execute(
            select(A.c.id, A.c.slug, A.c.title, A.c.state)
            .join(AP, AP.c.agreement_id == A.c.id)
            .where(AP.c.institution_id == row.id)
            .order_by(A.c.slug)
        )
    ]
    if history:
        data["history"] = changes.history(uow, table=TABLE, record_id=row.id)
    return data
