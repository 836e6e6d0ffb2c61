"""Reminders through a real SMTP server (aiosmtpd on loopback), on both databases: what arrives,
and what happens while the server is down — back-off, the dead-letter table, a replay.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import Engine

from notify.backends import SmtpMailer
from notify.message import message_id_for
from tasks.delivering import deliver
from tests import factories
from tests.factories import COORDINATOR_EMAIL, MAIL_FROM, PARTNER_EMAIL, UNIT_EMAIL, notes
from workflow.errors import InvalidInput
from workflow.notices import deadletters, delivery, reminders
from workflow.settings import Settings
from workflow.uow import UnitOfWork

EXPIRES = date(2027, 6, 1)
DAY = EXPIRES - timedelta(days=180)
NOW = datetime(2026, 12, 3, 8, tzinfo=UTC)


@dataclass
class Inbox:
    """An aiosmtpd handler keeping each message with the envelope's recipients."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        msg = BytesParser(policy=policy.default).parsebytes(envelope.original_content or b"")
        assert isinstance(msg, EmailMessage)
        self.received.append(([str(r) for r in envelope.rcpt_tos], msg))
        return "250 2.0.0 Accepted"


@dataclass
class Server:
    """A loopback SMTP server that can be stopped (its port then refuses) and started again."""

    inbox: Inbox = field(default_factory=Inbox)
    port: int = 0
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def server() -> Iterator[Server]:
    """A started server on a free port; stopped after the test."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    running = Server(port=port)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def reminder(engine: Engine) -> int:
    """The 180-day reminder of `Exchange` (coordinator, unit and partner contact set); its id."""
    factories.institutions(engine)
    factories.contacts(engine)
    factories.agreement(engine, "Exchange", expires=EXPIRES)
    factories.meeting_partnership(engine, month=None)  # the partner's contact, no meetings
    with UnitOfWork(engine) as uow:
        assert reminders.materialize_due(uow, DAY, default_offsets=[180, 30], now=NOW) == 1
        uow.commit()
    [row] = notes(engine)
    return row.id


def settings(server: Server, **changes: object) -> Settings:
    """Settings that send through `server`: three attempts, back-off from 30 s."""
    return Settings(
        mail_from=MAIL_FROM,
        smtp_host="127.0.0.1",
        smtp_port=server.port,
        smtp_timeout=5,
        max_send_attempts=3,
        retry_backoff_seconds=30,
        **changes,  # type: ignore[arg-type]
    )


def parts(msg: EmailMessage) -> tuple[str, str]:
    """The text and HTML bodies."""
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


def test_the_reminder_arrives_naming_everything_a_coordinator_needs(
    engine: Engine, reminder: int, server: Server
) -> None:
    mailer = SmtpMailer(settings(server))
    outcome = deliver(engine, reminder, mailer, settings(server), today=DAY, now=NOW)
    mailer.close()
    assert outcome.status == "sent"
    [(rcpt, msg)] = server.inbox.received
    assert rcpt == [COORDINATOR_EMAIL, PARTNER_EMAIL, UNIT_EMAIL]
    key = notes(engine)[0].dedupe_key
    assert msg["Message-ID"] == message_id_for(key, "accord.example") == outcome.message_id
    assert msg["From"] == MAIL_FROM
    assert msg["Subject"] == "Renewal reminder: Exchange expires in 180 days (2027-06-01)"
    command = "accord agreements advance home-part-exchange renew --on YYYY-MM-DD"
    for body in parts(msg):
        assert "Exchange" in body
        assert "Home University" in body
        assert "Partner University" in body
        assert "2027-06-01" in body
        assert "1 June 2027" in body
        assert "in 180 days" in body
        assert "180</td>" in body or "Days left:  180" in body
        assert "in force; no renewal started yet" in body
        assert command in body
        assert "--signatory HOME=NAME --signatory PART=NAME" in body


def test_smtp_down_backs_off_then_delivers_when_it_returns(
    engine: Engine, reminder: int, server: Server
) -> None:
    server.stop()
    config = settings(server)
    mailer = SmtpMailer(config)
    outcome = deliver(engine, reminder, mailer, config, today=DAY, now=NOW)
    assert outcome.status == "retry"
    [row] = notes(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == NOW + timedelta(seconds=30)
    assert row.last_error is not None
    assert "ConnectionRefusedError" in row.last_error
    with UnitOfWork(engine) as uow:  # not claimed again before its back-off ends
        lease = timedelta(minutes=5)
        soon = NOW + timedelta(seconds=29)
        assert delivery.claim_due(uow, today=DAY, now=soon, limit=10, lease=lease) == []
        later = NOW + timedelta(seconds=30)
        assert delivery.claim_due(uow, today=DAY, now=later, limit=10, lease=lease) == [row.id]
    server.start()
    later = NOW + timedelta(seconds=30)
    assert deliver(engine, reminder, mailer, config, today=DAY, now=later).status == "sent"
    mailer.close()
    assert [n.status for n in notes(engine)] == ["sent"]
    assert len(server.inbox.received) == 1


def test_past_the_cap_it_is_dead_lettered_and_a_replay_sends_it(
    engine: Engine, reminder: int, server: Server
) -> None:
    server.stop()
    config = settings(server)
    mailer = SmtpMailer(config)
    now = NOW
    for attempt, expected in ((1, "retry"), (2, "retry"), (3, "dead")):
        outcome = deliver(engine, reminder, mailer, config, today=DAY, now=now)
        assert outcome.status == expected
        [row] = notes(engine)
        assert row.attempts == attempt
        if expected == "retry":  # 30 s, then 60 s: exponential back-off
            assert row.next_attempt_at == now + timedelta(seconds=30 * 2 ** (attempt - 1))
        now += timedelta(minutes=2)
    assert row.status == "dead"
    with UnitOfWork(engine) as uow:
        assert delivery.claim_due(uow, today=DAY, now=now, limit=10, lease=timedelta(1)) == []
        [dead] = deadletters.list_dead(uow)
    assert (dead.notification_id, dead.kind, dead.attempts) == (reminder, "renewal_reminder", 3)
    assert "ConnectionRefusedError" in dead.error
    assert deliver(engine, reminder, mailer, config, today=DAY, now=now).status == "skipped"

    with UnitOfWork(engine) as uow:
        assert deadletters.replay(uow, dead.id, now=now) == reminder
        uow.commit()
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput, match="was replayed"):
        deadletters.replay(uow, dead.id, now=now)
    with UnitOfWork(engine) as uow:
        assert deadletters.list_dead(uow) == []
        [replayed] = deadletters.list_dead(uow, include_replayed=True)
        assert (replayed.replayed_at, replayed.replay_count) == (now, 1)
        claimed = delivery.claim_due(uow, today=DAY, now=now, limit=10, lease=timedelta(1))
        assert claimed == [reminder]
    [row] = notes(engine)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)

    server.start()
    assert deliver(engine, reminder, mailer, config, today=DAY, now=now).status == "sent"
    mailer.close()
    [(_, msg)] = server.inbox.received
    assert msg["Message-ID"] == message_id_for(row.dedupe_key, "accord.example")
    assert notes(engine)[0].status == "sent"
