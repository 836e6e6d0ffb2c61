"""auto-renewing agreements are found by their notice deadline

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:10:00.000000

The sweep makes an auto-renewing agreement's reminders by the last day to give notice (the end
date minus the notice period). This partial index on that expression lets it read only the
agreements whose reminder falls due, as ix_agreements_expires_in_force does for fixed ones.
PostgreSQL only: SQLite reads its (small) table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ix_agreements_notice_deadline_auto"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        _NAME,
        "agreements",
        [sa.text("(expires_on - COALESCE(notice_days, 0))")],
        postgresql_where=sa.text(
            "renewal_type = 'auto' AND state IN ('active', 'renewed', 'renewal_due')"
        ),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(_NAME, table_name="agreements")
