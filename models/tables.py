"""The tables: institutions, units, people, partnerships, agreements and terms, events, outbox."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from workflow.lifecycle import State

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Accord stores timezone-aware UTC timestamps")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class AgreementKind(enum.StrEnum):
    """The kinds of agreement an international office signs."""

    KEY_PARTNERSHIP = "key_partnership"
    MOU = "mou"
    STUDENT_EXCHANGE = "student_exchange"
    RESEARCH_COOPERATION = "research_cooperation"
    JOINT_PROGRAMME = "joint_programme"


class InstitutionKind(enum.StrEnum):
    """Universities, companies and the rest."""

    UNIVERSITY = "university"
    COMPANY = "company"
    OTHER = "other"


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
        list[int]: JSONType,
    }


class Source(Base):
    """A published article that facts are cited from."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    headline: Mapped[str] = mapped_column(String(300))
    published: Mapped[date]
    file: Mapped[str | None] = mapped_column(String(200))


class Institution(Base):
    """A university, company or other body that can be party to an agreement."""

    __tablename__ = "institutions"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[InstitutionKind] = mapped_column(_enum(InstitutionKind, "institution_kind"))
    country: Mapped[str] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(100))
    # An IANA name ("Asia/Shanghai"): invitations show each party its own local time.
    # NULL is unknown, and such a party is shown the time in UTC only.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    founded: Mapped[int | None]
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    assumption: Mapped[str | None] = mapped_column(Text)

    @property
    def label(self) -> str:
        """The short name where there is one."""
        return self.short_name or self.name


class Unit(Base):
    """An organisational unit: a school, office, hospital, college or department."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    assumption: Mapped[str | None] = mapped_column(Text)
    institution: Mapped[Institution] = relationship()


class Person(Base):
    """Someone with a title at an institution: signatory, coordinator or contact."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    assumption: Mapped[str | None] = mapped_column(Text)
    institution: Mapped[Institution] = relationship()


class Partnership(Base):
    """A home institution's relationship with one partner, over all its agreements."""

    __tablename__ = "partnerships"
    __table_args__ = (UniqueConstraint("home_id", "partner_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    since: Mapped[int | None]
    since_source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    since_assumption: Mapped[str | None] = mapped_column(Text)
    meeting_cadence: Mapped[str | None] = mapped_column(String(20))
    meeting_month: Mapped[int | None]
    meeting_assumption: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    # Who receives meeting invitations (and, for the partner, renewal reminders) on each side.
    home_contact_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    partner_contact_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    home: Mapped[Institution] = relationship(foreign_keys=[home_id])
    partner: Mapped[Institution] = relationship(foreign_keys=[partner_id])


class Milestone(Base):
    """A dated fact on a partnership that is not an agreement move (a meeting, a project)."""

    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("partnership_id", "on", "title"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"))
    on: Mapped[date]
    precision: Mapped[str] = mapped_column(String(5))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    assumption: Mapped[str | None] = mapped_column(Text)


class Initiative(Base):
    """A programme with a target number of agreements of one kind (e.g. ~10 key partnerships)."""

    __tablename__ = "initiatives"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    agreement_kind: Mapped[AgreementKind] = mapped_column(_enum(AgreementKind, "agreement_kind"))
    target: Mapped[int]
    target_note: Mapped[str | None] = mapped_column(Text)
    horizon_years: Mapped[int | None]
    sources: Mapped[list[str]] = mapped_column(default=list)
    owner: Mapped[Institution] = relationship()


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
        Index(
            "ix_agreements_expires_in_force",
            "expires_on",
            postgresql_where=text("state IN ('active', 'renewed', 'renewal_due', 'suspended')"),
            sqlite_where=text("state IN ('active', 'renewed', 'renewal_due', 'suspended')"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"), index=True)
    kind: Mapped[AgreementKind] = mapped_column(_enum(AgreementKind, "agreement_kind"))
    title: Mapped[str] = mapped_column(String(300))
    owning_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiatives.id"))
    state: Mapped[State] = mapped_column(_enum(State, "agreement_state"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    proposed_on: Mapped[date]
    signed_on: Mapped[date | None]
    effective_on: Mapped[date | None]
    expires_on: Mapped[date | None]
    renewal_opens_on: Mapped[date | None]
    renewal_window_days: Mapped[int] = mapped_column(default=180)
    term_months: Mapped[int | None]
    notice_days: Mapped[int | None]
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


class OutboxMessage(Base):
    """Work to hand to Celery after commit; written in the same transaction as the event."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "available_at",
            postgresql_where=text("dispatched_at IS NULL"),
            sqlite_where=text("dispatched_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_events.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    dispatched_at: Mapped[datetime | None]
    # Set by the handler: a row dispatched long ago but never handled is published again.
    handled_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


def table_of(model: type[Base]) -> Table:
    """A mapped class's Table, typed for Core statements (insert/update) on hot paths."""
    return cast(Table, model.__table__)


class ReminderPolicy(Base):
    """Days before expiry at which renewal reminders go out, per agreement kind."""

    __tablename__ = "reminder_policies"
    kind: Mapped[AgreementKind] = mapped_column(
        _enum(AgreementKind, "agreement_kind"), primary_key=True
    )
    offsets: Mapped[list[int]] = mapped_column()


class ReminderDefault(Base):
    """The default reminder days the reminders were last planned with: one row. A sweep that
    finds ACCORD_REMINDER_OFFSETS changed re-plans every agreement that follows the default."""

    __tablename__ = "reminder_defaults"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    offsets: Mapped[list[int]] = mapped_column()
    planned_on: Mapped[date]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Meeting(Base):
    """A partnership meeting (e.g. the annual one); UID stable, SEQUENCE rises on every change."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("partnership_id", "occurrence"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"))
    # Which meeting of the cadence this is ("2027" for an annual one): schedules are idempotent.
    occurrence: Mapped[str] = mapped_column(String(20))
    uid: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=90)
    location: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    partnership: Mapped[Partnership] = relationship()


class Notification(Base):
    """One email to send at a due time: a reminder, an invitation, an event notice.

    `dedupe_key` makes every sweep, relay or beat idempotent: the same reminder is one row.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index(
            "ix_notifications_pending_due",
            "due_on",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_notifications_kind_due_on", "kind", "due_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_events.id"))
    # Reminders are day-granular; retries and leases use next_attempt_at.
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(250))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class DeadLetter(Base):
    """Work that failed past its retry cap, for ops to list and replay."""

    __tablename__ = "dead_letters"
    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(120))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    replayed_at: Mapped[datetime | None]
    replay_count: Mapped[int] = mapped_column(default=0)
