"""Test data built through the real use cases, never by writing state columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from models import (
    Agreement,
    AgreementEvent,
    AgreementTerm,
    Institution,
    InstitutionKind,
    OutboxMessage,
)
from workflow.agreements.moves import SignatoryInput, advance
from workflow.agreements.proposals import Proposal, propose
from workflow.uow import UnitOfWork

TODAY = date(2026, 11, 22)
ROOT = Path(__file__).resolve().parents[1]
PROPOSED = date(2021, 1, 4)
SIGNED = date(2021, 6, 1)
SIGNATORIES = {"home": SignatoryInput("Home President"), "partner": SignatoryInput("Partner Head")}

# The moves from proposal to signature, each dated, in order.
TO_ACTIVE = [
    ("review", date(2021, 2, 1)),
    ("approve", date(2021, 3, 1)),
    ("send_for_signature", date(2021, 4, 1)),
]


def institutions(engine: Engine) -> None:
    """Two universities, `home` and `partner`."""
    with UnitOfWork(engine) as uow:
        uow.session.add_all(
            [
                Institution(
                    slug="home",
                    name="Home University",
                    short_name="HOME",
                    kind=InstitutionKind.UNIVERSITY,
                    country="CN",
                ),
                Institution(
                    slug="partner",
                    name="Partner University",
                    short_name="PART",
                    kind=InstitutionKind.UNIVERSITY,
                    country="DE",
                ),
            ]
        )
        uow.commit()


def proposed(engine: Engine, title: str = "Test memorandum", term_months: int = 60) -> str:
    """A new agreement in `proposed`; returns its slug."""
    with UnitOfWork(engine) as uow:
        agreement = propose(
            uow,
            Proposal(
                home="home",
                partner="partner",
                kind="mou",
                title=title,
                proposed_on=PROPOSED,
                actor="tester",
                today=TODAY,
                term_months=term_months,
            ),
        )
        uow.commit()
        return agreement.slug


def active(engine: Engine, title: str = "Test memorandum", signed: date = SIGNED) -> str:
    """An agreement signed on `signed` (in force for 60 months); returns its slug."""
    slug = proposed(engine, title)
    for trigger, on in TO_ACTIVE:
        advance(UnitOfWork(engine), slug, trigger, actor="tester", today=TODAY, on=on)
    advance(
        UnitOfWork(engine),
        slug,
        "sign",
        actor="tester",
        today=TODAY,
        on=signed,
        signatories=SIGNATORIES,
    )
    return slug


def outsider(engine: Engine) -> None:
    """A third university, `outsider`, that is party to no agreement."""
    with UnitOfWork(engine) as uow:
        uow.session.add(
            Institution(
                slug="outsider",
                name="Outsider Institute",
                short_name="OUT",
                kind=InstitutionKind.UNIVERSITY,
                country="FR",
            )
        )
        uow.commit()


@dataclass(frozen=True)
class Snapshot:
    """Everything a move may write for one agreement, to compare before and after."""

    state: str
    version: int
    expires_on: date | None
    renewal_opens_on: date | None
    # (seq, trigger, from_state, to_state, actor, at)
    events: tuple[tuple[int, str, str | None, str, str, datetime], ...]
    # (event_id, topic)
    outbox: tuple[tuple[int | None, str], ...]
    # (term number, signed_on, expires_on, signatory names)
    terms: tuple[tuple[int, date, date | None, tuple[str, ...]], ...]


def snapshot(engine: Engine, slug: str) -> Snapshot:
    """The agreement's row, events, outbox rows and terms as they are committed now."""
    with UnitOfWork(engine) as uow:
        agreement = uow.session.scalars(select(Agreement).where(Agreement.slug == slug)).one()
        events = uow.session.scalars(
            select(AgreementEvent)
            .where(AgreementEvent.agreement_id == agreement.id)
            .order_by(AgreementEvent.seq)
        ).all()
        outbox = uow.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.agreement_id == agreement.id)
            .order_by(OutboxMessage.id)
        ).all()
        terms = uow.session.scalars(
            select(AgreementTerm)
            .where(AgreementTerm.agreement_id == agreement.id)
            .order_by(AgreementTerm.number)
        ).all()
        return Snapshot(
            state=str(agreement.state),
            version=agreement.version,
            expires_on=agreement.expires_on,
            renewal_opens_on=agreement.renewal_opens_on,
            events=tuple(
                (e.seq, e.trigger, e.from_state, e.to_state, e.actor, e.at) for e in events
            ),
            outbox=tuple((o.event_id, o.topic) for o in outbox),
            terms=tuple(
                (t.number, t.signed_on, t.expires_on, tuple(s.name for s in t.signatories))
                for t in terms
            ),
        )


# --- Reminders, meetings and mail: contacts, per-agreement settings, notification rows. ---

COORDINATOR_EMAIL = "coord@home.example"
UNIT_EMAIL = "intl@home.example"
PARTNER_EMAIL = "contact@partner.example"
MAIL_FROM = "Accord <accord@accord.example>"


def contacts(engine: Engine) -> None:
    """The home unit `intl-office` and people `coord` (home) and `partner-contact`, with emails."""
    from models import Person, Unit

    with UnitOfWork(engine) as uow:
        home, partner = (
            uow.session.scalars(select(Institution).where(Institution.slug == slug)).one()
            for slug in ("home", "partner")
        )
        uow.session.add_all(
            [
                Unit(
                    slug="intl-office",
                    institution_id=home.id,
                    name="International Office",
                    kind="office",
                    email=UNIT_EMAIL,
                ),
                Person(
                    slug="coord", name="Cora Ord", institution_id=home.id, email=COORDINATOR_EMAIL
                ),
                Person(
                    slug="partner-contact",
                    name="Pat Ner",
                    institution_id=partner.id,
                    email=PARTNER_EMAIL,
                ),
            ]
        )
        uow.commit()


def agreement(
    engine: Engine,
    title: str,
    *,
    expires: date | None,
    kind: str = "mou",
    coordinator: str | None = "coord",
    unit: str | None = "intl-office",
    renewal_type: str = "fixed",
    notice_days: int | None = None,
    review_months: int | None = None,
) -> str:
    """An agreement proposed with a coordinator and unit, signed on SIGNED until `expires`.

    `expires=None` leaves it in `proposed`, except an `open_ended` one (set on the row before
    signing, with `notice_days` and `review_months`), which is signed without an end date.
    Returns its slug. Every move goes through the real use cases, in one transaction: the tests
    build many agreements.
    """
    from workflow.agreements.moves import apply_move
    from workflow.lifecycle import RenewalType

    with UnitOfWork(engine) as uow:
        slug = propose(
            uow,
            Proposal(
                home="home",
                partner="partner",
                kind=kind,
                title=title,
                proposed_on=PROPOSED,
                actor="tester",
                today=TODAY,
                unit=unit,
                coordinator=coordinator,
            ),
        ).slug
        uow.session.flush()
        row = uow.session.scalars(select(Agreement).where(Agreement.slug == slug)).one()
        row.renewal_type = RenewalType(renewal_type)
        row.notice_days = notice_days
        row.review_months = review_months
        uow.session.flush()
        if expires is not None or renewal_type == RenewalType.OPEN_ENDED:
            for trigger, on in TO_ACTIVE:
                apply_move(uow, slug, trigger, actor="tester", today=TODAY, on=on)
            apply_move(
                uow,
                slug,
                "sign",
                actor="tester",
                today=TODAY,
                on=SIGNED,
                until=expires,
                signatories=SIGNATORIES,
            )
        uow.commit()
    return slug


def agreement_id(engine: Engine, slug: str) -> int:
    """The numeric id of the agreement `slug`."""
    with UnitOfWork(engine) as uow:
        return int(uow.session.scalars(select(Agreement.id).where(Agreement.slug == slug)).one())


def set_reminder_offsets(engine: Engine, slug: str, offsets: list[int] | None) -> None:
    """Give one agreement its own reminder offsets (a setting, not a lifecycle column)."""
    with UnitOfWork(engine) as uow:
        row = uow.session.scalars(select(Agreement).where(Agreement.slug == slug)).one()
        row.reminder_offsets = offsets
        uow.commit()


def set_policy(engine: Engine, kind: str, offsets: list[int]) -> None:
    """The reminder offsets of every agreement of `kind` without offsets of its own."""
    from models import AgreementKind, ReminderPolicy

    with UnitOfWork(engine) as uow:
        uow.session.merge(ReminderPolicy(kind=AgreementKind(kind), offsets=offsets))
        uow.commit()


def meeting_partnership(
    engine: Engine, month: int | None = 1, *, with_contacts: bool = True
) -> int:
    """The home–partner partnership, meeting annually in `month`; returns its id."""
    from models import Partnership, Person

    with UnitOfWork(engine) as uow:
        home, partner = (
            uow.session.scalars(select(Institution).where(Institution.slug == slug)).one()
            for slug in ("home", "partner")
        )
        found = uow.session.scalars(
            select(Partnership).where(
                Partnership.home_id == home.id, Partnership.partner_id == partner.id
            )
        ).first()
        p = found or Partnership(slug="home-part", home_id=home.id, partner_id=partner.id)
        p.meeting_cadence, p.meeting_month = ("annual", month) if month else (None, None)
        if with_contacts:
            people = {
                person.slug: person.id for person in uow.session.scalars(select(Person)).all()
            }
            p.home_contact_id = people["coord"]
            p.partner_contact_id = people["partner-contact"]
        uow.session.add(p)
        uow.session.flush()
        partnership_id = p.id
        uow.commit()
        return partnership_id


@dataclass(frozen=True)
class Note:
    """One notification row as tests compare it."""

    id: int
    kind: str
    dedupe_key: str
    agreement_id: int | None
    meeting_id: int | None
    due_on: date
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    message_id: str | None
    payload: dict[str, object]


def notes(engine: Engine, kind: str | None = None) -> list[Note]:
    """The notification rows as committed now, by id (optionally of one kind)."""
    from models import Notification

    with UnitOfWork(engine) as uow:
        query = select(Notification).order_by(Notification.id)
        if kind is not None:
            query = query.where(Notification.kind == kind)
        return [
            Note(
                n.id,
                n.kind,
                n.dedupe_key,
                n.agreement_id,
                n.meeting_id,
                n.due_on,
                n.status,
                n.attempts,
                n.next_attempt_at,
                n.last_error,
                n.message_id,
                dict(n.payload),
            )
            for n in uow.session.scalars(query).all()
        ]


def last_event_id(engine: Engine, slug: str, trigger: str) -> int:
    """The id of the agreement's latest event of `trigger`."""
    with UnitOfWork(engine) as uow:
        return int(
            uow.session.scalars(
                select(AgreementEvent.id)
                .join(Agreement, Agreement.id == AgreementEvent.agreement_id)
                .where(Agreement.slug == slug, AgreementEvent.trigger == trigger)
                .order_by(AgreementEvent.seq.desc())
                .limit(1)
            ).one()
        )
