"""institutions have a time zone

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows stay NULL (unknown), not UTC: UTC would be a wrong answer that looks like a
    # right one, and an invitation would show a Wuhan party a time eight hours off. `accord seed`
    # fills in the seed file's zones; a party without one is shown the time in UTC only.
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
