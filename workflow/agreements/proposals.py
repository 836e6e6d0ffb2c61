"""Proposing a new agreement: validate the parties, kind, title and dates, then record `propose`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from models import (
    Agreement,
    AgreementKind,
    AgreementParty,
    Institution,
    Partnership,
    Person,
    Unit,
)
from workflow.agreements.moves import record_event
from workflow.agreements.subject import utc_midnight
from workflow.errors import InvalidInput, NotFound
from workflow.integrity import clash_of, is_clash_on
from workflow.lifecycle import INITIAL, PROPOSE, RenewalType
from workflow.slugs import agreement_slug, free_slug, pair_slug, slug_taken, slugify
from workflow.uow import UnitOfWork
from workflow.validation import actor_name, blank, free_text, header_safe, within_horizon

__all__ = [
    "Proposal",
    "find_by_slug_or_name",
    "find_institution",
    "parse_kind",
    "propose",
    "slugify",
]
_ATTEMPTS = 50  # a retry follows a rival's commit, so each one makes progress
# The largest numbers a proposal takes; the seed file's schema uses the same.
TERM_MONTHS_MAX, NOTICE_DAYS_MAX, WINDOW_DAYS_MAX = 1200, 3650, 3650


def parse_kind(value: str) -> AgreementKind:
    """An agreement kind from its name (hyphens or underscores), or a clear error."""
    wanted = value.strip().lower().replace("-", "_")
    try:
        return AgreementKind(wanted)
    except ValueError:
        kinds = ", ".join(k.value for k in AgreementKind)
        raise InvalidInput(f"unknown kind {value!r}; kinds: {kinds}") from None


def find_institution(uow: UnitOfWork, ref: str) -> Institution:
    """An institution by slug, short name or exact name (any case)."""
    wanted = ref.strip().casefold()
    found = uow.session.scalars(
        select(Institution).where(
            or_(
                func.lower(Institution.slug) == wanted,
                func.lower(Institution.short_name) == wanted,
                func.lower(Institution.name) == wanted,
            )
        )
    ).first()
    if found is None:
        raise NotFound(f"no institution {ref!r}: use its slug, short name or full name")
    return found


def find_by_slug_or_name(uow: UnitOfWork, model: type[Unit] | type[Person], ref: str) -> Any:
    """A unit or person by slug or exact name (any case), or NotFound."""
    wanted = ref.strip().casefold()
    found = uow.session.scalars(
        select(model).where(or_(model.slug == wanted, func.lower(model.name) == wanted))
    ).first()
    if found is None:
        raise NotFound(f"no {model.__tablename__[:-1] if model is Unit else 'person'} {ref!r}")
    return found


@dataclass
class Proposal:
    """Everything needed to propose an agreement; optional fields may be filled in later."""

    home: str
    partner: str
    kind: str
    title: str
    proposed_on: date
    actor: str
    today: date
    unit: str | None = None
    coordinator: str | None = None
    term_months: int | None = None
    notice_days: int | None = None
    renewal_window_days: int = 180
    # fixed, auto or open_ended (see workflow.lifecycle.RenewalType)
    renewal_type: str = RenewalType.FIXED
    review_months: int | None = None
    slug: str | None = None
    comment: str | None = None
    source_id: int | None = None
    initiative_id: int | None = None
    assumptions: dict[str, Any] = field(default_factory=dict)


def parse_renewal_type(value: str) -> RenewalType:
    """A renewal type from its name, or an error listing them."""
    try:
        return RenewalType(value.strip().lower())
    except ValueError:
        names = ", ".join(t.value for t in RenewalType)
        raise InvalidInput(f"unknown renewal type {value!r}; renewal types: {names}") from None


def check_slug(slug: str | None) -> str | None:
    """A slug given for a new agreement, as is, or an error saying what a slug is."""
    if slug is not None and (slug != slugify(slug) or slug.isdigit()):
        raise InvalidInput(
            f"--slug {slug!r} is not a slug: use lower-case letters, digits and hyphens, "
            "not only digits"
        )
    return slug


def propose(uow: UnitOfWork, p: Proposal, *, now: datetime | None = None) -> Agreement:
    """Create the agreement in `proposed` with its first event, inside `uow` (no commit)."""
    title = p.title.strip()
    if blank(title):  # spaces alone, or characters that show nothing (U+200B ...)
        raise InvalidInput("the title is empty: give the agreement a title (--title)")
    actor = actor_name(p.actor)
    if p.comment is not None:
        free_text(p.comment, "the comment")
    # The title reaches mail subjects: refuse line breaks here, where it enters.
    header_safe(title, "the title")
    # Column sizes are checked here so SQLite, which stores anything, refuses what PostgreSQL does.
    for name, text, limit in (("title", title, 300), ("slug", p.slug or "", 120)):
        if len(text) > limit:
            raise InvalidInput(f"the {name} is {len(text)} characters; at most {limit}")
    within_horizon(p.today, "today")
    if p.proposed_on > p.today:
        raise InvalidInput(f"the proposal date {p.proposed_on.isoformat()} is in the future")
    for name, value, most in (
        ("term (months)", p.term_months, TERM_MONTHS_MAX),
        ("notice period (days)", p.notice_days, NOTICE_DAYS_MAX),
        ("review interval (months)", p.review_months, TERM_MONTHS_MAX),
    ):
        if value is not None and not 0 < value <= most:
            raise InvalidInput(f"the {name} must be from 1 to {most}, not {value}")
    if not 0 <= p.renewal_window_days <= WINDOW_DAYS_MAX:  # the window is subtracted from a date
        raise InvalidInput(
            f"the renewal window must be from 0 to {WINDOW_DAYS_MAX} days, "
            f"not {p.renewal_window_days}"
        )
    if p.slug is not None and slugify(p.slug) != p.slug:
        raise InvalidInput(f"the slug {p.slug!r} must be lower-case words joined by hyphens")
    kind = parse_kind(p.kind)
    renewal_type = parse_renewal_type(p.renewal_type)
    home, partner = find_institution(uow, p.home), find_institution(uow, p.partner)
    if home.id == partner.id:
        raise InvalidInput("home and partner are the same institution")
    unit = find_by_slug_or_name(uow, Unit, p.unit) if p.unit else None
    coordinator = find_by_slug_or_name(uow, Person, p.coordinator) if p.coordinator else None
    if unit is not None and unit.institution_id not in (home.id, partner.id):
        raise InvalidInput(f"unit {unit.name!r} belongs to neither party")

    partnership = _partnership(uow, home, partner)
    if p.slug is not None and slug_taken(uow, p.slug):
        raise InvalidInput(_taken(p.slug))
    now = now or datetime.now(UTC)

    def build(slug: str) -> Agreement:
        agreement = Agreement(
            slug=slug,
            partnership=partnership,
            kind=kind,
            title=title,
            owning_unit=unit,
            coordinator=coordinator,
            state=INITIAL,
            version=1,
            proposed_on=p.proposed_on,
            term_months=p.term_months,
            notice_days=p.notice_days,
            renewal_type=renewal_type,
            review_months=p.review_months,
            renewal_window_days=p.renewal_window_days,
            term_no=0,
            source_id=p.source_id,
            initiative_id=p.initiative_id,
            assumptions=p.assumptions,
            created_at=now,
            updated_at=now,
        )
        agreement.parties = [
            AgreementParty(institution_id=home.id, position=0),
            AgreementParty(institution_id=partner.id, position=1),
        ]
        return agreement

    agreement = _insert(uow, build, p.slug, agreement_slug(home, partner, title, kind))
    record_event(
        uow,
        agreement_id=agreement.id,
        seq=1,
        at=utc_midnight(p.proposed_on),
        now=now,
        actor=actor,
        trigger=PROPOSE,
        from_state=None,
        to_state=INITIAL.value,
        comment=p.comment,
        data={"source": p.assumptions.get("source")} if p.assumptions.get("source") else {},
    )
    return agreement


def _taken(slug: str) -> str:
    return (
        f"the slug {slug!r} exists already (an agreement or a partnership has it): choose another"
    )


def _partnership(uow: UnitOfWork, home: Institution, partner: Institution) -> Partnership:
    """The pair's partnership, created under a free slug if there is none yet."""
    for attempt in range(_ATTEMPTS):
        found = uow.session.scalars(
            select(Partnership).where(
                Partnership.home_id == home.id, Partnership.partner_id == partner.id
            )
        ).first()
        if found is not None:
            return found
        created = Partnership(
            slug=free_slug(uow, pair_slug(home, partner)), home_id=home.id, partner_id=partner.id
        )
        try:
            with uow.session.begin_nested():
                uow.session.add(created)
        except IntegrityError as exc:
            # Another proposal created the pair, or took the slug, since we looked: look again.
            if clash_of(exc) is None or attempt == _ATTEMPTS - 1:
                raise
            continue
        return created
    raise AssertionError("unreachable: the last attempt returns or raises")


def _insert(
    uow: UnitOfWork, build: Callable[[str], Agreement], wanted: str | None, base: str
) -> Agreement:
    """Insert the agreement under `wanted`, else under the first free slug from `base`.

    Two proposals with one title both find the same slug free; the second INSERT waits for the
    first to commit, clashes, and tries the next free slug (inside a savepoint, so the rest of
    the transaction survives). On SQLite, BEGIN IMMEDIATE queues them and nothing clashes.
    """
    for attempt in range(_ATTEMPTS):
        agreement = build(wanted or free_slug(uow, base))
        try:
            with uow.session.begin_nested():
                uow.session.add(agreement)
        except IntegrityError as exc:
            if not is_clash_on(exc, "agreements", "slug"):
                raise
            if wanted is not None:
                raise InvalidInput(_taken(wanted)) from None
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        return agreement
    raise AssertionError("unreachable: the last attempt returns or raises")
