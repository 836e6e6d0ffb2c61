"""SMTP down: the send fails, the row backs off and retries; past the cap it is dead-lettered,
and a replay sends it. Driven by `accord.sweep` sent through the broker, as beat sends it.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Stack
from tests.e2e.world import dead_letters, message_id, notification, people, signed
from workflow.notices import deadletters
from workflow.uow import UnitOfWork

MAX_ATTEMPTS = 3  # ACCORD_MAX_SEND_ATTEMPTS in the worker's environment
REFUSED = "ConnectionRefusedError"


def _reminder(e2e: Stack, title: str) -> tuple[str, str]:
    people(e2e.engine)
    agreement = signed(e2e.engine, title, expires_in=30)
    return agreement.reminder_key, message_id(agreement.reminder_key, e2e.settings)


def _row_when(e2e: Stack, key: str, ok: Any, what: str) -> Any:
    def check() -> Any:
        row = notification(e2e.engine, key)
        return row if row is not None and ok(row) else None

    return e2e.drive(check, 30, what)


def test_smtp_down_then_up_is_delivered_after_the_retries(e2e: Stack) -> None:
    key, expected = _reminder(e2e, "Summer school agreement")
    assert e2e.settings.max_send_attempts == MAX_ATTEMPTS
    e2e.smtp.stop()

    # Back-off 1 s, then 2 s: SMTP is back before the third and last attempt.
    failed = _row_when(e2e, key, lambda r: r.attempts >= 1, "a failed attempt")
    assert failed.status == "pending", "a temporary failure below the cap must stay pending"
    assert REFUSED in failed.last_error
    assert failed.next_attempt_at is not None

    e2e.smtp.start()
    sent = _row_when(e2e, key, lambda r: r.status == "sent", "delivery once SMTP is back")
    assert (sent.message_id, sent.last_error) == (expected, None)
    assert 1 <= sent.attempts < MAX_ATTEMPTS
    assert len(e2e.smtp.recorder.with_id(expected)) == 1
    assert dead_letters(e2e.engine) == []


def test_smtp_down_past_the_cap_is_dead_lettered_then_replayed(e2e: Stack) -> None:
    key, expected = _reminder(e2e, "Faculty exchange agreement")
    e2e.smtp.stop()

    dead = _row_when(e2e, key, lambda r: r.status == "dead", "the retry cap")
    assert dead.attempts == MAX_ATTEMPTS
    assert REFUSED in dead.last_error
    [letter] = dead_letters(e2e.engine)
    assert (letter.notification_id, letter.attempts, letter.replayed_at) == (
        dead.id,
        MAX_ATTEMPTS,
        None,
    )
    assert REFUSED in letter.error
    with UnitOfWork(e2e.engine) as uow:
        [listed] = deadletters.list_dead(uow)
    assert (listed.id, listed.kind, listed.notification_id) == (
        letter.id,
        "renewal_reminder",
        dead.id,
    )
    e2e.smtp.start()
    with UnitOfWork(e2e.engine) as uow:
        assert deadletters.replay(uow, letter.id) == dead.id
        uow.commit()
    sent = _row_when(e2e, key, lambda r: r.status == "sent", "delivery after the replay")
    assert (sent.attempts, sent.message_id) == (0, expected)
    assert len(e2e.smtp.recorder.with_id(expected)) == 1
    [replayed] = dead_letters(e2e.engine)
    assert replayed.replay_count == 1
    assert replayed.replayed_at is not None
    with UnitOfWork(e2e.engine) as uow:
        assert deadletters.list_dead(uow) == []
