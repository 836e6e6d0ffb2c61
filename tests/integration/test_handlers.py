"""What lifecycle events set in motion, handled from the outbox at least once, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from models import OutboxMessage
from notify.backends import FileMailer
from tasks.delivering import deliver
from tests import factories
from tests.factories import MAIL_FROM, SIGNATORIES, TODAY, notes
from workflow.agreements.moves import advance
from workflow.agreements.tick import run_tick, tick
from workflow.notices import handlers, reminders
from workflow.settings import Settings
from workflow.uow import UnitOfWork

NOW = datetime(2026, 11, 22, 8, tzinfo=UTC)
EXPIRES = date(2027, 6, 1)
OFFSETS = (180, 90, 30, 7)
RENEWED_UNTIL = date(2029, 6, 1)
Send = Callable[[int, date], str]


def handle(engine: Engine, event_id: int, today: date = TODAY) -> handlers.Handled:
    """Handle one event in its own committed unit of work, as the outbox task does."""
    with UnitOfWork(engine) as uow:
        done = handlers.handle_event(uow, event_id, today=today, default_offsets=OFFSETS, now=NOW)
        uow.commit()
    return done


def handle_outbox(engine: Engine, today: date) -> list[str]:
    """Handle every outbox row (twice each: delivery is at least once); their triggers."""
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(
            select(OutboxMessage.id, OutboxMessage.topic).order_by(OutboxMessage.id)
        ).all()
        events = [(handlers.event_of_outbox(uow, row.id), row.topic) for row in rows]
    for event_id, _ in events:
        assert event_id is not None
        handle(engine, event_id, today)
        handle(engine, event_id, today)
    return [topic.removeprefix("agreement.") for _, topic in events]


@pytest.fixture
def slug(engine: Engine) -> str:
    """One agreement in force until EXPIRES, with a coordinator and a unit that have emails."""
    factories.institutions(engine)
    factories.contacts(engine)
    return factories.agreement(engine, "Exchange", expires=EXPIRES)


@pytest.fixture
def send(engine: Engine, tmp_path: Path) -> tuple[Path, Send]:
    """(mail folder, a function delivering one notification into it as of a day)."""
    folder = tmp_path / "mail"
    settings = Settings(home=tmp_path, mail_from=MAIL_FROM)

    def run(notification_id: int, today: date) -> str:
        now = datetime.combine(today, NOW.timetz())
        return deliver(
            engine, notification_id, FileMailer(folder), settings, today=today, now=now
        ).status

    return folder, run


def mails(folder: Path) -> list[EmailMessage]:
    """The .eml files written so far, parsed, oldest first."""
    parsed = []
    for path in sorted(folder.glob("*.eml")):
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(msg, EmailMessage)
        parsed.append(msg)
    return parsed


def statuses(engine: Engine, agreement_id: int) -> dict[str, str]:
    """Reminder key → status of one agreement's reminders."""
    return {
        n.dedupe_key: n.status
        for n in notes(engine, "renewal_reminder")
        if n.agreement_id == agreement_id
    }


def keys(agreement_id: int, expires: date, status: str) -> dict[str, str]:
    """The four default reminders of one term, all with `status`."""
    return {reminders.reminder_key(agreement_id, expires, d): status for d in OFFSETS}


def test_sign_open_renewal_and_expire_each_queue_one_notice(
    engine: Engine, slug: str, send: tuple[Path, Send]
) -> None:
    folder, run = send
    agreement = factories.agreement_id(engine, slug)
    opens = EXPIRES - timedelta(days=180)
    assert handle_outbox(engine, TODAY)[-1] == "sign"
    assert statuses(engine, agreement) == keys(agreement, EXPIRES, "pending")
    run_tick(UnitOfWork(engine), opens)
    run_tick(UnitOfWork(engine), EXPIRES)
    assert handle_outbox(engine, EXPIRES)[-2:] == ["open_renewal", "expire"]
    notices = notes(engine, "event_notice")
    assert [n.payload["trigger"] for n in notices] == ["sign", "open_renewal", "expire"]
    assert {n.agreement_id for n in notices} == {agreement}
    # Lapsed: whatever reminder was still pending no longer applies.
    assert statuses(engine, agreement) == keys(agreement, EXPIRES, "cancelled")

    for n in notices:
        assert run(n.id, EXPIRES) == "sent"
        assert run(n.id, EXPIRES) == "skipped"
    got = mails(folder)
    assert [m["Subject"] for m in got] == [
        "Exchange: signed",
        "Exchange: renewal window opened",
        "Exchange: expired",
    ]
    assert {m["To"] for m in got} == {f"{factories.COORDINATOR_EMAIL}, {factories.UNIT_EMAIL}"}


def test_a_window_a_late_tick_opened_is_mailed_in_plain_words_saying_it_is_late(
    engine: Engine, slug: str, send: tuple[Path, Send]
) -> None:
    folder, run = send
    opens = EXPIRES - timedelta(days=180)  # 3 December 2026
    caught_up = opens + timedelta(days=8)  # no tick ran in between
    handle_outbox(engine, TODAY)
    with UnitOfWork(engine) as uow:
        tick(uow, caught_up, now=datetime.combine(caught_up, NOW.timetz()))
        uow.commit()
    handle_outbox(engine, caught_up)
    [notice] = [n for n in notes(engine, "event_notice") if n.payload["trigger"] == "open_renewal"]
    assert run(notice.id, caught_up) == "sent"
    [msg] = [m for m in mails(folder) if m["Subject"] == "Exchange: renewal window opened"]
    text, html = (msg.get_body((kind,)) for kind in ("plain", "html"))
    assert text is not None
    assert html is not None
    plain = text.get_content().replace("\r\n", "\n")
    assert 'The renewal window of "Exchange" opened on 3 December 2026. The agreement expires ' \
        "on 1 June 2027 (in 172 days)." in plain  # fmt: skip
    late = (
        "This happened on 3 December 2026; this notice is late because Accord's daily check "
        "(accord tick) had not run since that day; it caught up on 11 December 2026."
    )
    assert late in plain
    assert late.replace("'", "&#39;") in html.get_content()
    assert "This was recorded automatically by Accord on 11 December 2026 at 08:00 UTC." in plain
    command = (
        f"accord agreements advance {slug} renew --on YYYY-MM-DD --until YYYY-MM-DD "
        "--signatory HOME=NAME --signatory PART=NAME"
    )
    assert command in plain
    assert "Trigger" not in plain
    assert "system" not in plain


def test_a_renewal_cancels_the_old_terms_reminders_and_schedules_the_new(
    engine: Engine, slug: str, send: tuple[Path, Send]
) -> None:
    _, run = send
    agreement = factories.agreement_id(engine, slug)
    handle(engine, factories.last_event_id(engine, slug, "sign"))
    sent_first = reminders.reminder_key(agreement, EXPIRES, 180)
    [first] = [n for n in notes(engine) if n.dedupe_key == sent_first]
    assert run(first.id, first.due_on) == "sent"

    renewal = advance(
        UnitOfWork(engine), slug, "renew", actor="t", today=TODAY, on=TODAY,
        until=RENEWED_UNTIL, signatories=SIGNATORIES,
    )  # fmt: skip
    done = handle(engine, renewal.event_id)
    assert (done.cancelled, done.scheduled) == (3, 4)
    again = handle(engine, renewal.event_id)
    assert (again.cancelled, again.scheduled) == (0, 0)
    assert statuses(engine, agreement) == {
        **keys(agreement, EXPIRES, "cancelled"),
        sent_first: "sent",
        **keys(agreement, RENEWED_UNTIL, "pending"),
    }


def test_a_renewed_agreements_stale_reminder_is_never_sent(
    engine: Engine, slug: str, send: tuple[Path, Send]
) -> None:
    folder, run = send
    day = EXPIRES - timedelta(days=90)
    with UnitOfWork(engine) as uow:
        assert reminders.materialize_due(uow, day, default_offsets=OFFSETS, now=NOW) == 1
        uow.commit()
    advance(
        UnitOfWork(engine), slug, "renew", actor="t", today=TODAY, on=TODAY,
        until=RENEWED_UNTIL, signatories=SIGNATORIES,
    )  # fmt: skip
    [stale] = notes(engine)
    assert run(stale.id, day) == "skipped"
    assert [n.status for n in notes(engine)] == ["cancelled"]
    assert not folder.exists() or list(folder.glob("*.eml")) == []


def test_a_termination_cancels_every_pending_reminder(
    engine: Engine, slug: str, send: tuple[Path, Send]
) -> None:
    folder, run = send
    agreement = factories.agreement_id(engine, slug)
    handle(engine, factories.last_event_id(engine, slug, "sign"))
    [first, *_] = notes(engine)
    terminated = advance(
        UnitOfWork(engine), slug, "terminate", actor="t", today=TODAY, comment="closed"
    )
    # Before the handler runs, a send already finds the reminder moot.
    assert run(first.id, first.due_on) == "skipped"
    assert handle(engine, terminated.event_id).cancelled == 3
    assert handle(engine, terminated.event_id).cancelled == 0
    assert statuses(engine, agreement) == keys(agreement, EXPIRES, "cancelled")
    assert not folder.exists() or list(folder.glob("*.eml")) == []


def test_a_resumed_agreement_is_reminded_again(engine: Engine, slug: str) -> None:
    agreement = factories.agreement_id(engine, slug)
    handle(engine, factories.last_event_id(engine, slug, "sign"))
    suspended = advance(
        UnitOfWork(engine), slug, "suspend", actor="t", today=TODAY, comment="audit"
    )
    assert handle(engine, suspended.event_id).cancelled == 4
    assert statuses(engine, agreement) == keys(agreement, EXPIRES, "cancelled")
    resumed = advance(UnitOfWork(engine), slug, "resume", actor="t", today=TODAY)
    handle(engine, resumed.event_id)
    assert statuses(engine, agreement) == keys(agreement, EXPIRES, "pending")


def test_an_event_that_does_not_exist_is_handled_as_nothing(engine: Engine) -> None:
    assert handle(engine, 987654) == handlers.Handled()
    with UnitOfWork(engine) as uow:
        assert handlers.event_of_outbox(uow, 987654) is None


def test_a_suspension_handled_late_leaves_a_resumed_agreements_reminders(
    engine: Engine, slug: str
) -> None:
    """Outbox messages may arrive late and out of order: the handler judges the agreement now."""
    agreement = factories.agreement_id(engine, slug)
    handle(engine, factories.last_event_id(engine, slug, "sign"))
    suspended = advance(
        UnitOfWork(engine), slug, "suspend", actor="t", today=TODAY, comment="audit"
    )
    resumed = advance(UnitOfWork(engine), slug, "resume", actor="t", today=TODAY)
    handle(engine, resumed.event_id)
    assert handle(engine, suspended.event_id).cancelled == 0
    assert statuses(engine, agreement) == keys(agreement, EXPIRES, "pending")


def test_seeded_history_mails_no_notice_but_the_ticks_catch_up_does(engine: Engine) -> None:
    """Imported history is not news; the windows and lapses the first tick records are."""
    from workflow.seeding.store import load_seed_file, seed

    day = date(2026, 11, 22)
    seed(engine, load_seed_file(factories.ROOT / "data" / "seed.toml"), today=day)
    handle_outbox(engine, day)
    assert notes(engine, "event_notice") == []
    run_tick(UnitOfWork(engine), day)
    handle_outbox(engine, day)
    triggers = sorted(str(n.payload["trigger"]) for n in notes(engine, "event_notice"))
    assert triggers == ["expire", "expire", "open_renewal", "open_renewal", "open_renewal"]
