"""Work that follows events: outbox, reminder days, meetings, notifications, dead letters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    AgreementKind,
    Base,
    enum_type,
    utcnow,
)
from models.directory import Partnership


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


class ReminderPolicy(Base):
    """Days before expiry at which renewal reminders go out, per agreement kind."""

    __tablename__ = "reminder_policies"
    kind: Mapped[AgreementKind] = mapped_column(
        enum_type(AgreementKind, "agreement_kind"), primary_key=True
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
