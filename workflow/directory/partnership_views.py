"""Reading partnerships: the list and its filters; one with agreements, milestones, meetings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from models import Agreement, Institution, Meeting, Milestone, Partnership, Person, table_of
from workflow.directory import changes, fields, institutions
from workflow.directory.institution_views import like
from workflow.directory.partnerships import TABLE, find
from workflow.uow import UnitOfWork

T, I, P = table_of(Partnership), table_of(Institution), table_of(Person)  # noqa: E741
H, R = I.alias("home"), I.alias("partner")
HC, PC = P.alias("home_contact"), P.alias("partner_contact")

_ROWS = (
    select(
        T,
        H.c.name.label("home"),
        R.c.name.label("partner"),
        HC.c.name.label("home_contact"),
        PC.c.name.label("partner_contact"),
    )
    .join(H, H.c.id == T.c.home_id)
    .join(R, R.c.id == T.c.partner_id)
    .outerjoin(HC, HC.c.id == T.c.home_contact_id)
    .outerjoin(PC, PC.c.id == T.c.partner_contact_id)
)


def as_dict(row: Any) -> dict[str, Any]:
    """A partnership in the JSON contract."""
    return {
        "id": row.id,
        "slug": row.slug,
        "home": row.home,
        "partner": row.partner,
        "since": row.since,
        "meeting_cadence": row.meeting_cadence,
        "meeting_month": row.meeting_month,
        "home_contact": row.home_contact,
        "partner_contact": row.partner_contact,
        "summary": row.summary,
        "version": row.version,
    }


def list_partnerships(
    uow: UnitOfWork,
    *,
    q: str | None = None,
    institution: str | None = None,
    country: str | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """Partnerships by slug, narrowed by text, an institution on either side, partner country
    and partner kind."""
    query = _ROWS.order_by(T.c.slug)
    if q:
        pattern = like(q)
        columns = (T.c.slug, H.c.name, R.c.name, R.c.short_name, T.c.summary)
        query = query.where(or_(*(c.ilike(pattern, escape="\\") for c in columns)))
    if institution:
        found = institutions.find(uow, institution).id
        query = query.where(or_(T.c.home_id == found, T.c.partner_id == found))
    if country:
        query = query.where(R.c.country == fields.country(country))
    if kind:
        query = query.where(R.c.kind == institutions.kind_of(kind))
    return [as_dict(r) for r in uow.conn.execute(query).all()]


def show_partnership(uow: UnitOfWork, *, ref: str, history: bool = False) -> dict[str, Any]:
    """One partnership with its agreements, milestones and meetings (and its changes)."""
    row = find(uow, ref)
    data = as_dict(uow.conn.execute(_ROWS.where(T.c.id == row.id)).one())
    A, M, G = table_of(Agreement), table_of(Milestone), table_of(Meeting)
    data["agreements"] = [
        {"id": a.id, "slug": a.slug, "title": a.title, "state": str(a.state.value)}
        for a in uow.conn.execute(
            select(A.c.id, A.c.slug, A.c.title, A.c.state)
            .where(A.c.partnership_id == row.id)
            .order_by(A.c.slug)
        )
    ]
    data["milestones"] = [
        {"on": m.on.isoformat(), "kind": m.kind, "title": m.title}
        for m in uow.conn.execute(
            select(M.c.on, M.c.kind, M.c.title)
            .where(M.c.partnership_id == row.id)
            .order_by(M.c.on, M.c.id)
        )
    ]
    data["meetings"] = [
        {"id": g.id, "title": g.title, "starts_at": g.starts_at.isoformat(), "status": g.status}
        for g in uow.conn.execute(
            select(G.c.id, G.c.title, G.c.starts_at, G.c.status)
            .where(G.c.partnership_id == row.id)
            .order_by(G.c.starts_at, G.c.id)
        )
    ]
    if history:
        data["history"] = changes.history(uow, table=TABLE, record_id=row.id)
    return data
