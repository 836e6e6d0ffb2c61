"""the default reminder days last planned with

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Empty: the first sweep records the default in force, as the reminders made so far used it.
    op.create_table(
        "reminder_defaults",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "offsets",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_reminder_defaults_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_defaults")),
    )


def downgrade() -> None:
    op.drop_table("reminder_defaults")
