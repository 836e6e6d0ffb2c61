"""notify.message: build a message, parse it back, and find every header and part in place."""

from __future__ import annotations

import copy
import io
from datetime import UTC, date, datetime
from email import policy
from email.generator import BytesGenerator
from email.headerregistry import AddressHeader, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import cast

import pytest
from icalendar import Calendar

from notify.contexts import MeetingContext, Party, ReminderContext
from notify.ics import Method, invitation
from notify.message import (
    POLICY,
    build_message,
    envelope,
    message_id_for,
    sender_domain,
    wire_bytes,
)
from notify.render import Rendered, render_meeting_invitation, render_reminder
from workflow.errors import InvalidInput

SENDER = "Accord <accord@uni-heidelberg.de>"
TO = ["Ann Müller <ann@uni-heidelberg.de>", "lan@hust.edu.vn"]
SENT = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)


def reminder_mail() -> Rendered:
    return render_reminder(
        ReminderContext(
            slug="hust-heidelberg-mou",
            title="HUST–Heidelberg MoU",
            parties=(Party("HUST", "HUST"), Party("Heidelberg University", "Heidelberg")),
            expires_on=date(2026, 3, 31),
            today=date(2026, 3, 1),
            state="active",
        )
    )


def reparse(msg: EmailMessage) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(msg.as_bytes())
    assert isinstance(parsed, EmailMessage)
    return parsed


def body(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    assert part.get_content_type() == f"text/{subtype}"
    content: str = part.get_content()
    return content


def test_reminder_message_round_trips_with_both_parts() -> None:
    key = "reminder:agreement=7:offset=30:due=2026-03-01"
    msg = build_message(
        reminder_mail(),
        sender=SENDER,
        to=TO,
        message_id=message_id_for(key, "uni-heidelberg.de"),
        date=SENT,
    )
    parsed = reparse(msg)
    assert parsed["From"] == SENDER
    assert [a.addr_spec for a in parsed["To"].addresses] == [
        "ann@uni-heidelberg.de",
        "lan@hust.edu.vn",
    ]
    assert parsed["To"].addresses[0].display_name == "Ann Müller"
    assert parsed["Subject"] == (
        "Renewal reminder: HUST–Heidelberg MoU expires in 30 days (2026-03-31)"
    )
    assert parsedate_to_datetime(parsed["Date"]) == SENT
    assert parsed["Message-ID"] == message_id_for(key, "uni-heidelberg.de")
    assert parsed.get_content_type() == "multipart/alternative"
    for text in (body(parsed, "plain"), body(parsed, "html")):
        assert "HUST–Heidelberg MoU" in text
        assert "HUST, Heidelberg University" in text
        assert "2026-03-31" in text
        assert "in 30 days" in text
        assert "accord agreements advance hust-heidelberg-mou renew --on" in text


def test_message_bytes_are_seven_bit_clean_with_crlf_lines() -> None:
    raw = build_message(
        reminder_mail(), sender=SENDER, to=TO, message_id="<a@b.example>"
    ).as_bytes()
    assert raw.isascii()
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_message_id_is_stable_per_key_and_differs_between_keys() -> None:
    first = message_id_for("reminder:7:30", "uni.example")
    assert first == message_id_for("reminder:7:30", "uni.example")
    assert first != message_id_for("reminder:7:90", "uni.example")
    assert first != message_id_for("reminder:7:30", "other.example")
    assert first.startswith("<")
    assert first.endswith("@uni.example>")
    assert " " not in message_id_for("key with spaces", "uni.example")


@pytest.mark.parametrize("domain", ["", "uni example", "a@b", "uni.example>\r\nBcc: x"])
def test_message_id_refuses_a_bad_domain(domain: str) -> None:
    with pytest.raises(InvalidInput, match="not a domain"):
        message_id_for("k", domain)


def test_sender_domain_reads_the_from_address() -> None:
    assert sender_domain("Accord <accord@uni-heidelberg.de>") == "uni-heidelberg.de"
    assert sender_domain("accord@localhost") == "localhost"


def meeting_message(method: Method, sequence: int) -> EmailMessage:
    ctx = MeetingContext("HUST – Heidelberg", "Annual meeting 2027", SENT, 90, "Heidelberg")
    ics = invitation(
        uid="m-2027@accord.example",
        sequence=sequence,
        method=method,
        start=ctx.starts_at,
        duration_minutes=ctx.duration_minutes,
        summary=ctx.title,
        description="Agenda",
        location=ctx.location,
        organizer=SENDER,
        attendees=TO,
        dtstamp=SENT,
    )
    mail = render_meeting_invitation(ctx)
    return build_message(mail, sender=SENDER, to=TO, message_id="<m@accord.example>", ics=ics)


@pytest.mark.parametrize(("method", "status"), [("REQUEST", "CONFIRMED"), ("CANCEL", "CANCELLED")])
def test_invitation_carries_the_ics_inline_and_as_attachment(method: Method, status: str) -> None:
    parsed = reparse(meeting_message(method, 3))
    assert parsed.get_content_type() == "multipart/mixed"
    types = [part.get_content_type() for part in parsed.walk()]
    assert types == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "text/calendar",
    ]
    calendars = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert [p.get_filename() for p in calendars] == [None, "invite.ics"]
    for part in calendars:
        assert part.get_param("method") == method
        calendar = Calendar.from_ical(part.get_content())
        assert calendar.method == method
        [event] = calendar.events
        assert (event.uid, event.sequence, event.status) == ("m-2027@accord.example", 3, status)
    assert "Annual meeting 2027" in body(parsed, "plain")


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("Subject", {"rendered": Rendered("Hi\r\nBcc: victim@evil.example", "t", "h")}),
        ("To", {"to": ["ann@uni.example\r\nBcc: victim@evil.example"]}),
        ("From", {"sender": "accord@uni.example\nBcc: victim@evil.example"}),
        ("Message-ID", {"message_id": "<a@b.example>\r\nBcc: victim@evil.example"}),
    ],
)
def test_a_line_break_in_any_header_value_is_refused_at_build(
    field: str, changes: dict[str, object]
) -> None:
    args: dict[str, object] = {
        "rendered": Rendered("Hello", "t", "h"),
        "sender": SENDER,
        "to": TO,
        "message_id": "<a@b.example>",
    }
    args.update(changes)
    rendered = args.pop("rendered")
    assert isinstance(rendered, Rendered)
    with pytest.raises(InvalidInput, match=f"^{field} must not contain line breaks"):
        build_message(rendered, **args)  # type: ignore[arg-type]


def test_no_recipient_and_a_malformed_message_id_are_refused() -> None:
    with pytest.raises(InvalidInput, match="at least one recipient"):
        build_message(reminder_mail(), sender=SENDER, to=[], message_id="<a@b.example>")
    with pytest.raises(InvalidInput, match="must look like <id@domain>"):
        build_message(reminder_mail(), sender=SENDER, to=TO, message_id="a@b.example")


def test_the_envelope_is_read_from_the_built_headers() -> None:
    msg = build_message(reminder_mail(), sender=SENDER, to=TO, message_id="<a@b.example>")
    assert envelope(msg) == (
        "accord@uni-heidelberg.de",
        ["ann@uni-heidelberg.de", "lan@hust.edu.vn"],
    )
    msg["Cc"] = "Cy <cy@hust.edu.vn>"
    msg["Bcc"] = "audit@uni-heidelberg.de"
    assert envelope(msg)[1][2:] == ["cy@hust.edu.vn", "audit@uni-heidelberg.de"]
    # A message kept as plain text (the compat32 policy) is parsed for its addresses instead.
    plain = EmailMessage(policy=policy.compat32)
    plain["From"], plain["To"] = SENDER, ", ".join(TO)
    assert envelope(plain) == envelope(build_message(
        reminder_mail(), sender=SENDER, to=TO, message_id="<a@b.example>"
    ))  # fmt: skip
    del plain["To"]
    with pytest.raises(InvalidInput, match="at least one recipient"):
        envelope(plain)
    del plain["From"]
    with pytest.raises(InvalidInput, match="exactly one From"):
        envelope(plain)


def test_header_classes_and_recurring_values_are_made_once() -> None:
    factory = copy.deepcopy(POLICY.header_factory)  # the shared policy's registry is untouched
    assert isinstance(factory, HeaderRegistry)
    assert factory["Subject"] is factory["subject"]  # the class: made once, reused
    assert factory["To"] is not factory["Subject"]
    to = factory("To", ", ".join(TO))
    assert factory("To", ", ".join(TO)) is to  # a recurring value: parsed once
    assert [a.addr_spec for a in cast(AddressHeader, to).addresses] == [
        "ann@uni-heidelberg.de",
        "lan@hust.edu.vn",
    ]
    assert factory("to", ", ".join(TO)).name == "to"  # the name is kept as given
    oldest = factory("Subject", "s0")
    assert factory("Subject", "s0") is oldest
    for n in range(1, type(factory).KEEP + 1):  # type: ignore[attr-defined]
        factory("Subject", f"s{n}")
    assert factory("Subject", "s0") is not oldest  # bounded: the oldest value went first
    assert factory("Subject", f"s{n}") is factory("Subject", f"s{n}")
    # Two messages built alike share header objects and still serialise to the same bytes.
    first, second = (
        build_message(reminder_mail(), sender=SENDER, to=TO, message_id="<a@b.example>", date=SENT)
        for _ in range(2)
    )
    assert first["To"] is second["To"]
    one, two = first.as_bytes(), second.as_bytes()  # the MIME boundaries are random
    b1, b2 = (str(m.get_boundary()).encode() for m in (first, second))
    assert one.replace(b1, b2) == two


def test_a_new_header_mapping_takes_effect_at_once() -> None:
    class Shouting(UnstructuredHeader):
        @classmethod
        def parse(cls, value: str, kwds: dict[str, object]) -> None:
            super().parse(value.upper(), kwds)

    factory = copy.deepcopy(POLICY.header_factory)
    assert isinstance(factory, HeaderRegistry)
    assert factory("Subject", "hello") == "hello"
    factory.map_to_type("subject", cast(type[BaseHeader], Shouting))  # a mixin, as registered
    assert factory("Subject", "hello") == "HELLO"
    assert POLICY.header_factory("Subject", "hello") == "hello"


def test_a_reused_header_folds_afresh_under_another_policy() -> None:
    subject = POLICY.header_factory("Subject", "Renewal reminder: " + "a long title " * 8)
    once = subject.fold(policy=POLICY)
    assert subject.fold(policy=POLICY) is once  # remembered for the policy it was written with
    narrow = POLICY.clone(max_line_length=40)
    folded = subject.fold(policy=narrow)
    assert folded != once
    assert all(len(line) <= 40 for line in folded.split("\r\n"))
    assert subject.fold(policy=POLICY) == once


def test_the_wire_bytes_are_what_send_message_would_send() -> None:
    msg = build_message(reminder_mail(), sender=SENDER, to=TO, message_id="<a@b.example>")
    msg["Bcc"] = "audit@uni-heidelberg.de"
    msg.set_boundary("fixed-boundary")  # else each flattening of a copy draws its own
    stripped = copy.copy(msg)
    del stripped["Bcc"]
    buffer = io.BytesIO()
    BytesGenerator(buffer).flatten(stripped, linesep="\r\n")  # as smtplib.send_message does
    wire = wire_bytes(msg)
    assert wire == buffer.getvalue()
    assert b"Bcc" not in wire
    assert b"\n" not in wire.replace(b"\r\n", b"")
    assert msg["Bcc"] == "audit@uni-heidelberg.de"  # the message itself keeps it


def test_the_boundary_follows_the_message_id_and_never_occurs_in_a_body() -> None:
    first, again = (
        build_message(reminder_mail(), sender=SENDER, to=TO, message_id="<a@b.example>")
        for _ in range(2)
    )
    boundary = first.get_boundary()
    assert boundary is not None
    assert boundary == again.get_boundary()  # a resend is laid out the same
    other = build_message(reminder_mail(), sender=SENDER, to=TO, message_id="<c@b.example>")
    assert other.get_boundary() != boundary
    # A body that happens to hold the boundary line gets another boundary, and parses whole.
    tricky = Rendered("Subject", f"text\n--{boundary}\nmore", "<p>html</p>")
    msg = build_message(tricky, sender=SENDER, to=TO, message_id="<a@b.example>")
    assert msg.get_boundary() not in (None, boundary)
    text, html = (reparse(msg).get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
    assert text is not None
    assert html is not None
    assert f"--{boundary}" in text.get_content()
    assert html.get_content().strip() == "<p>html</p>"
