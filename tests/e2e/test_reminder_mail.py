"""A due renewal reminder travels sweep → broker → worker → SMTP, and arrives complete."""

from __future__ import annotations

from markupsafe import escape

from notify.contexts import Party
from notify.render import renew_command
from tests.e2e.conftest import Stack
from tests.e2e.world import (
    COORDINATOR,
    PARTNER_CONTACT,
    UNIT,
    addresses,
    bodies,
    message_id,
    notification,
    people,
    signed,
)

TITLE = "Student exchange memorandum"


def test_a_due_renewal_reminder_arrives_by_smtp(e2e: Stack) -> None:
    people(e2e.engine)
    agreement = signed(e2e.engine, TITLE, expires_in=30)
    expected = message_id(agreement.reminder_key, e2e.settings)

    e2e.drive(lambda: e2e.smtp.recorder.with_id(expected), 30, "the 30-day renewal reminder")

    [msg] = e2e.smtp.recorder.with_id(expected)
    expires = agreement.expires_on.isoformat()
    assert msg["From"] == e2e.settings.mail_from
    assert addresses(msg) == {COORDINATOR, UNIT, PARTNER_CONTACT}
    # Python 3.11 folds a long Subject onto a continuation line: unfolded, it starts with a space.
    assert msg["Subject"].strip() == f"Renewal reminder: {TITLE} expires in 30 days ({expires})"
    assert msg["Auto-Submitted"] == "auto-generated"
    text, html = bodies(msg)
    parties = [Party("Home University", "HOME"), Party("Partner University", "PART")]
    command = renew_command(agreement.slug, parties)
    assert "--signatory HOME=NAME --signatory PART=NAME" in command
    for body, cmd in ((text, command), (html, str(escape(command)))):
        assert TITLE in body
        assert "Home University, Partner University" in body
        assert expires in body
        assert cmd in body
    assert "Days left:  30" in text
    assert '<th align="left">Days left</th><td>30</td>' in html

    row = notification(e2e.engine, agreement.reminder_key)
    assert (row.status, row.message_id, row.attempts) == ("sent", expected, 0)
