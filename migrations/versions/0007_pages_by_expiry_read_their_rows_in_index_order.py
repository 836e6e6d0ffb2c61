"""pages by expiry read their rows in index order

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ix_agreements_expires_in_force"
_IN_FORCE = sa.text("state IN ('active', 'renewed', 'renewal_due', 'suspended')")


def _index(columns: list[str]) -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(_NAME, postgresql_where=_IN_FORCE, sqlite_where=_IN_FORCE)
        batch_op.create_index(
            _NAME, columns, unique=False, postgresql_where=_IN_FORCE, sqlite_where=_IN_FORCE
        )


def upgrade() -> None:
    # The id after the date: a keyset page sorted by expiry, tie-broken by id, then reads 51
    # index entries, not every agreement that expires on the page's first day.
    _index(["expires_on", "id"])


def downgrade() -> None:
    _index(["expires_on"])
