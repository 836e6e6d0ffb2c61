"""agreements have notes (append-only) and follow-ups

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Notes are part of the agreement's history: the database refuses to rewrite them, as it refuses
# to rewrite an event or a directory change.
_PG_APPEND_ONLY = """
CREATE FUNCTION agreement_notes_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'agreement_notes is append-only';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER agreement_notes_no_update BEFORE UPDATE OR DELETE ON agreement_notes
    FOR EACH ROW EXECUTE FUNCTION agreement_notes_append_only();
"""
_SQLITE_APPEND_ONLY = [
    f"""CREATE TRIGGER agreement_notes_no_{verb.lower()} BEFORE {verb} ON agreement_notes
    BEGIN SELECT RAISE(ABORT, 'agreement_notes is append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]
_OPEN = sa.text("done_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "agreement_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_notes_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_notes")),
    )
    op.create_index(
        op.f("ix_agreement_notes_agreement_id"), "agreement_notes", ["agreement_id"], unique=False
    )
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_follow_ups_agreement_id_agreements")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["people.id"], name=op.f("fk_follow_ups_owner_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
    )
    op.create_index(
        op.f("ix_follow_ups_agreement_id"), "follow_ups", ["agreement_id"], unique=False
    )
    op.create_index(op.f("ix_follow_ups_owner_id"), "follow_ups", ["owner_id"], unique=False)
    op.create_index(
        "ix_follow_ups_open_due_on",
        "follow_ups",
        ["due_on"],
        unique=False,
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
    else:
        for statement in _SQLITE_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER agreement_notes_no_update ON agreement_notes")
        op.execute("DROP FUNCTION agreement_notes_append_only()")
    else:
        op.execute("DROP TRIGGER agreement_notes_no_update")
        op.execute("DROP TRIGGER agreement_notes_no_delete")
    op.drop_index("ix_follow_ups_open_due_on", table_name="follow_ups")
    op.drop_index(op.f("ix_follow_ups_owner_id"), table_name="follow_ups")
    op.drop_index(op.f("ix_follow_ups_agreement_id"), table_name="follow_ups")
    op.drop_table("follow_ups")
    op.drop_index(op.f("ix_agreement_notes_agreement_id"), table_name="agreement_notes")
    op.drop_table("agreement_notes")
