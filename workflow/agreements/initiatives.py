"""Initiatives: a programme's target number of agreements, and those signed towards it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from models import Agreement, AgreementKind, Initiative, Partnership


def progress(session: Session) -> list[dict[str, Any]]:
    """Each initiative's target and the agreements signed towards it."""
    result = []
    for ini in session.scalars(
        select(Initiative).options(selectinload(Initiative.owner)).order_by(Initiative.id)
    ):
        # Linked agreements count, and so do those of its kind with the owner as home: an
        # agreement proposed later through the CLI carries no initiative link.
        counts = or_(
            Agreement.initiative_id == ini.id,
            and_(Agreement.kind == ini.agreement_kind, Partnership.home_id == ini.owner_id),
        )
        counted = session.scalars(
            select(Agreement)
            .join(Partnership)
            .options(selectinload(Agreement.partnership).selectinload(Partnership.partner))
            .where(Agreement.term_no >= 1, counts)
        ).all()
        kind = AgreementKind(ini.agreement_kind).value
        partners = sorted({a.partnership.partner.label for a in counted})
        summary = (
            f"{ini.name} ({ini.owner.label}): {len(counted)} of about {ini.target} "
            f"{kind.replace('_', ' ')} agreements signed"
        )
        result.append(
            {
                "slug": ini.slug,
                "name": ini.name,
                "owner": ini.owner.label,
                "kind": kind,
                "target": ini.target,
                "target_note": ini.target_note,
                "signed": len(counted),
                "agreements": sorted(a.slug for a in counted),
                "partners": partners,
                "summary": summary + (": " + ", ".join(partners) if partners else ""),
            }
        )
    return result
