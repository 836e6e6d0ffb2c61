"""Agreements: parties, signed terms with their signatories, and the append-only events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    AgreementKind,
    Base,
    enum_type,
    utcnow,
)
from models.directory import Institution, Partnership, Person, Source, Unit
from workflow.lifecycle import RenewalType, State

# The states whose agreements can lapse, as the partial index on expiry spells them (0009).
EXPIRES_IN_FORCE = "state IN ('active', 'renewed', 'renewal_due', 'notice_given', 'suspended')"
# Auto-renewing agreements that get reminders to give notice, as their partial index spells them.
NOTICE_REMINDED = "renewal_type = 'auto' AND state IN ('active', 'renewed', 'renewal_due')"


class Agreement(Base):
    """One agreement: its parties, its current stage and term, and an optimistic-lock version."""

    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        # The tick's two due-sets: only agreements in force are scanned, by date.
        Index(
            "ix_agreements_renewal_opens_in_force",
            "renewal_opens_on",
            postgresql_where=text("state IN ('active', 'renewed')"),
            sqlite_where=text("state IN ('active', 'renewed')"),
        ),
        # The sweep's per-agreement overrides are few: find them without scanning every row.
        Index(
            "ix_agreements_reminder_offsets_set",
            "id",
            postgresql_where=text("reminder_offsets IS NOT NULL"),
            sqlite_where=text("reminder_offsets IS NOT NULL"),
        ),
        # The id too: a keyset page by expiry (`agreements list --sort expires_on`) reads
        # the page's rows in index order (migration 0007).
        Index(
            "ix_agreements_expires_in_force",
            "expires_on",
            "id",
            postgresql_where=text(EXPIRES_IN_FORCE),
            sqlite_where=text(EXPIRES_IN_FORCE),
        ),
        # Open-ended agreements are reviewed every `review_months`: the sweep finds the due ones.
        Index(
            "ix_agreements_review_due_on_set",
            "review_due_on",
            postgresql_where=text("review_due_on IS NOT NULL"),
            sqlite_where=text("review_due_on IS NOT NULL"),
        ),
        CheckConstraint(
            "review_months IS NULL OR review_months > 0", name="review_months_positive"
        ),
        # Auto-renewing agreements in force by their notice deadline (the end date minus the
        # notice period): the sweep finds the ones whose reminder falls due (0010).
        Index(
            "ix_agreements_notice_deadline_auto",
            text("(expires_on - COALESCE(notice_days, 0))"),
            postgresql_where=text(NOTICE_REMINDED),
        ).ddl_if(dialect="postgresql"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"), index=True)
    kind: Mapped[AgreementKind] = mapped_column(enum_type(AgreementKind, "agreement_kind"))
    title: Mapped[str] = mapped_column(String(300))
    owning_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiatives.id"))
    state: Mapped[State] = mapped_column(enum_type(State, "agreement_state"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    proposed_on: Mapped[date]
    signed_on: Mapped[date | None]
    effective_on: Mapped[date | None]
    expires_on: Mapped[date | None]
    renewal_opens_on: Mapped[date | None]
    renewal_window_days: Mapped[int] = mapped_column(default=180)
    term_months: Mapped[int | None]
    notice_days: Mapped[int | None]
    renewal_type: Mapped[RenewalType] = mapped_column(
        enum_type(RenewalType, "renewal_type"), default=RenewalType.FIXED
    )
    # Open-ended agreements: months between reviews, and the next review's day.
    review_months: Mapped[int | None]
    review_due_on: Mapped[date | None]
    summary: Mapped[str | None] = mapped_column(Text)
    # SHA-256 (hex) of the substantive content when it was approved; None before approval.
    approved_hash: Mapped[str | None] = mapped_column(String(64))
    term_no: Mapped[int] = mapped_column(default=0)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    assumptions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Days before expiry for renewal reminders; None: the kind's policy, else the default.
    reminder_offsets: Mapped[list[int] | None] = mapped_column(
        # none_as_null: clearing the override must store SQL NULL, not the JSON value null.
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    partnership: Mapped[Partnership] = relationship()
    owning_unit: Mapped[Unit | None] = relationship()
    coordinator: Mapped[Person | None] = relationship()
    source: Mapped[Source | None] = relationship()
    parties: Mapped[list[AgreementParty]] = relationship(
        order_by="AgreementParty.position", cascade="all, delete-orphan"
    )
    terms: Mapped[list[AgreementTerm]] = relationship(order_by="AgreementTerm.number")


class AgreementParty(Base):
    """An institution that is party to an agreement, in signing order (home first)."""

    __tablename__ = "agreement_parties"
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    position: Mapped[int]
    institution: Mapped[Institution] = relationship()


class AgreementTerm(Base):
    """One signed term of an agreement; a renewal adds a term, earlier ones stay as they were."""

    __tablename__ = "agreement_terms"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    number: Mapped[int]
    signed_on: Mapped[date]
    effective_on: Mapped[date]
    expires_on: Mapped[date | None]
    event_id: Mapped[int] = mapped_column(ForeignKey("agreement_events.id"))
    signatories: Mapped[list[Signatory]] = relationship(order_by="Signatory.id")


class Signatory(Base):
    """Who signed one term for one party."""

    __tablename__ = "signatories"
    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("agreement_terms.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    name: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    assumption: Mapped[str | None] = mapped_column(Text)
    institution: Mapped[Institution] = relationship()


class AgreementEvent(Base):
    """One move, append-only: who, when, which trigger, from which state to which."""

    __tablename__ = "agreement_events"
    __table_args__ = (UniqueConstraint("agreement_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    # The agreement's version after this move: history is ordered and gap-free per agreement.
    seq: Mapped[int]
    at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    trigger: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
