"""One email: headers, text and HTML alternatives, and an optional calendar invitation.

Every value that reaches a header was checked where it entered Accord (workflow.validation); the
checks here are defence in depth, so a value that slipped past fails the build, never the send.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from icalendar import Calendar

from notify.render import Rendered
from workflow.errors import InvalidInput
from workflow.validation import email_address, header_safe

# A domain-ish right-hand side: letters, digits, dots, hyphens (what a Message-ID may carry).
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")
# SMTP with 7-bit bodies (quoted-printable/base64): any relay accepts them, 8BITMIME or not.
POLICY = policy.SMTP.clone(cte_type="7bit")


def message_id_for(key: str, domain: str) -> str:
    """A Message-ID derived from a stable key, so every resend of one notification carries it."""
    if not key:
        raise InvalidInput("a Message-ID needs a non-empty key")
    if not _DOMAIN.fullmatch(domain):
        raise InvalidInput(f"{domain!r} is not a domain for a Message-ID")
    # Hashed, not embedded: the key may hold spaces or ids we would rather not publish.
    # 128 bits is plenty, and short enough that the header is not folded onto a second line.
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def sender_domain(sender: str) -> str:
    """The domain of a From address (`Accord <accord@uni.example>` gives `uni.example`)."""
    _, addr = parseaddr(email_address(sender, "mail_from"))
    return addr.rpartition("@")[2]


def _calendar_method(ics: bytes) -> str:
    # Read back from the invitation itself, so the MIME parameter cannot disagree with it.
    method = str(Calendar.from_ical(ics).get("METHOD", ""))
    if method not in ("REQUEST", "CANCEL"):
        raise InvalidInput(f"the invitation's METHOD must be REQUEST or CANCEL, not {method!r}")
    return method


def build_message(
    rendered: Rendered,
    *,
    sender: str,
    to: Sequence[str],
    message_id: str,
    date: datetime | None = None,
    ics: bytes | None = None,
) -> EmailMessage:
    """The message to send: From, To, Subject, Date, Message-ID, text + HTML, optional .ics."""
    if not to:
        raise InvalidInput("a message needs at least one recipient")
    if not _MESSAGE_ID.fullmatch(header_safe(message_id, "Message-ID")):
        raise InvalidInput(f"Message-ID {message_id!r} must look like <id@domain>")
    sent = date or datetime.now(UTC)
    if sent.tzinfo is None:
        raise InvalidInput("date must be timezone-aware, not naive")

    msg = EmailMessage(policy=POLICY)
    msg["From"] = email_address(sender, "From")
    msg["To"] = ", ".join(email_address(address, "To") for address in to)
    msg["Subject"] = header_safe(rendered.subject, "Subject")
    msg["Date"] = format_datetime(sent.astimezone(UTC))
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders stay quiet
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    if ics is not None:
        method = _calendar_method(ics)
        text = ics.decode("utf-8")
        # Inline as a third alternative, which is how calendar clients find the invitation,
        # and as a file, for clients that only show attachments.
        msg.add_alternative(text, subtype="calendar", params={"method": method})
        msg.add_attachment(
            text, subtype="calendar", filename="invite.ics", params={"method": method}
        )
    return msg
