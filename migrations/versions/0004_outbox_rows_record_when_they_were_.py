"""outbox rows record when they were handled

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 04:21:52.585202
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("handled_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
    # Rows handed over before this column existed count as handled: republishing the whole
    # history once would only repeat idempotent work.
    op.execute("UPDATE outbox SET handled_at = dispatched_at WHERE dispatched_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("handled_at")
