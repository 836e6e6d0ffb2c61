"""Partnerships: a home institution's relationship with one partner, over all its agreements."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import insert, select

from models import Institution, Partnership, Person, table_of
from workflow.directory import changes, fields, institutions, people
from workflow.directory.lookup import find_row
from workflow.errors import InvalidInput
from workflow.slugs import free_slug, pair_slug, slug_taken
from workflow.uow import UnitOfWork
from workflow.validation import free_text

T, P = table_of(Partnership), table_of(Person)
TABLE = "partnerships"
CADENCES = ("annual", "semiannual", "biennial")
SUMMARY_MAX = 4000


def cadence(value: str) -> str | None:
    """A meeting cadence (annual, semiannual, biennial); an empty value clears it."""
    text = value.strip().lower()
    if text and text not in CADENCES:
        raise InvalidInput(f"--meeting-cadence: {value!r}: use one of {', '.join(CADENCES)}")
    return text or None


def month(value: int) -> int:
    """A month number, 1 to 12."""
    if not 1 <= value <= 12:
        raise InvalidInput(f"--meeting-month: {value} is not a month; use 1 to 12")
    return value


def summary(value: str) -> str | None:
    """Prose of at most SUMMARY_MAX characters; an empty value clears it."""
    text = free_text(value, "--summary").strip()
    if len(text) > SUMMARY_MAX:
        raise InvalidInput(f"--summary is {len(text)} characters; at most {SUMMARY_MAX}")
    return text or None


CLEAN: dict[str, Callable[[Any], Any]] = {
    "since": lambda v: fields.year(v, "--since"),
    "meeting_cadence": cadence,
    "meeting_month": month,
    "summary": summary,
}


def find(uow: UnitOfWork, ref: str | int) -> Any:
    """The partnership whose id or slug is `ref`, or NotFound."""
    return find_row(uow, Partnership, ref, "partnership", "partnerships")


def _contact(uow: UnitOfWork, ref: str, institution_id: int, side: str) -> int | None:
    """The id of a contact of the given side's institution; '' is none."""
    if not ref.strip():
        return None
    person = people.find(uow, ref)
    if person.institution_id != institution_id:
        raise InvalidInput(
            f"--{side}-contact: {person.name} is not of the {side} institution; give one who is"
        )
    return int(person.id)


def add(
    uow: UnitOfWork,
    *,
    actor: str,
    home: str,
    partner: str,
    slug: str | None = None,
    values: Mapping[str, Any],
    home_contact: str | None = None,
    partner_contact: str | None = None,
) -> str:
    """Store a new partnership of `home` with `partner` at version 1, logged; its slug."""
    home_row, partner_row = institutions.find(uow, home), institutions.find(uow, partner)
    if home_row.id == partner_row.id:
        raise InvalidInput("--home and --partner are the same institution; give two")
    cleaned = {f: CLEAN[f](v) for f, v in values.items() if v is not None}
    if home_contact is not None:
        cleaned["home_contact_id"] = _contact(uow, home_contact, home_row.id, "home")
    if partner_contact is not None:
        cleaned["partner_contact_id"] = _contact(uow, partner_contact, partner_row.id, "partner")
    pair = uow.conn.execute(
        select(T.c.slug).where(T.c.home_id == home_row.id, T.c.partner_id == partner_row.id)
    ).first()
    if pair is not None:
        raise InvalidInput(
            f"{home_row.slug} and {partner_row.slug} are partners already ({pair.slug}); "
            "edit that partnership instead"
        )
    if slug is None:
        pair_base = pair_slug(
            uow.session.get_one(Institution, home_row.id),
            uow.session.get_one(Institution, partner_row.id),
        )
        slug = free_slug(uow, pair_base)
    else:
        slug = fields.slug(slug)
        if slug_taken(uow, slug):
            raise InvalidInput(
                f"slug {slug!r} is taken by an agreement or partnership; choose another"
            )
    new_id = uow.conn.execute(
        insert(T)
        .values(slug=slug, home_id=home_row.id, partner_id=partner_row.id, version=1, **cleaned)
        .returning(T.c.id)
    ).scalar_one()
    logged = {"slug": (None, slug), "home_id": (None, home_row.id)}
    logged |= {"partner_id": (None, partner_row.id)}
    logged |= {f: (None, v) for f, v in cleaned.items() if v is not None}
    changes.record(uow, table=TABLE, record_id=new_id, version=1, actor=actor, changes=logged)
    return slug


def edit(
    uow: UnitOfWork,
    *,
    ref: str,
    expect_version: int,
    actor: str,
    values: Mapping[str, Any],
    home_contact: str | None = None,
    partner_contact: str | None = None,
) -> tuple[str, int]:
    """Change the given fields of one partnership if still at `expect_version`; slug, version."""
    cleaned = {f: CLEAN[f](v) for f, v in values.items() if v is not None}
    row = find(uow, ref)
    if home_contact is not None:
        cleaned["home_contact_id"] = _contact(uow, home_contact, row.home_id, "home")
    if partner_contact is not None:
        cleaned["partner_contact_id"] = _contact(uow, partner_contact, row.partner_id, "partner")
    if not cleaned:
        raise InvalidInput("nothing to change: give at least one field option (see --help)")
    version = changes.apply_edit(
        uow,
        model=Partnership,
        row=row,
        label=f"partnership {row.slug}",
        values=cleaned,
        expect_version=expect_version,
        actor=actor,
    )
    return row.slug, version
