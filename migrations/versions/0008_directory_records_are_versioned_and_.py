"""directory records are versioned, and their changes logged append-only

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The change log is append-only as agreement_events is: the database refuses to rewrite it.
_PG_APPEND_ONLY = """
CREATE FUNCTION directory_changes_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'directory_changes is append-only';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER directory_changes_no_update BEFORE UPDATE OR DELETE ON directory_changes
    FOR EACH ROW EXECUTE FUNCTION directory_changes_append_only();
"""
_SQLITE_APPEND_ONLY = [
    f"""CREATE TRIGGER directory_changes_no_{verb.lower()} BEFORE {verb} ON directory_changes
    BEGIN SELECT RAISE(ABORT, 'directory_changes is append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]


# Existing records start at version 1, and every one in use: nothing was ever retired.
def _version() -> sa.Column[int]:
    return sa.Column("version", sa.Integer(), server_default="1", nullable=False)


def _active() -> sa.Column[bool]:
    return sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("website", sa.String(length=200), nullable=True))
        batch_op.add_column(_active())
        batch_op.add_column(_version())
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role_description", sa.String(length=300), nullable=True))
        batch_op.add_column(_active())
        batch_op.add_column(_version())
    for name in ("units", "partnerships"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(_version())
    op.create_table(
        "directory_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_changes")),
    )
    op.create_index(
        op.f("ix_directory_changes_table_name_record_id"),
        "directory_changes",
        ["table_name", "record_id"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
    else:
        for statement in _SQLITE_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER directory_changes_no_update ON directory_changes")
        op.execute("DROP FUNCTION directory_changes_append_only()")
    else:
        op.execute("DROP TRIGGER directory_changes_no_update")
        op.execute("DROP TRIGGER directory_changes_no_delete")
    op.drop_index(op.f("ix_directory_changes_table_name_record_id"), table_name="directory_changes")
    op.drop_table("directory_changes")
    for name in ("units", "partnerships"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column("version")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("active")
        batch_op.drop_column("role_description")
    with op.batch_alter_table("institutions", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("active")
        batch_op.drop_column("website")
