"""Delivery rows on both databases: claims and leases, the stable Message-ID, permanent failures."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import Engine

from models import Notification, table_of
from notify.backends import FileMailer
from notify.message import message_id_for
from tasks.delivering import deliver
from tests import factories, overlap
from tests.factories import MAIL_FROM, notes
from workflow.notices import deadletters, delivery, reminders
from workflow.settings import Settings
from workflow.uow import UnitOfWork

EXPIRES = date(2027, 6, 1)
DAY = EXPIRES - timedelta(days=180)
NOW = datetime(2026, 12, 3, 8, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def queue(engine: Engine, due: list[date]) -> list[int]:
    """Notification rows due on the given days (what a claim sees of them); their ids."""
    rows = [
        {"kind": "event_notice", "dedupe_key": f"test:{n}", "due_on": day, "status": "pending"}
        | {"attempts": 0, "payload": {}, "created_at": NOW}
        for n, day in enumerate(due)
    ]
    with UnitOfWork(engine) as uow:
        ids = uow.conn.execute(
            table_of(Notification).insert().returning(table_of(Notification).c.id), rows
        ).scalars()
        result = list(ids)
        uow.commit()
    return result


def claim(
    engine: Engine, now: datetime, limit: int = 10, before_commit: Callable[[], None] = lambda: None
) -> list[int]:
    """One committed claim as of `now`, for the day of `now`; `before_commit` runs inside it."""
    with UnitOfWork(engine) as uow:
        ids = delivery.claim_due(uow, today=now.date(), now=now, limit=limit, lease=LEASE)
        before_commit()
        uow.commit()
    return ids


def test_a_claim_takes_what_is_due_leases_it_and_respects_the_limit(engine: Engine) -> None:
    first, second, tomorrow = queue(engine, [DAY - timedelta(days=1), DAY, DAY + timedelta(1)])
    assert claim(engine, NOW, limit=1) == [first]  # oldest due first
    assert claim(engine, NOW + timedelta(minutes=1)) == [second]
    assert claim(engine, NOW + timedelta(minutes=2)) == []  # both leased, one not due
    assert claim(engine, NOW + LEASE - timedelta(seconds=1)) == []
    assert claim(engine, NOW + LEASE) == [first]  # its lease ran out: a lost task is redone
    assert claim(engine, NOW + LEASE + timedelta(minutes=1)) == [second]
    assert claim(engine, NOW + timedelta(days=1)) == [first, second, tomorrow]
    leased = {n.id: n.next_attempt_at for n in notes(engine)}
    assert set(leased.values()) == {NOW + timedelta(days=1) + LEASE}


def test_two_claims_at_once_take_disjoint_rows(engine: Engine) -> None:
    ids = queue(engine, [DAY] * 20)
    first_in, second_in = threading.Event(), threading.Event()

    def first() -> list[int]:
        def hold() -> None:  # its 15 rows claimed and leased, not yet committed
            first_in.set()
            overlap.wait(second_in, "the second claim")

        return claim(engine, NOW, limit=15, before_commit=hold)

    def second() -> list[int]:
        overlap.wait(first_in, "the first claim")
        if engine.dialect.name == "sqlite":
            second_in.set()  # its BEGIN IMMEDIATE queues behind the first's transaction
            return claim(engine, NOW, limit=15)
        # PostgreSQL: it claims while the first holds its rows locked, and skips them.
        return claim(engine, NOW, limit=15, before_commit=second_in.set)

    taken = overlap.together(first, second)
    assert [len(batch) for batch in taken] == [15, 5]
    assert sorted(taken[0] + taken[1]) == ids


@pytest.fixture
def reminder(engine: Engine) -> int:
    """The 180-day reminder of an agreement expiring on EXPIRES, due on DAY; its id."""
    factories.institutions(engine)
    factories.contacts(engine)
    factories.agreement(engine, "Exchange", expires=EXPIRES)
    with UnitOfWork(engine) as uow:
        assert reminders.materialize_due(uow, DAY, default_offsets=[180], now=NOW) == 1
        uow.commit()
    [row] = notes(engine)
    return row.id


def eml(folder: Path) -> list[EmailMessage]:
    """The .eml files under `folder`, parsed, in the order they were written."""
    found = []
    for path in sorted(folder.glob("*.eml")):
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(msg, EmailMessage)
        found.append(msg)
    return found


class KilledAfterSending(FileMailer):
    """Writes the mail, then the worker dies before the commit: the documented duplicate window."""

    def send(self, msg: EmailMessage) -> None:
        super().send(msg)
        raise SystemExit("worker killed after the mail went out")


def test_the_file_backend_writes_a_mail_whose_message_id_survives_a_resend(
    engine: Engine, reminder: int, tmp_path: Path
) -> None:
    folder, settings = tmp_path / "mail", Settings(home=tmp_path, mail_from=MAIL_FROM)
    expected = message_id_for(f"renewal_reminder:1:{EXPIRES}:180", "accord.example")
    assert notes(engine)[0].dedupe_key == f"renewal_reminder:1:{EXPIRES}:180"
    with pytest.raises(SystemExit):
        deliver(engine, reminder, KilledAfterSending(folder), settings, today=DAY, now=NOW)
    [row] = notes(engine)
    assert (row.status, row.attempts, row.message_id) == ("pending", 0, None)

    later = NOW + LEASE
    outcome = deliver(engine, reminder, FileMailer(folder), settings, today=DAY, now=later)
    assert (outcome.status, outcome.message_id) == ("sent", expected)
    skipped = deliver(engine, reminder, FileMailer(folder), settings, today=DAY, now=later)
    assert skipped.status == "skipped"
    first, second = eml(folder)  # one copy inside the window, the second and last
    assert first["Message-ID"] == second["Message-ID"] == expected
    assert first["Subject"] == second["Subject"]
    assert first["Subject"] == "Renewal reminder: Exchange expires in 180 days (2027-06-01)"
    [row] = notes(engine)
    assert (row.status, row.message_id) == ("sent", expected)


def test_a_reminder_nobody_can_receive_is_dead_lettered_at_once(
    engine: Engine, tmp_path: Path
) -> None:
    factories.institutions(engine)
    factories.agreement(engine, "Nobody", expires=EXPIRES, coordinator=None, unit=None)
    with UnitOfWork(engine) as uow:
        reminders.materialize_due(uow, DAY, default_offsets=[180], now=NOW)
        uow.commit()
    [row] = notes(engine)
    settings = Settings(home=tmp_path, mail_from=MAIL_FROM, max_send_attempts=5)
    folder = tmp_path / "mail"
    outcome = deliver(engine, row.id, FileMailer(folder), settings, today=DAY, now=NOW)
    assert outcome.status == "dead"
    assert outcome.error == "no recipient has an e-mail address"
    [row] = notes(engine)
    assert (row.status, row.attempts, row.last_error) == ("dead", 1, outcome.error)
    with UnitOfWork(engine) as uow:
        [dead] = deadletters.list_dead(uow)
    assert (dead.notification_id, dead.kind, dead.error) == (
        row.id,
        "renewal_reminder",
        outcome.error,
    )
    assert not folder.exists() or list(folder.glob("*.eml")) == []


def test_a_failure_recorded_after_another_attempt_sent_it_changes_nothing(
    engine: Engine, reminder: int, tmp_path: Path
) -> None:
    """Two copies of a send task: the one that failed records it after the other succeeded."""
    settings = Settings(home=tmp_path, mail_from=MAIL_FROM)
    assert deliver(engine, reminder, FileMailer(tmp_path), settings, now=NOW).status == "sent"
    with UnitOfWork(engine) as uow:
        failure = delivery.mark_failed(
            uow, reminder, "late", temporary=False, now=NOW, max_attempts=5, backoff_base=30
        )
        uow.commit()
    assert failure.dead is False
    [row] = notes(engine)
    assert (row.status, row.attempts, row.last_error) == ("sent", 0, None)
    with UnitOfWork(engine) as uow:
        assert deadletters.list_dead(uow, include_replayed=True) == []
