"""Test data for the end-to-end tests, made through the real use cases, and mail readers.

Dates are relative to the real UTC today: the worker's sweep asks the clock, not the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from icalendar import Calendar
from sqlalchemy import Engine, select

from models import DeadLetter, Institution, Notification, OutboxMessage, Partnership, Person, Unit
from notify.message import message_id_for, sender_domain
from tests.factories import SIGNATORIES, TO_ACTIVE, institutions
from workflow.agreements.moves import advance
from workflow.agreements.proposals import Proposal, propose
from workflow.notices.reminders import reminder_key
from workflow.settings import Settings
from workflow.uow import UnitOfWork

COORDINATOR = "coordinator@home.example"
UNIT = "intl-office@home.example"
HOME_CONTACT = "home.contact@home.example"
PARTNER_CONTACT = "partner.contact@partner.example"


def today() -> date:
    """The day the worker's sweep will call today."""
    return datetime.now(UTC).date()


def people(engine: Engine) -> None:
    """Home and partner, an office with a mailbox, a coordinator, and a contact on each side."""
    institutions(engine)
    with UnitOfWork(engine) as uow:
        home, partner = (
            uow.session.scalars(select(Institution).where(Institution.slug == slug)).one()
            for slug in ("home", "partner")
        )
        office = Unit(slug="intl", institution_id=home.id, name="International Office",
                      kind="office", email=UNIT)  # fmt: skip
        humans = [
            Person(slug=slug, name=name, institution_id=inst.id, email=email)
            for slug, name, inst, email in (
                ("coordinator", "Cora Ordinator", home, COORDINATOR),
                ("home-contact", "Hana Home", home, HOME_CONTACT),
                ("partner-contact", "Pia Partner", partner, PARTNER_CONTACT),
            )
        ]
        uow.session.add_all([office, *humans])
        uow.session.flush()
        uow.session.add(
            Partnership(
                slug="home-part", home_id=home.id, partner_id=partner.id,
                home_contact_id=humans[1].id, partner_contact_id=humans[2].id,
            )
        )  # fmt: skip
        uow.commit()


@dataclass(frozen=True)
class Signed:
    """An agreement in force, and the key of its reminder due today."""

    slug: str
    agreement_id: int
    expires_on: date
    sign_event_id: int
    reminder_key: str


START_DAYS_AGO = 400  # proposed then; reviewed, approved, sent out 10, 20, 30 days later


def awaiting_signature(engine: Engine, title: str) -> str:
    """Propose, review, approve and send out an agreement; returns its slug."""
    day = today()
    start = day - timedelta(days=START_DAYS_AGO)
    with UnitOfWork(engine) as uow:
        agreement = propose(
            uow,
            Proposal(home="home", partner="partner", kind="mou", title=title, proposed_on=start,
                     actor="e2e", today=day, unit="intl", coordinator="coordinator"),
        )  # fmt: skip
        uow.commit()
        slug = agreement.slug
    for n, (trigger, _) in enumerate(TO_ACTIVE, start=1):
        on = start + timedelta(days=10 * n)
        advance(UnitOfWork(engine), slug, trigger, actor="e2e", today=day, on=on)
    return slug


def sign(engine: Engine, slug: str, *, expires_in: int = 30) -> Signed:
    """Sign it (dated 40 days after the proposal) for a term ending `expires_in` days ahead."""
    day = today()
    expires = day + timedelta(days=expires_in)
    move = advance(
        UnitOfWork(engine), slug, "sign", actor="e2e", today=day,
        on=day - timedelta(days=START_DAYS_AGO - 40), until=expires, signatories=SIGNATORIES,
    )  # fmt: skip
    key = reminder_key(move.agreement_id, expires, expires_in)
    return Signed(slug, move.agreement_id, expires, move.event_id, key)


def signed(engine: Engine, title: str, *, expires_in: int = 30) -> Signed:
    """An agreement in force whose term ends `expires_in` days ahead, made move by move."""
    return sign(engine, awaiting_signature(engine, title), expires_in=expires_in)


def message_id(key: str, settings: Settings) -> str:
    """The Message-ID Accord gives the notification with this dedupe key."""
    return message_id_for(key, sender_domain(settings.mail_from))


def notification(engine: Engine, key: str) -> Any:
    """The notification row with this dedupe key (None before it exists)."""
    with engine.connect() as conn:
        table = Notification.__table__
        return conn.execute(select(table).where(table.c.dedupe_key == key)).first()


def dead_letters(engine: Engine) -> list[Any]:
    """Every dead-letter row."""
    with engine.connect() as conn:
        return list(conn.execute(select(DeadLetter.__table__)).all())


def outbox_rows(engine: Engine) -> list[Any]:
    """Every outbox row, oldest first."""
    with engine.connect() as conn:
        table = OutboxMessage.__table__
        return list(conn.execute(select(table).order_by(table.c.id)).all())


def bodies(msg: EmailMessage) -> tuple[str, str]:
    """The text and the HTML part of a message (both must be there)."""
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert plain is not None, f"no text part in {msg['Subject']!r}"
    assert html is not None, f"no HTML part in {msg['Subject']!r}"
    return plain.get_content(), html.get_content()


def calendar(msg: EmailMessage) -> Calendar:
    """The invitation attached as invite.ics."""
    attached = [p for p in msg.iter_attachments() if p.get_filename() == "invite.ics"]
    assert len(attached) == 1, f"expected one invite.ics in {msg['Subject']!r}"
    return Calendar.from_ical(attached[0].get_content())


def addresses(msg: EmailMessage) -> set[str]:
    """The To header's addresses."""
    return {a.addr_spec for a in msg["To"].addresses}
