"""Institutions, units, people and partnerships as the API returns them: the names and shapes
of `accord institutions|units|people|partnerships list|show --json`."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Change(_Strict):
    """One logged change of a directory record."""

    version: int
    at: str = Field(description="ISO 8601")
    actor: str
    field: str
    before: str | None
    after: str | None


class AgreementBrief(_Strict):
    id: int
    slug: str
    title: str
    state: str


class Institution(_Strict):
    id: int
    slug: str
    name: str
    short_name: str | None
    kind: str
    country: str
    city: str | None
    timezone: str | None
    founded: int | None
    website: str | None
    active: bool
    version: int


class InstitutionUnit(_Strict):
    id: int
    slug: str
    name: str
    kind: str
    email: str | None


class InstitutionPerson(_Strict):
    id: int
    name: str
    title: str | None
    email: str | None
    active: bool


class InstitutionPartnership(_Strict):
    slug: str
    home: str
    partner: str
    since: int | None


class InstitutionDetail(Institution):
    """One institution with what hangs on it; `history` only when asked for."""

    units: list[InstitutionUnit]
    people: list[InstitutionPerson]
    partnerships: list[InstitutionPartnership]
    agreements: list[AgreementBrief]
    history: list[Change] | None = None


class Partnership(_Strict):
    id: int
    slug: str
    home: str
    partner: str
    since: int | None
    meeting_cadence: str | None
    meeting_month: int | None
    home_contact: str | None
    partner_contact: str | None
    summary: str | None
    version: int


class Milestone(_Strict):
    on: date
    kind: str
    title: str


class MeetingBrief(_Strict):
    id: int
    title: str
    starts_at: str = Field(description="ISO 8601")
    status: str


class PartnershipDetail(Partnership):
    """One partnership with its agreements, milestones and meetings; `history` when asked."""

    agreements: list[AgreementBrief]
    milestones: list[Milestone]
    meetings: list[MeetingBrief]
    history: list[Change] | None = None


class Person(_Strict):
    id: int
    slug: str
    name: str
    title: str | None
    email: str | None
    institution: str
    unit: str | None
    role_description: str | None
    active: bool
    version: int


class PersonAgreement(_Strict):
    id: int
    slug: str
    title: str
    state: str
    roles: list[str] = Field(description="coordinator, signatory")


class PersonPartnership(_Strict):
    slug: str
    role: str = Field(description="home contact or partner contact")


class PersonDetail(Person):
    agreements: list[PersonAgreement]
    partnerships: list[PersonPartnership]
    history: list[Change] | None = None


class Unit(_Strict):
    id: int
    slug: str
    name: str
    kind: str
    email: str | None
    institution: str
    version: int


class UnitPerson(_Strict):
    id: int
    name: str
    email: str | None


class UnitAgreement(_Strict):
    id: int
    slug: str
    title: str


class UnitDetail(Unit):
    """One unit with its people and the agreements it owns; `history` when asked."""

    people: list[UnitPerson]
    agreements: list[UnitAgreement]
    history: list[Change] | None = None
