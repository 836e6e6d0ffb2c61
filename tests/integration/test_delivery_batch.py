"""Several mails per task (`deliver_batch`), on both databases: each row exactly as `deliver`
treats it alone, a failing row does not stop the others, and a spent budget hands the rest on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from notify.backends import FileMailer
from tasks.delivering import deliver_batch
from tests import factories
from tests.factories import MAIL_FROM, notes
from workflow.notices import reminders
from workflow.settings import Settings
from workflow.uow import UnitOfWork

EXPIRES = date(2027, 6, 1)
DAY = EXPIRES - timedelta(days=180)
NOW = datetime(2026, 12, 3, 8, tzinfo=UTC)


def reminders_due(engine: Engine) -> list[int]:
    """Three 180-day reminders due on DAY; the second agreement has nobody to mail."""
    factories.institutions(engine)
    factories.contacts(engine)
    factories.agreement(engine, "First", expires=EXPIRES)
    factories.agreement(engine, "Nobody", expires=EXPIRES, coordinator=None, unit=None)
    factories.agreement(engine, "Third", expires=EXPIRES)
    with UnitOfWork(engine) as uow:
        assert reminders.materialize_due(uow, DAY, default_offsets=[180], now=NOW) == 3
        uow.commit()
    return [n.id for n in notes(engine)]


def ticks(step: float) -> Iterator[float]:
    """A clock that advances `step` seconds at every reading."""
    now = 0.0
    while True:
        yield now
        now += step


def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, mail_from=MAIL_FROM, reminder_offsets=[180])


def test_each_row_is_delivered_on_its_own_and_a_failure_stops_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    ids = reminders_due(engine)
    mail = tmp_path / "mail"
    outcomes, left = deliver_batch(
        engine, ids, FileMailer(mail), settings(tmp_path), budget_seconds=60
    )
    assert [(o.notification_id, o.status) for o in outcomes] == [
        (ids[0], "sent"),
        (ids[1], "dead"),  # nobody to mail: dead-lettered at once
        (ids[2], "sent"),
    ]
    assert left == []
    assert [n.status for n in notes(engine)] == ["sent", "dead", "sent"]
    assert len(list(mail.glob("*.eml"))) == 2

    again, left = deliver_batch(  # a redelivered batch finds its rows done
        engine, ids, FileMailer(mail), settings(tmp_path), budget_seconds=60
    )
    assert [o.status for o in again] == ["skipped", "skipped", "skipped"]
    assert len(list(mail.glob("*.eml"))) == 2


def test_a_spent_budget_hands_the_rest_back_after_at_least_one_row(
    engine: Engine, tmp_path: Path
) -> None:
    ids = reminders_due(engine)
    clock = ticks(10.0).__next__  # every reading is 10 s later
    outcomes, left = deliver_batch(
        engine, ids, FileMailer(tmp_path / "mail"), settings(tmp_path), budget_seconds=15,
        clock=clock,
    )  # fmt: skip
    assert [o.notification_id for o in outcomes] == ids[:2]
    assert left == ids[2:]
    assert [n.status for n in notes(engine)] == ["sent", "dead", "pending"]

    outcomes, left = deliver_batch(
        engine, ids[2:], FileMailer(tmp_path / "mail"), settings(tmp_path), budget_seconds=0
    )
    assert [o.status for o in outcomes] == ["sent"]  # the first row is always tried
    assert left == []
