"""The delivery settings no other test moves off their defaults: the back-off after a failed send
(ACCORD_RETRY_BACKOFF_SECONDS) and how long a silent SMTP server is waited for
(ACCORD_SMTP_TIMEOUT), through the real delivery and a real SMTP client, on both databases.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from notify.backends import SmtpMailer
from tasks.delivering import deliver
from tests import factories
from tests.factories import MAIL_FROM, notes
from tests.smtp_server import SmtpServer, free_port
from workflow.notices import reminders
from workflow.settings import Settings
from workflow.uow import UnitOfWork

EXPIRES = date(2027, 6, 1)
DAY = EXPIRES - timedelta(days=30)
NOW = datetime(2027, 5, 2, 8, tzinfo=UTC)


@pytest.fixture
def reminder(engine: Engine) -> int:
    """The 30-day reminder of an agreement with a coordinator and a unit; its id."""
    factories.institutions(engine)
    factories.contacts(engine)
    factories.agreement(engine, "Exchange", expires=EXPIRES)
    with UnitOfWork(engine) as uow:
        assert reminders.materialize_due(uow, DAY, default_offsets=[30], now=NOW) == 1
        uow.commit()
    [row] = notes(engine)
    return row.id


@pytest.fixture
def silent() -> Iterator[SmtpServer]:
    """An SMTP server that takes every message and never answers its DATA."""
    server = SmtpServer().start()
    server.recorder.hold()
    yield server
    server.recorder.release()
    server.stop()


def test_retry_backoff_seconds_is_the_first_wait_and_doubles(engine: Engine, reminder: int) -> None:
    # Nothing listens on the port: every attempt is refused at once.
    settings = Settings(
        mail_from=MAIL_FROM, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout=5,
        retry_backoff_seconds=7, max_send_attempts=5,
    )  # fmt: skip
    mailer = SmtpMailer(settings)
    now = NOW
    for attempt, wait in ((1, 7), (2, 14), (3, 28)):
        assert deliver(engine, reminder, mailer, settings, today=DAY, now=now).status == "retry"
        [row] = notes(engine)
        assert (row.attempts, row.next_attempt_at) == (attempt, now + timedelta(seconds=wait))
        now = now + timedelta(seconds=wait)
    mailer.close()


def test_smtp_timeout_bounds_the_wait_for_a_silent_server(
    engine: Engine, reminder: int, silent: SmtpServer
) -> None:
    settings = Settings(
        mail_from=MAIL_FROM, smtp_host="127.0.0.1", smtp_port=silent.port, smtp_timeout=1
    )
    mailer = SmtpMailer(settings)
    started = time.monotonic()
    outcome = deliver(engine, reminder, mailer, settings, today=DAY, now=NOW)
    waited = time.monotonic() - started
    mailer.close()
    assert outcome.status == "retry"
    assert outcome.error is not None
    assert "timed out" in outcome.error
    assert len(silent.recorder.messages) == 1  # it got as far as waiting for the 250
    # One second of silence, then given up: the default (30 s) would still be waiting.
    assert 1 <= waited < 10
