"""One email: headers, text and HTML alternatives, and an optional calendar invitation.

Every value that reaches a header was checked where it entered Accord (workflow.validation); the
checks here are defence in depth, so a value that slipped past fails the build, never the send.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, getaddresses, parseaddr
from typing import Any

from icalendar import Calendar

from notify.render import Rendered
from workflow.errors import InvalidInput
from workflow.validation import email_address, header_safe

# A domain-ish right-hand side: letters, digits, dots, hyphens (what a Message-ID may carry).
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")


class _FoldedOnce:
    """Mixed into every header class: a header object remembers how it folded under the last
    policy it was written with. Folding re-walks the parse tree each time, and a reused header
    (see _HeaderClasses) is written into many messages under the same policy."""

    def fold(self, *, policy: Policy) -> str:
        memo: tuple[Policy, str] | None = self.__dict__.get("_folded")
        if memo is not None and memo[0] is policy:
            return memo[1]
        folded: str = super().fold(policy=policy)  # type: ignore[misc]
        self.__dict__["_folded"] = (policy, folded)
        return folded


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
            cls = self.registry.get(key, self.default_class)
            made = type("_" + cls.__name__, (_FoldedOnce, cls, self.base_class), {})
            self._made[key] = made
        return made

    def __call__(self, name: str, value: Any) -> BaseHeader:
        if not isinstance(value, str):
            return super().__call__(name, value)
        # No lock: each OrderedDict operation is atomic, and a thread that loses a race (its key
        # evicted meanwhile, or nothing left to evict) has its header either way.
        key = (name, value)
        header = self._parsed.get(key)
        if header is None:
            header = self._parsed[key] = super().__call__(name, value)
            while len(self._parsed) > self.KEEP:
                with suppress(KeyError):
                    self._parsed.popitem(last=False)
        else:
            with suppress(KeyError):
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


def _boundary(message_id: str, bodies: Sequence[str]) -> str:
    """The MIME boundary: drawn from the Message-ID, so a resend is laid out the same, and checked
    against the bodies with a plain search (the email package would otherwise draw a random one
    at every send and compile a regular expression to check it)."""
    digest = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:24]
    boundary, n = f"=_accord_{digest}", 0
    while any(f"--{boundary}" in body for body in bodies):
        n += 1
        boundary = f"=_accord_{digest}.{n}"
    return boundary


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
    msg.make_alternative()
    bodies = (rendered.text, rendered.html, ics.decode("utf-8") if ics is not None else "")
    boundary = _boundary(message_id, bodies)
    msg.replace_header("Content-Type", f'multipart/alternative; boundary="{boundary}"')
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


def wire_bytes(msg: EmailMessage) -> bytes:
    """The message as it goes over SMTP: CRLF line ends, without Bcc (which `send_message` would
    strip too). Flattened under the message's own policy when that already ends lines in CRLF,
    as POLICY does, so the header objects' remembered folding applies."""
    if "Bcc" in msg or "Resent-Bcc" in msg:
        msg = copy.copy(msg)
        del msg["Bcc"]
        del msg["Resent-Bcc"]
    wire = msg.policy if msg.policy.linesep == "\r\n" else msg.policy.clone(linesep="\r\n")
    return msg.as_bytes(policy=wire)
