"""Test data built through the real use cases, never by writing state columns."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from models import Institution
from models.tables import InstitutionKind
from workflow.moves import SignatoryInput, advance
from workflow.proposals import Proposal, propose
from workflow.uow import UnitOfWork

TODAY = date(2026, 11, 22)
PROPOSED = date(2021, 1, 4)
SIGNED = date(2021, 6, 1)
SIGNATORIES = {"home": SignatoryInput("Home President"), "partner": SignatoryInput("Partner Head")}

# The moves from proposal to signature, each dated, in order.
TO_ACTIVE = [
    ("review", date(2021, 2, 1)),
    ("approve", date(2021, 3, 1)),
    ("send_for_signature", date(2021, 4, 1)),
]


def institutions(engine: Engine) -> None:
    """Two universities, `home` and `partner`."""
    with UnitOfWork(engine) as uow:
        uow.session.add_all(
            [
                Institution(
                    slug="home",
                    name="Home University",
                    short_name="HOME",
                    kind=InstitutionKind.UNIVERSITY,
                    country="CN",
                ),
                Institution(
                    slug="partner",
                    name="Partner University",
                    short_name="PART",
                    kind=InstitutionKind.UNIVERSITY,
                    country="DE",
                ),
            ]
        )
        uow.commit()


def proposed(engine: Engine, title: str = "Test memorandum", term_months: int = 60) -> str:
    """A new agreement in `proposed`; returns its slug."""
    with UnitOfWork(engine) as uow:
        agreement = propose(
            uow,
            Proposal(
                home="home",
                partner="partner",
                kind="mou",
                title=title,
                proposed_on=PROPOSED,
                actor="tester",
                today=TODAY,
                term_months=term_months,
            ),
        )
        uow.commit()
        return agreement.slug


def active(engine: Engine, title: str = "Test memorandum", signed: date = SIGNED) -> str:
    """An agreement signed on `signed` (in force for 60 months); returns its slug."""
    slug = proposed(engine, title)
    for trigger, on in TO_ACTIVE:
        advance(UnitOfWork(engine), slug, trigger, actor="tester", today=TODAY, on=on)
    advance(
        UnitOfWork(engine),
        slug,
        "sign",
        actor="tester",
        today=TODAY,
        on=signed,
        signatories=SIGNATORIES,
    )
    return slug
