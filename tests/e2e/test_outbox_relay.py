"""A move's outbox row travels relay → broker → handle_outbox, and its notice is mailed.

The relay and the sweep are sent by name through the broker every half second, as beat sends them
(tests/e2e/test_worker_killed.py runs a real beat).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from models import Notification
from notify.when import longdate
from tests.e2e.conftest import Stack
from tests.e2e.services import wait_for
from tests.e2e.world import (
    COORDINATOR,
    PARTNER_CONTACT,
    START_DAYS_AGO,
    UNIT,
    addresses,
    bodies,
    message_id,
    notification,
    outbox_rows,
    people,
    signed,
    today,
)

TITLE = "Joint research memorandum"
RELAY = ("accord.relay", "accord.sweep")


def test_a_signing_reaches_its_handler_through_the_relay_and_mails_a_notice(e2e: Stack) -> None:
    people(e2e.engine)
    agreement = signed(e2e.engine, TITLE, expires_in=3 * 365)  # no reminder due yet
    key = f"event_notice:{agreement.sign_event_id}"
    expected = message_id(key, e2e.settings)

    e2e.drive(lambda: e2e.smtp.recorder.with_id(expected), 30, "the signing notice", RELAY)

    [msg] = e2e.smtp.recorder.with_id(expected)
    assert msg["Subject"].strip() == f"{TITLE}: signed"
    assert addresses(msg) == {COORDINATOR, UNIT, PARTNER_CONTACT}
    text, html = bodies(msg)
    signed_on, ends = today() - timedelta(days=START_DAYS_AGO - 40), agreement.expires_on
    assert (
        f'"{TITLE}" was signed on {longdate(signed_on)}. It is in force until {longdate(ends)}'
        in text
    )
    # Entered today for a signing months ago: the notice says why it comes late.
    assert (
        f"this notice is late because it was recorded only on {longdate(today())}, by e2e." in text
    )
    assert f"End date:   {longdate(ends)}" in text
    assert "Trigger" not in text
    assert TITLE in html
    assert notification(e2e.engine, key).status == "sent"

    # Every move's row went out once; the signing's handler scheduled the new term's reminders.
    def dispatched() -> list[Any]:
        rows = outbox_rows(e2e.engine)
        return rows if all(r.dispatched_at for r in rows) else []

    rows = wait_for(dispatched, 15, "every outbox row dispatched", details=e2e.logs)
    assert [r.topic for r in rows] == [
        "agreement.propose",
        "agreement.review",
        "agreement.approve",
        "agreement.send_for_signature",
        "agreement.sign",
    ]
    assert all(r.attempts == 0 for r in rows)
    table = Notification.__table__
    with e2e.engine.connect() as conn:
        reminders = conn.execute(
            select(table.c.dedupe_key, table.c.status).where(table.c.kind == "renewal_reminder")
        ).all()
    offsets = sorted(int(k.rsplit(":", 1)[1]) for k, _ in reminders)
    assert offsets == [7, 30, 90, 180]
    assert {status for _, status in reminders} == {"pending"}
