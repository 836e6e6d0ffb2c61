"""Integrity errors from the real databases, said as one line that names the value that clashed."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from models import Institution, InstitutionKind, Partnership, Source, Unit, make_engine
from tests import factories, overlap
from tests.integration.test_cli import run_cli
from workflow.integrity import integrity_message, is_clash_on
from workflow.uow import UnitOfWork

FIRST_SEED_SOURCE = "hust-rwth-2022"


def refused(engine: Engine, change: Callable[[UnitOfWork], None]) -> IntegrityError:
    """The IntegrityError the database raises for `change`; nothing is committed."""
    with UnitOfWork(engine) as uow:
        change(uow)
        with pytest.raises(IntegrityError) as caught:
            uow.session.flush()
    return caught.value


def ids(engine: Engine) -> tuple[int, int]:
    """The ids of `home` and `partner`."""
    with engine.connect() as conn:
        found: dict[str, int] = dict(conn.execute(select(Institution.slug, Institution.id)).all())
    return found["home"], found["partner"]


def test_a_duplicate_slug_names_the_table_column_and_value(engine: Engine) -> None:
    factories.institutions(engine)
    twin = Institution(slug="home", name="Twin", kind=InstitutionKind.UNIVERSITY, country="CN")
    exc = refused(engine, lambda uow: uow.session.add(twin))
    assert integrity_message(exc) == (
        "institutions.slug 'home' exists already: another command may have just stored it; "
        "run yours again, or choose another value"
    )
    assert is_clash_on(exc, "institutions", "slug")
    assert not is_clash_on(exc, "agreements", "slug")


def test_a_duplicate_pair_names_both_columns_and_values(engine: Engine) -> None:
    factories.institutions(engine)
    factories.proposed(engine)  # creates the partnership of home and partner
    home, partner = ids(engine)
    again = Partnership(slug="another", home_id=home, partner_id=partner)
    exc = refused(engine, lambda uow: uow.session.add(again))
    assert integrity_message(exc).startswith(
        f"partnerships (home_id, partner_id) = ({home}, {partner}) exists already"
    )
    assert not is_clash_on(exc, "partnerships", "home_id")


def test_an_integrity_error_that_is_no_clash_says_what_the_database_said(engine: Engine) -> None:
    orphan = Unit(slug="lost", institution_id=4242, name="Lost office", kind="office")
    exc = refused(engine, lambda uow: uow.session.add(orphan))
    message = integrity_message(exc)
    assert message.startswith("the database refused the change: ")
    assert "foreign key" in message.casefold()
    assert "\n" not in message
    assert not is_clash_on(exc, "units", "slug")


def test_an_integrity_error_reaching_the_cli_is_one_line_naming_the_value_postgresql(
    pg_only_url: str,
) -> None:
    engine = make_engine(pg_only_url)
    try:
        # Someone else holds an uncommitted source under the seed's first slug: the seed's
        # INSERT waits for it, then clashes once it commits. No check before could have seen it.
        with UnitOfWork(engine) as other:
            source = Source(slug=FIRST_SEED_SOURCE, headline="x", published=date(2022, 1, 1))
            other.session.add(source)
            other.session.flush()
            with ThreadPoolExecutor(1) as pool:
                seeding = pool.submit(run_cli, pg_only_url, "seed --today 2026-11-22")
                overlap.blocked_on_a_lock(engine)
                other.commit()
                outcome = seeding.result(timeout=120)
    finally:
        engine.dispose()
    assert (outcome.code, outcome.out) == (1, "")
    assert outcome.err == (
        f"accord: error: sources.slug '{FIRST_SEED_SOURCE}' exists already: another command may "
        "have just stored it; run yours again, or choose another value\n"
    )
