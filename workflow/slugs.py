"""Slugs: readable, URL-safe names for agreements and partnerships, one namespace for both."""

from __future__ import annotations

import re

from sqlalchemy import select

from models import Agreement, AgreementKind, Institution, Partnership
from workflow.uow import UnitOfWork

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_LONGEST = 100
_PAIR_LONGEST = 76  # a partnership's slug column holds 80: room for "-2", "-3" …


def slugify(text: str) -> str:
    """A readable, URL-safe slug: lower case, words joined by hyphens."""
    return _SLUG_JUNK.sub("-", text.casefold()).strip("-")[:_LONGEST].strip("-") or "agreement"


def pair_slug(home: Institution, partner: Institution) -> str:
    """The slug a new partnership of `home` and `partner` starts from."""
    return slugify(f"{home.label}-{partner.label}")[:_PAIR_LONGEST].strip("-")


def _without(words: list[str], name: list[str]) -> list[str]:
    """`words` with every run of words equal to `name` taken out."""
    kept, i = [], 0
    while i < len(words):
        if words[i : i + len(name)] == name:
            i += len(name)
        else:
            kept.append(words[i])
            i += 1
    return kept


def agreement_slug(home: Institution, partner: Institution, title: str, kind: AgreementKind) -> str:
    """The parties, then the title's words without the parties' names again (or else the kind).

    "HUST–Tohoku MoU" between HUST and Tohoku is `hust-tohoku-mou`, not `hust-tohoku-hust-tohoku-
    mou`; a title of nothing but the parties still ends in the kind, so it is never the slug of
    the partnership itself.
    """
    words = [word for word in _SLUG_JUNK.split(title.casefold()) if word]
    for party in (home, partner):
        names = {slugify(n) for n in (party.name, party.short_name, party.slug) if n}
        for name in sorted(names, key=len, reverse=True):  # "rwth-aachen" before "rwth"
            words = _without(words, name.split("-"))
    rest = "-".join(words) or slugify(kind.value)
    return slugify(f"{pair_slug(home, partner)}-{rest}")


def slug_taken(uow: UnitOfWork, slug: str) -> bool:
    """Whether an agreement or a partnership has `slug`."""
    return any(
        uow.session.scalar(select(model.id).where(model.slug == slug)) is not None
        for model in (Agreement, Partnership)
    )


def free_slug(uow: UnitOfWork, base: str) -> str:
    """`base`, else `base-2`, `base-3` …: the first no agreement and no partnership has."""
    taken: set[str] = set()
    for model in (Agreement, Partnership):
        taken |= set(uow.session.scalars(select(model.slug).where(model.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
