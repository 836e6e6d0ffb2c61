"""Deleting directory records: refused while anything refers to them, else done and logged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests import factories
from tests.integration.test_cli import ok, run_cli


def snapshot(engine: Engine) -> list[Any]:
    """The directory's rows and the change log: what a refused delete must not touch."""
    with engine.connect() as conn:
        return [
            tuple(r)
            for table in ("institutions", "units", "people", "partnerships", "directory_changes")
            for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
        ]


@pytest.fixture
def directory(engine: Engine) -> str:
    """home, partner, intl-office, coord (its coordinator) and partner-contact, an agreement."""
    factories.institutions(engine)
    factories.contacts(engine)
    slug = factories.proposed(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE agreements SET coordinator_id = 1"))
        conn.execute(text("UPDATE people SET unit_id = 1 WHERE slug = 'coord'"))
    return slug


@pytest.mark.usefixtures("directory")
@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("institutions delete home", "units.institution_id"),
        ("units delete intl-office", "1 people.unit_id"),
        ("people delete coord", "1 agreements.coordinator_id: not deleted; mark it --inactive"),
        ("partnerships delete home-part", "1 agreements.partnership_id"),
    ],
)
def test_a_record_something_refers_to_is_not_deleted(
    engine: Engine, db_url: str, command: str, said: str
) -> None:
    before = snapshot(engine)
    outcome = run_cli(db_url, f"{command} --expect-version 1")
    assert outcome.code == 1
    assert said in outcome.err, outcome
    assert outcome.err.count("\n") == 1
    assert snapshot(engine) == before


@pytest.mark.usefixtures("directory")
def test_a_record_nothing_refers_to_is_deleted_and_the_deletion_logged(
    engine: Engine, db_url: str
) -> None:
    ok(db_url, "people edit partner-contact --expect-version 1 --title Dean --actor Ann")
    before = snapshot(engine)
    stale = run_cli(db_url, "people delete partner-contact --expect-version 1")
    assert "at version 2, not 1: Ann changed it" in stale.err
    assert snapshot(engine) == before

    assert (
        "deleted person partner-contact"
        in ok(db_url, "people delete partner-contact --expect-version 2 --actor Bo").out
    )
    assert "no person" in run_cli(db_url, "people show partner-contact").err
    with engine.connect() as conn:
        last = conn.execute(
            text("SELECT actor, field, before, version FROM directory_changes ORDER BY id DESC")
        ).first()
    assert last is not None
    assert tuple(last) == ("Bo", "deleted", "partner-contact", 3)
