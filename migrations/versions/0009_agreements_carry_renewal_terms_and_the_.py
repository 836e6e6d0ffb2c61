"""agreements carry their renewal type, review cycle, summary and approved content hash

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = [
    "proposed",
    "under_review",
    "negotiating",
    "approved",
    "awaiting_signature",
    "active",
    "renewal_due",
    "renewed",
    "expired",
    "suspended",
    "terminated",
    "withdrawn",
    "rejected",
]
_STATE_CHECK = "ck_agreements_agreement_state"
_EXPIRES = "ix_agreements_expires_in_force"
_OLD_IN_FORCE = sa.text("state IN ('active', 'renewed', 'renewal_due', 'suspended')")
_NEW_IN_FORCE = sa.text(
    "state IN ('active', 'renewed', 'renewal_due', 'notice_given', 'suspended')"
)
_REVIEW_DUE = "ix_agreements_review_due_on_set"
_REVIEW_SET = sa.text("review_due_on IS NOT NULL")


def _states_check(states: list[str]) -> str:
    return "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def upgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_STATE_CHECK), type_="check")
        batch_op.create_check_constraint(
            "agreement_state", _states_check([*_STATES, "notice_given"])
        )
        # Every agreement so far ends on its end date unless renewed: `fixed`.
        batch_op.add_column(
            sa.Column(
                "renewal_type",
                sa.Enum(
                    "fixed",
                    "auto",
                    "open_ended",
                    name="renewal_type",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                server_default="fixed",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("review_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("review_due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("approved_hash", sa.String(length=64), nullable=True))
        batch_op.create_check_constraint(
            "review_months_positive", "review_months IS NULL OR review_months > 0"
        )
        batch_op.drop_index(_EXPIRES, postgresql_where=_OLD_IN_FORCE, sqlite_where=_OLD_IN_FORCE)
        batch_op.create_index(
            _EXPIRES,
            ["expires_on", "id"],
            unique=False,
            postgresql_where=_NEW_IN_FORCE,
            sqlite_where=_NEW_IN_FORCE,
        )
        batch_op.create_index(
            _REVIEW_DUE,
            ["review_due_on"],
            unique=False,
            postgresql_where=_REVIEW_SET,
            sqlite_where=_REVIEW_SET,
        )


def downgrade() -> None:
    # Agreements in the new state go back to the state it was entered from.
    op.execute(
        "UPDATE agreements SET state = 'renewed' WHERE state = 'notice_given' AND term_no > 1"
    )
    op.execute("UPDATE agreements SET state = 'active' WHERE state = 'notice_given'")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(_REVIEW_DUE, postgresql_where=_REVIEW_SET, sqlite_where=_REVIEW_SET)
        batch_op.drop_index(_EXPIRES, postgresql_where=_NEW_IN_FORCE, sqlite_where=_NEW_IN_FORCE)
        batch_op.create_index(
            _EXPIRES,
            ["expires_on", "id"],
            unique=False,
            postgresql_where=_OLD_IN_FORCE,
            sqlite_where=_OLD_IN_FORCE,
        )
        batch_op.drop_constraint(op.f("ck_agreements_review_months_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_agreements_renewal_type"), type_="check")
        batch_op.drop_column("approved_hash")
        batch_op.drop_column("summary")
        batch_op.drop_column("review_due_on")
        batch_op.drop_column("review_months")
        batch_op.drop_column("renewal_type")
        batch_op.drop_constraint(op.f(_STATE_CHECK), type_="check")
        batch_op.create_check_constraint("agreement_state", _states_check(_STATES))
