"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:09:29.334180
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# History is append-only: the database itself refuses to change or delete an event.
_PG_APPEND_ONLY = """
CREATE FUNCTION agreement_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'agreement_events is append-only';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER agreement_events_no_update BEFORE UPDATE OR DELETE ON agreement_events
    FOR EACH ROW EXECUTE FUNCTION agreement_events_append_only();
"""
_SQLITE_APPEND_ONLY = [
    f"""CREATE TRIGGER agreement_events_no_{verb.lower()} BEFORE {verb} ON agreement_events
    BEGIN SELECT RAISE(ABORT, 'agreement_events is append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]


def _append_only_up() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
    else:
        for statement in _SQLITE_APPEND_ONLY:
            op.execute(statement)


def _append_only_down() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER agreement_events_no_update ON agreement_events")
        op.execute("DROP FUNCTION agreement_events_append_only()")
    else:
        op.execute("DROP TRIGGER agreement_events_no_update")
        op.execute("DROP TRIGGER agreement_events_no_delete")


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("headline", sa.String(length=300), nullable=False),
        sa.Column("published", sa.Date(), nullable=False),
        sa.Column("file", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("slug", name=op.f("uq_sources_slug")),
    )
    op.create_table(
        "institutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=40), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "university",
                "company",
                "other",
                name="institution_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("founded", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("assumption", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_institutions_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
        sa.UniqueConstraint("slug", name=op.f("uq_institutions_slug")),
    )
    op.create_table(
        "initiatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column(
            "agreement_kind",
            sa.Enum(
                "key_partnership",
                "mou",
                "student_exchange",
                "research_cooperation",
                "joint_programme",
                name="agreement_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("target_note", sa.Text(), nullable=True),
        sa.Column("horizon_years", sa.Integer(), nullable=True),
        sa.Column(
            "sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["institutions.id"], name=op.f("fk_initiatives_owner_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiatives")),
        sa.UniqueConstraint("slug", name=op.f("uq_initiatives_slug")),
    )
    op.create_table(
        "partnerships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("home_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.Integer(), nullable=True),
        sa.Column("since_source_id", sa.Integer(), nullable=True),
        sa.Column("since_assumption", sa.Text(), nullable=True),
        sa.Column("meeting_cadence", sa.String(length=20), nullable=True),
        sa.Column("meeting_month", sa.Integer(), nullable=True),
        sa.Column("meeting_assumption", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["home_id"], ["institutions.id"], name=op.f("fk_partnerships_home_id_institutions")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["institutions.id"],
            name=op.f("fk_partnerships_partner_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["since_source_id"],
            ["sources.id"],
            name=op.f("fk_partnerships_since_source_id_sources"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_partnerships_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnerships")),
        sa.UniqueConstraint(
            "home_id", "partner_id", name=op.f("uq_partnerships_home_id_partner_id")
        ),
        sa.UniqueConstraint("slug", name=op.f("uq_partnerships_slug")),
    )
    with op.batch_alter_table("partnerships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partnerships_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("assumption", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_units_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_units_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("slug", name=op.f("uq_units_slug")),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_units_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("precision", sa.String(length=5), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("assumption", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_milestones_partnership_id_partnerships"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_milestones_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
        sa.UniqueConstraint(
            "partnership_id", "on", "title", name=op.f("uq_milestones_partnership_id_on_title")
        ),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("assumption", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_people_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_people_source_id_sources")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_people_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("slug", name=op.f("uq_people_slug")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_people_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "key_partnership",
                "mou",
                "student_exchange",
                "research_cooperation",
                "joint_programme",
                name="agreement_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owning_unit_id", sa.Integer(), nullable=True),
        sa.Column("coordinator_id", sa.Integer(), nullable=True),
        sa.Column("initiative_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
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
                name="agreement_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("renewal_opens_on", sa.Date(), nullable=True),
        sa.Column("renewal_window_days", sa.Integer(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("notice_days", sa.Integer(), nullable=True),
        sa.Column("term_no", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column(
            "assumptions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(title) > 0", name=op.f("ck_agreements_title_not_empty")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_agreements_version_positive")),
        sa.ForeignKeyConstraint(
            ["coordinator_id"], ["people.id"], name=op.f("fk_agreements_coordinator_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiatives.id"],
            name=op.f("fk_agreements_initiative_id_initiatives"),
        ),
        sa.ForeignKeyConstraint(
            ["owning_unit_id"], ["units.id"], name=op.f("fk_agreements_owning_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_agreements_partnership_id_partnerships"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_agreements_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
        sa.UniqueConstraint("slug", name=op.f("uq_agreements_slug")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agreements_expires_in_force",
            ["expires_on"],
            unique=False,
            postgresql_where=sa.text("state IN ('active', 'renewed', 'renewal_due', 'suspended')"),
            sqlite_where=sa.text("state IN ('active', 'renewed', 'renewal_due', 'suspended')"),
        )
        batch_op.create_index(
            batch_op.f("ix_agreements_partnership_id"), ["partnership_id"], unique=False
        )
        batch_op.create_index(
            "ix_agreements_renewal_opens_in_force",
            ["renewal_opens_on"],
            unique=False,
            postgresql_where=sa.text("state IN ('active', 'renewed')"),
            sqlite_where=sa.text("state IN ('active', 'renewed')"),
        )
        batch_op.create_index(batch_op.f("ix_agreements_state"), ["state"], unique=False)

    op.create_table(
        "agreement_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_events_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_events")),
        sa.UniqueConstraint(
            "agreement_id", "seq", name=op.f("uq_agreement_events_agreement_id_seq")
        ),
    )
    op.create_table(
        "agreement_parties",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_parties_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_agreement_parties_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint(
            "agreement_id", "institution_id", name=op.f("pk_agreement_parties")
        ),
    )
    op.create_table(
        "agreement_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_terms_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["agreement_events.id"],
            name=op.f("fk_agreement_terms_event_id_agreement_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_terms")),
        sa.UniqueConstraint(
            "agreement_id", "number", name=op.f("uq_agreement_terms_agreement_id_number")
        ),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("available_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("dispatched_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_outbox_agreement_id_agreements")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["agreement_events.id"], name=op.f("fk_outbox_event_id_agreement_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_agreement_id"), ["agreement_id"], unique=False)
        batch_op.create_index(
            "ix_outbox_pending",
            ["available_at"],
            unique=False,
            postgresql_where=sa.text("dispatched_at IS NULL"),
            sqlite_where=sa.text("dispatched_at IS NULL"),
        )

    op.create_table(
        "signatories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("assumption", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_signatories_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_signatories_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["agreement_terms.id"], name=op.f("fk_signatories_term_id_agreement_terms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatories")),
    )
    with op.batch_alter_table("signatories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signatories_term_id"), ["term_id"], unique=False)

    _append_only_up()


def downgrade() -> None:
    _append_only_down()
    with op.batch_alter_table("signatories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signatories_term_id"))

    op.drop_table("signatories")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_pending",
            postgresql_where=sa.text("dispatched_at IS NULL"),
            sqlite_where=sa.text("dispatched_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_outbox_agreement_id"))

    op.drop_table("outbox")
    op.drop_table("agreement_terms")
    op.drop_table("agreement_parties")
    op.drop_table("agreement_events")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreements_state"))
        batch_op.drop_index(
            "ix_agreements_renewal_opens_in_force",
            postgresql_where=sa.text("state IN ('active', 'renewed')"),
            sqlite_where=sa.text("state IN ('active', 'renewed')"),
        )
        batch_op.drop_index(batch_op.f("ix_agreements_partnership_id"))
        batch_op.drop_index(
            "ix_agreements_expires_in_force",
            postgresql_where=sa.text("state IN ('active', 'renewed', 'renewal_due', 'suspended')"),
            sqlite_where=sa.text("state IN ('active', 'renewed', 'renewal_due', 'suspended')"),
        )

    op.drop_table("agreements")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_institution_id"))

    op.drop_table("people")
    op.drop_table("milestones")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_institution_id"))

    op.drop_table("units")
    with op.batch_alter_table("partnerships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partnerships_partner_id"))

    op.drop_table("partnerships")
    op.drop_table("initiatives")
    op.drop_table("institutions")
    op.drop_table("sources")
