"""Reminder days per kind and per agreement: set from the CLI, followed by pending reminders."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from notify.backends import FileMailer
from tasks.delivering import deliver
from tests import factories
from tests.factories import MAIL_FROM, TODAY, notes
from tests.integration.test_cli import run_cli
from workflow.notices import reminders
from workflow.settings import Settings
from workflow.uow import UnitOfWork

EXPIRES = TODAY + timedelta(days=200)
DEFAULT = [180, 90, 30, 7]


def world(engine: Engine) -> tuple[str, int]:
    """Contacts and one signed mou running until EXPIRES; its slug and id."""
    factories.institutions(engine)
    factories.contacts(engine)
    slug = factories.agreement(engine, "Offsets MoU", expires=EXPIRES)
    return slug, factories.agreement_id(engine, slug)


def pending_days(engine: Engine, agreement_id: int) -> set[int]:
    """The offsets (days before expiry) of an agreement's pending reminders."""
    return {
        int(n.dedupe_key.rsplit(":", 1)[1])
        for n in notes(engine, "renewal_reminder")
        if n.agreement_id == agreement_id and n.status == "pending"
    }


def test_agreement_override_reschedules_and_clear_falls_back_to_the_kind(engine: Engine) -> None:
    _, agreement_id = world(engine)
    with UnitOfWork(engine) as uow:
        reminders.set_policy(uow, "mou", [120, 30], today=TODAY, default=DEFAULT)
        applied = reminders.set_agreement_offsets(
            uow, agreement_id, [60, 14], today=TODAY, default=DEFAULT
        )
        uow.commit()
    assert applied == [60, 14]
    assert pending_days(engine, agreement_id) == {60, 14}
    with UnitOfWork(engine) as uow:
        applied = reminders.set_agreement_offsets(
            uow, agreement_id, None, today=TODAY, default=DEFAULT
        )
        uow.commit()
    assert applied == [120, 30]
    assert pending_days(engine, agreement_id) == {120, 30}


def test_a_reminder_whose_day_left_the_policy_is_not_sent(engine: Engine, tmp_path: Path) -> None:
    """Policies change after reminders exist: the send re-checks and cancels instead."""
    _, agreement_id = world(engine)
    with UnitOfWork(engine) as uow:
        reminders.replan(uow, today=TODAY, default_offsets=DEFAULT, agreement_id=agreement_id)
        uow.commit()
    # Written behind the use case's back (no re-plan), as a change not yet followed might be.
    factories.set_policy(engine, "mou", [90, 30, 7])
    due_180 = next(n for n in notes(engine, "renewal_reminder") if n.dedupe_key.endswith(":180"))
    settings = Settings(mail_from=MAIL_FROM, reminder_offsets=DEFAULT)
    day = EXPIRES - timedelta(days=180)
    mail = tmp_path / "mail"
    outcome = deliver(engine, due_180.id, FileMailer(mail), settings, today=day)
    assert outcome.status == "skipped"
    assert {n.status for n in notes(engine, "renewal_reminder") if n.id == due_180.id} == {
        "cancelled"
    }
    assert not mail.exists() or list(mail.iterdir()) == []


def test_cli_policy_and_offsets(db_url: str, engine: Engine) -> None:
    slug, agreement_id = world(engine)
    shown = run_cli(db_url, "reminders policy mou --set 120,30")
    assert shown.code == 0, shown
    assert "mou: reminders 120, 30 days" in shown.out
    done = run_cli(db_url, f"reminders offsets {slug} --set 45,14 --today {TODAY}")
    assert done.code == 0, done
    assert pending_days(engine, agreement_id) == {45, 14}
    bad = run_cli(db_url, f"reminders offsets {slug} --set 60,-3")
    assert bad.code == 1
    assert bad.err.strip().splitlines() == [
        "accord: error: reminder offsets must be whole days from 0 to 3650, not [60, -3]"
    ]
    assert pending_days(engine, agreement_id) == {45, 14}  # unchanged
    assert run_cli(db_url, "reminders policy kpa --set 1").code == 1
