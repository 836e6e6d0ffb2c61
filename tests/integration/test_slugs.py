"""Slugs `agreements new` makes: the parties once, never a partnership's slug, the next free one."""

from __future__ import annotations

from sqlalchemy import Engine, select

from models import Institution, InstitutionKind, Partnership
from tests import factories
from tests.integration.test_cli import ok, propose, run_cli
from workflow.uow import UnitOfWork


def test_a_title_naming_the_parties_does_not_repeat_them(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    assert propose(db_url, "HOME–PART MoU")["slug"] == "home-part-mou"
    assert (
        propose(db_url, "Partner University and HOME: joint lab")["slug"]
        == "home-part-and-joint-lab"
    )
    assert propose(db_url, "Exchange")["slug"] == "home-part-exchange"
    assert propose(db_url, "Exchange")["slug"] == "home-part-exchange-2"


def test_a_slug_is_never_the_partnership_s(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    # Nothing of the title is left for the slug: the kind fills in, not the bare pair.
    assert propose(db_url, "★")["slug"] == "home-part-mou"
    assert propose(db_url, "Home – Part", "--kind key-partnership")["slug"] == (
        "home-part-key-partnership"
    )
    with engine.connect() as conn:
        assert conn.scalars(select(Partnership.slug)).all() == ["home-part"]
    refused = run_cli(
        db_url, "agreements new --home home --partner partner --kind mou --title X --slug home-part"
    )
    assert (refused.code, refused.out) == (1, "")
    assert refused.err == (
        "accord: error: the slug 'home-part' exists already (an agreement or a partnership has "
        "it): choose another\n"
    )


def test_a_new_pair_whose_slug_is_taken_gets_the_next_free_one(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    propose(db_url, "First")  # the partnership home-part
    with UnitOfWork(engine) as uow:
        uow.session.add(
            Institution(
                slug="part-two",
                name="Part Two Institute",
                short_name="PART",
                kind=InstitutionKind.UNIVERSITY,
                country="FR",
            )
        )
        uow.commit()
    created = ok(
        db_url, "agreements new --home home --partner part-two --kind mou --title First --json"
    ).json()
    assert (created["partnership"], created["slug"]) == ("home-part-2", "home-part-first-2")
