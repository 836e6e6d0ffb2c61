"""The audit table: every refusal (401, 403) with who, what, when, the outcome and from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from models.accounts import AuditEntry
from models.base import table_of


def record(
    engine: Engine,
    *,
    who: str,
    action: str,
    outcome: str,
    client: str | None,
    now: datetime,
    user_id: int | None = None,
    detail: str | None = None,
) -> None:
    """One row, in its own transaction: the refused request's own is rolled back."""
    with engine.begin() as conn:
        conn.execute(
            insert(table_of(AuditEntry)).values(
                at=now,
                user_id=user_id,
                who=who[:254],
                action=action[:200],
                outcome=outcome[:40],
                client=(client or "")[:64] or None,
                detail=detail,
            )
        )


def entries(engine: Engine, limit: int = 100) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(AuditEntry.__table__).order_by(AuditEntry.id.desc()).limit(limit)
        ).mappings()
        return [{**row, "at": row["at"].isoformat() if row["at"] else None} for row in rows]
