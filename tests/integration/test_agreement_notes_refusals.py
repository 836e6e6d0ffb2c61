"""Notes and follow-ups refused, on both databases: one line naming what is wrong, and nothing
changes (agreements, events, notes, follow-ups, mail)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from models import make_engine
from tests import overlap
from tests.integration.test_agreement_notes import SLUG, TODAY, build_world, snapshot
from tests.integration.test_cli import ok, run_cli
from workflow.agreements import followups
from workflow.errors import InvalidInput
from workflow.uow import UnitOfWork


@pytest.fixture
def world(engine: Engine) -> None:
    build_world(engine)


BAD = [
    ("agreements note nowhere 'x'", "no agreement 'nowhere'"),
    (f"agreements note {SLUG} ''", "the note is empty"),
    (f"agreements note {SLUG} ' \u200b '", "the note is empty"),
    (f"agreements note {SLUG} 'bell \x07'", "control characters"),
    (f"agreements note {SLUG} '{'x' * 4001}'", "at most 4000"),
    (f"agreements note {SLUG} x --actor ''", "an actor is required"),
    ("agreements follow-up nowhere x --due 2199-01-01 --owner coord", "no agreement 'nowhere'"),
    (f"agreements follow-up {SLUG} x --due 2199-01-01 --owner nobody", "no person 'nobody'"),
    (f"agreements follow-up {SLUG} '' --due 2199-01-01 --owner coord", "the follow-up is empty"),
    (f"agreements follow-up {SLUG} 'esc \x1b[2J' --due 2199-01-01 --owner coord", "control"),
    (f"agreements follow-up {SLUG} x --due 2201-01-01 --owner coord", "after 2200-12-31"),
    (f"agreements follow-up {SLUG} x --due 2020-01-01 --owner coord", "is before today"),
    (f"agreements follow-up {SLUG} x --due 31.12.2026 --owner coord", "is not a date"),
    ("agreements follow-ups nowhere", "no agreement 'nowhere'"),
    ("agreements done 99", "no follow-up 99"),
    ("agreements done one", "no follow-up 'one'"),
]


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize(("command", "said"), BAD, ids=[b[1] for b in BAD])
def test_bad_input_is_one_line_and_changes_nothing(
    engine: Engine, db_url: str, command: str, said: str
) -> None:
    before = snapshot(engine)
    outcome = run_cli(db_url, command)
    assert outcome.code == 1, outcome
    assert said in outcome.err, outcome
    assert outcome.err.count("\n") == 1, outcome
    assert snapshot(engine) == before


@pytest.mark.usefixtures("world")
def test_done_twice_is_refused_naming_who_did_it(engine: Engine, db_url: str) -> None:
    ok(db_url, f"agreements follow-up {SLUG} x --due {TODAY} --owner coord")
    ok(db_url, "agreements done 1 --actor bo")
    before = snapshot(engine)
    outcome = run_cli(db_url, "agreements done 1 --actor cy")
    assert outcome.code == 1
    assert outcome.err.startswith("accord: error: follow-up 1 was done already, by bo at ")
    assert outcome.err.count("\n") == 1
    assert snapshot(engine) == before


@pytest.mark.usefixtures("world")
def test_an_inactive_person_is_not_given_a_follow_up(engine: Engine, db_url: str) -> None:
    ok(db_url, "people edit coord --inactive --expect-version 1")
    before = snapshot(engine)
    outcome = run_cli(db_url, f"agreements follow-up {SLUG} x --due {TODAY} --owner coord")
    assert (outcome.code, outcome.err.count("\n")) == (1, 1)
    assert "person coord is inactive" in outcome.err
    assert snapshot(engine) == before


@pytest.mark.usefixtures("world")
def test_the_owner_of_a_follow_up_is_not_deleted(engine: Engine, db_url: str) -> None:
    ok(db_url, f"agreements follow-up {SLUG} x --due {TODAY} --owner partner-contact")
    outcome = run_cli(db_url, "people delete partner-contact --expect-version 1")
    assert outcome.code == 1
    assert "is referred to by 1 follow_ups.owner_id" in outcome.err
    assert [f["owner"] for f in ok(db_url, "agreements follow-ups --json").json()] == [
        "partner-contact"
    ]


def test_two_at_once_mark_it_done_once(pg_only_url: str) -> None:
    """PostgreSQL: the second waits for the first's row lock, then finds it done and is refused."""
    engine = make_engine(pg_only_url)
    try:
        build_world(engine)
        ok(pg_only_url, f"agreements follow-up {SLUG} x --due {TODAY} --owner coord")
        holding = threading.Event()

        def first() -> str:
            with UnitOfWork(engine) as uow:
                followups.done(uow, 1, actor="first", today=TODAY, now=datetime.now(UTC))
                holding.set()
                overlap.blocked_on_a_lock(engine)
                uow.commit()
            return "done"

        def second() -> str:
            overlap.wait(holding, "the first to mark it done")
            with UnitOfWork(engine) as uow:
                try:
                    followups.done(uow, 1, actor="second", today=TODAY, now=datetime.now(UTC))
                except InvalidInput as exc:
                    return str(exc)
                uow.commit()
            return "done"

        results = overlap.together(first, second)
    finally:
        engine.dispose()
    assert results[0] == "done"
    assert results[1].startswith("follow-up 1 was done already, by first at ")
    [row] = ok(pg_only_url, "agreements follow-ups --json").json()
    assert row["done_by"] == "first"
