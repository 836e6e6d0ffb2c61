"""SIGKILL the worker while the SMTP server holds its reply to DATA: the reminder still arrives,
at most once more, and only with the same Message-ID (DESIGN.md: the duplicate window is "SMTP
accepted, commit not yet done").
"""

from __future__ import annotations

from collections import Counter
from email.message import EmailMessage

from tests.e2e.conftest import Stack
from tests.e2e.services import wait_for
from tests.e2e.world import bodies, message_id, notification, people, signed

TITLE = "Double degree agreement"


def is_reminder(msg: EmailMessage) -> bool:
    """Only the renewal reminder is held: the signing and renewal-window notices go through."""
    return str(msg["Subject"]).strip().startswith("Renewal reminder:")


def test_a_worker_killed_mid_send_delivers_with_at_most_one_duplicate(e2e: Stack) -> None:
    recorder = e2e.smtp.recorder
    recorder.hold(is_reminder)  # before any sweep can find the reminder due
    beat = e2e.start_beat(wait=False)  # it imports while the test makes its data
    people(e2e.engine)
    agreement = signed(e2e.engine, TITLE, expires_in=30)
    expected = message_id(agreement.reminder_key, e2e.settings)
    beat.wait_ready()  # sweeps (and relays) every second from here on
    wait_for(lambda: recorder.holding == 1, 30, "the reminder's DATA held on the server",
             details=e2e.logs)  # fmt: skip
    assert [m["Message-ID"] for m in recorder.messages if is_reminder(m)] == [expected]
    # Mid-send: the server holds the message, the worker waits for the 250 inside the
    # transaction that would mark the row sent.
    e2e.kill_worker()
    row = notification(e2e.engine, agreement.reminder_key)
    assert (row.status, row.attempts, row.message_id) == ("pending", 0, None)

    e2e.start_worker()
    recorder.release()
    sent = wait_for(
        lambda: (r := notification(e2e.engine, agreement.reminder_key)).status == "sent" and r,
        30, "the reminder marked sent after the restart", details=e2e.logs,
    )  # fmt: skip
    assert (sent.message_id, sent.attempts) == (expected, 0)

    copies = recorder.with_id(expected)
    # The copy the killed worker handed over, and the resend after its lease ran out: the
    # one duplicate the design allows, on two connections, byte for byte the same mail.
    assert len(copies) == 2, f"{len(copies)} copies arrived"
    assert len({bodies(m) for m in copies}) == 1
    peers = {str(recorder.peers[recorder.messages.index(m)]) for m in copies}
    assert len(peers) == 2, "the resend came over the connection of the killed worker"
    assert {m["Message-ID"] for m in recorder.messages if is_reminder(m)} == {expected}
    others = Counter(m["Message-ID"] for m in recorder.messages if m["Message-ID"] != expected)
    assert all(n == 1 for n in others.values()), f"another mail was duplicated: {others}"
