"""The worker's engine pings no connection before use; a task whose pooled connection died
(the database restarted) runs once more on a fresh one, and is not lost or failed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from models import make_engine
from models.db import reconnecting
from notify.backends import FileMailer
from tasks.delivering import deliver
from tests import factories
from tests.factories import MAIL_FROM, notes
from workflow.notices import reminders
from workflow.settings import Settings
from workflow.uow import UnitOfWork

EXPIRES = date(2027, 6, 1)
DAY = EXPIRES - timedelta(days=180)


@pytest.fixture
def unpinged(pg_only_url: str) -> Iterator[Engine]:
    """An engine on PostgreSQL as the worker makes it: no pre-ping, one pooled connection."""
    engine = make_engine(pg_only_url, pre_ping=False, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def drop_connections(url: str) -> int:
    """What a database restart does to a client: every session on the database is ended."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        ended = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    admin.dispose()
    return int(ended)


def reminder(engine: Engine) -> int:
    factories.institutions(engine)
    factories.contacts(engine)
    factories.agreement(engine, "Exchange", expires=EXPIRES)
    with UnitOfWork(engine) as uow:
        assert reminders.materialize_due(uow, DAY, default_offsets=[180]) == 1
        uow.commit()
    return notes(engine)[0].id


def test_a_task_whose_connection_died_runs_again_and_sends_once(
    unpinged: Engine, pg_only_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    note = reminder(unpinged)  # the pool now holds a connection
    settings = Settings(home=tmp_path, mail_from=MAIL_FROM, reminder_offsets=[180])
    mailer = FileMailer(tmp_path / "mail")

    assert drop_connections(pg_only_url) >= 1
    with pytest.raises(DBAPIError) as dead:  # without the retry: the task fails
        deliver(unpinged, note, mailer, settings, today=DAY)
    assert dead.value.connection_invalidated
    assert notes(unpinged)[0].status == "pending"  # read on a fresh pooled connection ...

    assert drop_connections(pg_only_url) >= 1  # ... which dies too
    caplog.set_level(logging.WARNING, logger="models.db")
    outcome = reconnecting(lambda: deliver(unpinged, note, mailer, settings, today=DAY))
    assert outcome.status == "sent"
    assert "connection had dropped" in caplog.text
    assert notes(unpinged)[0].status == "sent"
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_other_database_errors_are_not_retried(unpinged: Engine) -> None:
    calls = []

    def broken() -> None:
        calls.append(1)
        with unpinged.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(ProgrammingError):
        reconnecting(broken)
    assert calls == [1]
