"""The seed file's schema: pydantic models of its entries (rules across them: checks.py)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    StringConstraints,
)

from models import AgreementKind, InstitutionKind
from workflow.agreements.proposals import NOTICE_DAYS_MAX, TERM_MONTHS_MAX, WINDOW_DAYS_MAX
from workflow.lifecycle import RenewalType, Trigger
from workflow.seeding.fields import (
    City,
    Count,
    Day,
    Email,
    HeaderSafe,
    InitiativeRef,
    InstitutionRef,
    MilestoneKind,
    Name,
    PartnershipRef,
    PersonRef,
    Ref,
    Slug,
    SourceRef,
    Text,
    Title,
    UnitKind,
    UnitRef,
    Year,
    zone_name,
)


def _ref(annotation: Any, metadata: list[Any]) -> str | None:
    for item in [*metadata, *get_args(annotation)]:
        if found := item.kind if isinstance(item, Ref) else _ref(item, []):
            return str(found)
    return None


class Entry(BaseModel):
    """Base of every entry: a key the schema does not know is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    # Fields that document the file and have no column: seeding does not store them.
    unstored: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def refs(cls) -> dict[str, str]:
        """Field name -> the kind of entry it names (`SourceRef`, `list[UnitRef]` ...)."""
        return {
            name: kind
            for name, f in cls.model_fields.items()
            if (kind := _ref(f.annotation, f.metadata))
        }


class Meta(Entry):
    version: Literal[1] = Field(alias="schema")
    description: Text | None = None


class SourceEntry(Entry):
    id: Slug
    headline: Title
    published: Day
    file: Name | None = None


class InstitutionEntry(Entry):
    slug: Slug
    name: Name
    short_name: (
        Annotated[str, StringConstraints(min_length=1, max_length=40), HeaderSafe] | None
    ) = None
    kind: InstitutionKind
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    city: City | None = None
    time_zone: (
        Annotated[str, StringConstraints(max_length=64), AfterValidator(zone_name)] | None
    ) = None
    time_zone_assumption: Text | None = None
    founded: Year | None = None
    source: SourceRef
    assumption: Text | None = None
    # Why the zone is what it is documents the file, like a partnership's contacts_assumption.
    unstored: ClassVar[frozenset[str]] = frozenset({"time_zone_assumption"})


class UnitEntry(Entry):
    slug: Slug
    institution: InstitutionRef
    name: Name
    kind: UnitKind
    email: Email | None = None
    source: SourceRef
    assumption: Text | None = None


class PersonEntry(Entry):
    slug: Slug
    name: Name
    institution: InstitutionRef
    unit: UnitRef | None = None
    title: Name | None = None
    email: Email | None = None
    source: SourceRef
    assumption: Text | None = None


class PartnershipEntry(Entry):
    slug: Slug
    home: InstitutionRef
    partner: InstitutionRef
    since: Year | None = None
    since_source: SourceRef | None = None
    since_assumption: Text | None = None
    meeting_cadence: Literal["annual", "semiannual", "biennial"] | None = None
    meeting_month: Annotated[int, Strict(), Field(ge=1, le=12)] | None = None
    meeting_assumption: Text | None = None
    # Who receives meeting invitations (and, for the partner, renewal mail) on each side.
    home_contact: PersonRef | None = None
    partner_contact: PersonRef | None = None
    contacts_assumption: Text | None = None
    summary: Text | None = None
    source: SourceRef
    unstored: ClassVar[frozenset[str]] = frozenset({"contacts_assumption"})


class MilestoneEntry(Entry):
    partnership: PartnershipRef
    on: Day
    precision: Literal["day", "month", "year"]
    kind: MilestoneKind
    title: Title
    source: SourceRef
    assumption: Text | None = None


class InitiativeEntry(Entry):
    slug: Slug
    name: Name
    owner: InstitutionRef
    agreement_kind: AgreementKind
    target: Count
    target_note: Text | None = None
    horizon_years: Count | None = None
    sources: list[SourceRef] = Field(min_length=1)


class SignatoryEntry(Entry):
    """Who signed for one party: a known person, or a name (with an assumption if not stated)."""

    party: InstitutionRef
    person: PersonRef | None = None
    name: Name | None = None
    assumption: Text | None = None


class HistoryEntry(Entry):
    on: Day
    trigger: Trigger
    comment: Text | None = None
    assumption: Text | None = None
    until: Day | None = None
    until_assumption: Text | None = None
    signatories: list[SignatoryEntry] = Field(default_factory=list)


class AgreementEntry(Entry):
    slug: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=120)]
    partnership: PartnershipRef
    kind: AgreementKind
    title: Title
    parties: list[InstitutionRef] = Field(min_length=2, max_length=2)
    unit: UnitRef | None = None
    coordinator: PersonRef | None = None
    coordinator_assumption: Text | None = None
    term_months: Annotated[Count, Field(le=TERM_MONTHS_MAX)] | None = None
    term_assumption: Text | None = None
    notice_days: Annotated[Count, Field(le=NOTICE_DAYS_MAX)] | None = None
    notice_assumption: Text | None = None
    renewal_window_days: Annotated[int, Strict(), Field(ge=0, le=WINDOW_DAYS_MAX)] = 180
    # fixed: ends unless renewed; auto: renews itself unless notice is given; open_ended: no end
    renewal_type: RenewalType = RenewalType.FIXED
    renewal_type_assumption: Text | None = None
    review_months: Annotated[Count, Field(le=TERM_MONTHS_MAX)] | None = None
    review_assumption: Text | None = None
    initiative: InitiativeRef | None = None
    proposed_on: Day
    proposed_assumption: Text | None = None
    source: SourceRef
    history: list[HistoryEntry] = Field(default_factory=list)

    def assumptions(self) -> dict[str, str]:
        """Every `*_assumption` field that is set, keyed by its field name."""
        return {k: v for k, v in self if k.endswith("_assumption") and isinstance(v, str)}


class SeedFile(Entry):
    """The whole file; it remembers its name and text, so later errors can name a line."""

    meta: Meta
    sources: list[SourceEntry] = Field(default_factory=list)
    institutions: list[InstitutionEntry] = Field(default_factory=list)
    units: list[UnitEntry] = Field(default_factory=list)
    people: list[PersonEntry] = Field(default_factory=list)
    partnerships: list[PartnershipEntry] = Field(default_factory=list)
    milestones: list[MilestoneEntry] = Field(default_factory=list)
    initiatives: list[InitiativeEntry] = Field(default_factory=list)
    agreements: list[AgreementEntry] = Field(default_factory=list)
    _origin: str = PrivateAttr(default="<seed data>")
    _text: str | None = PrivateAttr(default=None)

    def attach(self, origin: str, text: str | None) -> SeedFile:
        """Remember the file's name (as the caller gave it) and its text; returns self."""
        self._origin, self._text = origin, text
        return self

    @property
    def origin(self) -> str:
        """The file's name as the caller gave it."""
        return self._origin

    @property
    def text(self) -> str | None:
        """The file's text, when it was read from one."""
        return self._text
