"""A follow-up's owner is mailed on the due day, through a real SMTP server, on both databases:
not before, once, late within the catch-up window only, and never once it is done."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from notify.backends import SmtpMailer
from tasks.delivering import deliver
from tests import factories
from tests.factories import COORDINATOR_EMAIL, MAIL_FROM, PARTNER_EMAIL, notes
from tests.smtp_server import SmtpServer
from workflow.agreements import followups
from workflow.notices.meetings import MeetingDefaults
from workflow.notices.sweep import SweepReport, sweep
from workflow.settings import Settings
from workflow.uow import UnitOfWork

SET_ON = date(2026, 12, 1)
DUE = date(2026, 12, 10)
TODO = "Send the signed annex to Pat\nand ask for the student list"


def at(day: date, hour: int = 8) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    running = SmtpServer().start()
    yield running
    running.stop()


@pytest.fixture
def follow_up(engine: Engine) -> int:
    """A follow-up on `Exchange` (in force until 2031) due on DUE, for partner-contact; its id."""
    factories.institutions(engine)
    factories.contacts(engine)
    slug = factories.agreement(engine, "Exchange", expires=date(2031, 6, 1))
    with UnitOfWork(engine) as uow:
        made = followups.add(
            uow,
            slug,
            due_on=DUE,
            owner="partner-contact",
            text=TODO,
            actor="ann",
            today=SET_ON,
            now=at(SET_ON, 9),
        )
        uow.commit()
    return int(made["id"])


def run_day(engine: Engine, day: date, server: SmtpServer) -> tuple[SweepReport, list[str]]:
    """One sweep as of `day`, then every claimed mail sent through `server`; the outcomes."""
    report = sweep(
        engine,
        day,
        default_offsets=[180, 90, 30, 7],
        meeting_defaults=MeetingDefaults(),
        catchup_days=7,
        now=at(day),
    )
    settings = Settings(
        mail_from=MAIL_FROM, smtp_host="127.0.0.1", smtp_port=server.port, smtp_timeout=5
    )
    mailer = SmtpMailer(settings)
    try:
        outcomes = [
            deliver(engine, n, mailer, settings, today=day, now=at(day)).status
            for n in report.claimed
        ]
    finally:
        mailer.close()
    return report, outcomes


def body(server: SmtpServer, n: int = 0) -> tuple[str, str]:
    msg = server.recorder.messages[n]
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None
    assert html is not None
    # Read as a person reads them: the wire's CRLF line ends as plain line breaks.
    plain, rich = (str(part.get_content()).replace("\r\n", "\n") for part in (text, html))
    return plain, rich


def test_the_owner_is_mailed_on_the_due_day_once_and_not_before(
    engine: Engine, follow_up: int, server: SmtpServer
) -> None:
    for day in (SET_ON, DUE - timedelta(days=1)):
        report, outcomes = run_day(engine, day, server)
        assert (report.follow_ups, outcomes) == (0, [])
    assert server.recorder.messages == []

    report, outcomes = run_day(engine, DUE, server)
    assert (report.follow_ups, outcomes) == (1, ["sent"])
    [msg] = server.recorder.messages
    # The owner only: not the agreement's coordinator or unit.
    assert server.recorder.recipients == [[PARTNER_EMAIL]]
    assert COORDINATOR_EMAIL not in str(msg["To"])
    assert msg["Subject"] == "Follow-up due today: Exchange"
    text, html = body(server)
    for part in (text, html):
        assert "Exchange (home-part-exchange)" in part  # which agreement
        assert "Dear Pat Ner" in part
        assert "is due today" in part
        assert "10 December 2026" in part
        assert "ann on 1 December 2026" in part  # who set it, and when
        assert f"accord agreements done {follow_up}" in part  # how to mark it done
    assert "  Send the signed annex to Pat\n  and ask for the student list\n" in text
    assert "Send the signed annex to Pat\nand ask for the student list" in html

    # The same day again, and the days after: nothing new.
    for day in (DUE, DUE + timedelta(days=1), DUE + timedelta(days=3)):
        report, outcomes = run_day(engine, day, server)
        assert (report.follow_ups, outcomes) == (0, [])
    assert len(server.recorder.messages) == 1
    [row] = notes(engine, "follow_up")
    assert (row.status, row.due_on, row.dedupe_key) == ("sent", DUE, f"follow_up:{follow_up}")


def test_done_before_the_day_means_no_mail(
    engine: Engine, follow_up: int, server: SmtpServer
) -> None:
    with UnitOfWork(engine) as uow:
        followups.done(uow, follow_up, actor="pat", today=DUE, now=at(DUE - timedelta(days=2)))
        uow.commit()
    report, outcomes = run_day(engine, DUE, server)
    assert (report.follow_ups, outcomes) == (0, [])
    assert server.recorder.messages == []
    assert notes(engine, "follow_up") == []


def test_done_after_the_mail_was_planned_cancels_it(
    engine: Engine, follow_up: int, server: SmtpServer
) -> None:
    # The sweep made the row, but the mail has not gone out yet (the server was unreachable).
    server.stop()
    report, outcomes = run_day(engine, DUE, server)
    assert (report.follow_ups, outcomes) == (1, ["retry"])
    with UnitOfWork(engine) as uow:
        followups.done(uow, follow_up, actor="pat", today=DUE, now=at(DUE, 9))
        uow.commit()
    [row] = notes(engine, "follow_up")
    assert row.status == "cancelled"
    server.start()
    report, outcomes = run_day(engine, DUE + timedelta(days=1), server)
    assert (report.follow_ups, outcomes) == (0, [])
    assert server.recorder.messages == []


def test_a_pending_mail_whose_follow_up_is_done_is_skipped_at_send_time(
    engine: Engine, follow_up: int, server: SmtpServer
) -> None:
    """Done by a writer that did not cancel the row (one racing the sweep): the send-time read
    still finds it done, and the mail never goes."""
    report = sweep(
        engine, DUE, default_offsets=[7], meeting_defaults=MeetingDefaults(), now=at(DUE)
    )
    [claimed] = report.claimed
    with engine.begin() as conn:
        conn.execute(followups.F.update().values(done_at=at(DUE, 9), done_by="pat"))
    settings = Settings(mail_from=MAIL_FROM, smtp_host="127.0.0.1", smtp_port=server.port)
    mailer = SmtpMailer(settings)
    outcome = deliver(engine, claimed, mailer, settings, today=DUE, now=at(DUE, 10))
    mailer.close()
    assert outcome.status == "skipped"
    assert server.recorder.messages == []
    assert [n.status for n in notes(engine, "follow_up")] == ["cancelled"]


def test_after_downtime_a_missed_day_is_caught_up_within_the_window_only(
    engine: Engine, follow_up: int, server: SmtpServer
) -> None:
    late = DUE + timedelta(days=3)
    report, outcomes = run_day(engine, late, server)
    assert (report.follow_ups, outcomes) == (1, ["sent"])
    assert server.recorder.messages[0]["Subject"] == "Follow-up overdue since 2026-12-10: Exchange"
    text, html = body(server)
    for part in (text, html):
        assert "was due" in part
        assert "3 days ago" in part
        assert "could not go out on the day" in part


def test_past_the_catch_up_window_nothing_is_mailed(
    engine: Engine, follow_up: int, server: SmtpServer
) -> None:
    report, outcomes = run_day(engine, DUE + timedelta(days=8), server)
    assert (report.follow_ups, outcomes) == (0, [])
    assert server.recorder.messages == []
