"""The directory: sources, institutions, units, people, partnerships, milestones, initiatives,
and the append-only log of their changes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import (
    AgreementKind,
    Base,
    InstitutionKind,
    enum_type,
)


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
    kind: Mapped[InstitutionKind] = mapped_column(enum_type(InstitutionKind, "institution_kind"))
    country: Mapped[str] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(100))
    # An IANA name ("Asia/Shanghai"): invitations show each party its own local time.
    # NULL is unknown, and such a party is shown the time in UTC only.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    founded: Mapped[int | None]
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    assumption: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(200))
    # Inactive instead of deleted: agreements and people still refer to it.
    active: Mapped[bool] = mapped_column(server_default=true())
    version: Mapped[int] = mapped_column(server_default="1")

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
    version: Mapped[int] = mapped_column(server_default="1")
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
    role_description: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(server_default=true())
    version: Mapped[int] = mapped_column(server_default="1")
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
    version: Mapped[int] = mapped_column(server_default="1")
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
    agreement_kind: Mapped[AgreementKind] = mapped_column(
        enum_type(AgreementKind, "agreement_kind")
    )
    target: Mapped[int]
    target_note: Mapped[str | None] = mapped_column(Text)
    horizon_years: Mapped[int | None]
    sources: Mapped[list[str]] = mapped_column(default=list)
    owner: Mapped[Institution] = relationship()


class DirectoryChange(Base):
    """One field of one directory record changed: who, when, before and after (append-only)."""

    __tablename__ = "directory_changes"
    __table_args__ = (Index(None, "table_name", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int]
    version: Mapped[int]
    field: Mapped[str] = mapped_column(String(40))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime]
