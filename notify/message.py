"""One email: headers, text and HTML alternatives, and an optional calendar invitation.

Every value that reaches a header was checked where it entered Accord (workflow.validation); the
checks here are defence in depth, so a value that slipped past fails the build, never the send.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr
from typing import Any

from icalendar import Calendar

from notify.render import Rendered
from workflow.errors import InvalidInput
from workflow.validation import email_address, header_safe

# A domain-ish right-hand side: letters, digits, dots, hyphens (what a Message-ID may carry).
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, making each header class once and parsing a recurring
    header value once.

    `HeaderRegistry.__getitem__` builds a new class with `type()` for every header set or read,
    and most of a mail's headers recur from mail to mail: the sender, an agreement's recipients,
    and the parts' Content-Type, Content-Transfer-Encoding and MIME-Version. Header objects are
    immutable strings, so one parsed value serves every message. Together this takes about half
    off building a reminder.
    """

    KEEP = 1024  # recent (name, value) pairs; the unique ones (Subject, Date) just pass through

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}
        self._parsed: OrderedDict[tuple[str, str], BaseHeader] = OrderedDict()

    def map_to_type(self, name: str, cls: type[BaseHeader]) -> None:
        super().map_to_type(name, cls)
        self._made.clear()
        self._parsed.clear()

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made

    def __call__(self, name: str, value: Any) -> BaseHeader:
        if not isinstance(value, str):
            return super().__call__(name, value)
        key = (name, value)
        header = self._parsed.get(key)
        if header is None:
            header = self._parsed[key] = super().__call__(name, value)
            if len(self._parsed) > self.KEEP:
                self._parsed.popitem(last=False)
        else:
            self._parsed.move_to_end(key)
        return header


# SMTP with 7-bit bodies (quoted-printable/base64): any relay accepts them, 8BITMIME or not.
POLICY = policy.SMTP.clone(cte_type="7bit", header_factory=_HeaderClasses())


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


def envelope(msg: EmailMessage) -> tuple[str, list[str]]:
    """The SMTP envelope of a built message: the From address and every To, Cc and Bcc address.

    Read from the header objects the message already holds (parsed once, when it was built),
    so the send does not parse its own headers again as `send_message` would.
    """
    senders = _addresses(msg, "From")
    if len(senders) != 1:
        raise InvalidInput(f"a message needs exactly one From address, not {len(senders)}")
    recipients = [a for name in ("To", "Cc", "Bcc") for a in _addresses(msg, name)]
    if not recipients:
        raise InvalidInput("a message needs at least one recipient")
    return senders[0], recipients


def _addresses(msg: EmailMessage, name: str) -> list[str]:
    header = msg[name]
    if header is None:
        return []
    addresses = getattr(header, "addresses", None)
    if addresses is None:  # a message built under a policy that keeps headers as plain text
        return [addr for _, addr in getaddresses([str(header)])]
    return [a.addr_spec for a in addresses]
