"""What people add to an agreement besides moves: dated notes (append-only) and follow-ups."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class AgreementNote(Base):
    """A dated note in an agreement's timeline; append-only as its events are (migration 0010).

    Not a change to the agreement: writing one leaves the agreement's version as it was.
    """

    __tablename__ = "agreement_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)


class FollowUp(Base):
    """Something one person is to do about an agreement by a day; open until marked done."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        # The board and the sweep read the open ones by due day.
        Index(
            "ix_follow_ups_open_due_on",
            "due_on",
            postgresql_where=text("done_at IS NULL"),
            sqlite_where=text("done_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    due_on: Mapped[date]
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(120))
