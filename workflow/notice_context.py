"""What a notification's mail needs, re-read at send time, and whether it still applies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models.tables import Agreement, AgreementEvent, AgreementParty, Meeting, Partnership, Person
from workflow import reminders
from workflow.lifecycle import State
from workflow.uow import UnitOfWork

REMINDED = (State.ACTIVE, State.RENEWED, State.RENEWAL_DUE)


@dataclass(frozen=True)
class AgreementInfo:
    """The agreement as a mail names it."""

    id: int
    slug: str
    title: str
    kind: str
    state: str
    parties: list[str]
    party_keys: list[str]
    expires_on: date | None
    signed_on: date | None
    term_no: int


@dataclass(frozen=True)
class EventInfo:
    """One lifecycle event as a notice reports it."""

    trigger: str
    from_state: str | None
    to_state: str
    at: datetime
    actor: str
    comment: str | None


@dataclass(frozen=True)
class MeetingInfo:
    """A partnership meeting as an invitation describes it."""

    id: int
    uid: str
    sequence: int
    status: str
    title: str
    starts_at: datetime
    duration_minutes: int
    location: str | None
    partnership: str
    home: str
    partner: str


@dataclass(frozen=True)
class Delivery:
    """Everything needed to render and address one notification."""

    notification_id: int
    kind: str
    dedupe_key: str
    recipients: list[str]
    today: date
    agreement: AgreementInfo | None = None
    event: EventInfo | None = None
    meeting: MeetingInfo | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def days_left(self) -> int | None:
        """Days until the agreement lapses, as of the send day."""
        if self.agreement is None or self.agreement.expires_on is None:
            return None
        return (self.agreement.expires_on - self.today).days


def _emails(*people: Person | None, extra: list[str | None] | None = None) -> list[str]:
    found = [p.email for p in people if p is not None and p.email]
    found += [e for e in (extra or []) if e]
    return list(dict.fromkeys(found))  # de-duplicated, order kept


def _agreement(uow: UnitOfWork, agreement_id: int) -> Agreement:
    return uow.session.scalars(
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .options(selectinload(Agreement.parties).selectinload(AgreementParty.institution))
    ).one()


def _agreement_info(a: Agreement) -> AgreementInfo:
    return AgreementInfo(
        id=a.id,
        slug=a.slug,
        title=a.title,
        kind=str(a.kind),
        state=str(a.state),
        parties=[p.institution.name for p in a.parties],
        party_keys=[p.institution.short_name or p.institution.slug for p in a.parties],
        expires_on=a.expires_on,
        signed_on=a.signed_on,
        term_no=a.term_no,
    )


def _agreement_recipients(uow: UnitOfWork, a: Agreement) -> list[str]:
    partnership = uow.session.get(Partnership, a.partnership_id)
    partner_contact = (
        uow.session.get(Person, partnership.partner_contact_id)
        if partnership and partnership.partner_contact_id
        else None
    )
    unit_email = a.owning_unit.email if a.owning_unit else None
    return _emails(a.coordinator, partner_contact, extra=[unit_email])


def _meeting_info(m: Meeting) -> MeetingInfo:
    p = m.partnership
    return MeetingInfo(
        id=m.id,
        uid=m.uid,
        sequence=m.sequence,
        status=m.status,
        title=m.title,
        starts_at=m.starts_at,
        duration_minutes=m.duration_minutes,
        location=m.location,
        partnership=p.slug,
        home=p.home.name,
        partner=p.partner.name,
    )


def load_delivery(
    uow: UnitOfWork, row: Any, *, today: date, default_offsets: Sequence[int] | None = None
) -> Delivery | None:
    """Build the Delivery for a notification row, or None when it no longer applies."""
    base = {"notification_id": row.id, "kind": row.kind, "dedupe_key": row.dedupe_key}
    if row.kind == "renewal_reminder":
        a = _agreement(uow, row.agreement_id)
        expiry = row.dedupe_key.split(":")[2]
        if a.state not in REMINDED or a.expires_on is None or a.expires_on.isoformat() != expiry:
            return None
        if default_offsets is not None and not reminders.still_wanted(
            uow, row.dedupe_key, default_offsets
        ):
            return None  # its kind's or the agreement's offsets changed since it was made
        return Delivery(
            **base,
            recipients=_agreement_recipients(uow, a),
            today=today,
            agreement=_agreement_info(a),
            payload=dict(row.payload or {}),
        )
    if row.kind == "event_notice":
        a = _agreement(uow, row.agreement_id)
        e = uow.session.get(AgreementEvent, row.event_id)
        assert e is not None
        event = EventInfo(e.trigger, e.from_state, e.to_state, e.at, e.actor, e.comment)
        return Delivery(
            **base,
            recipients=_agreement_recipients(uow, a),
            today=today,
            agreement=_agreement_info(a),
            event=event,
        )
    meeting = uow.session.get(Meeting, row.meeting_id)
    if meeting is None:
        return None
    payload = dict(row.payload or {})
    if row.kind == "meeting_invitation" and (
        meeting.status != "scheduled" or payload.get("sequence") != meeting.sequence
    ):
        return None  # superseded by a later invitation or a cancellation
    if row.kind == "meeting_reminder" and (
        meeting.status != "scheduled" or payload.get("starts_at") != meeting.starts_at.isoformat()
    ):
        return None
    if row.kind == "meeting_cancellation" and meeting.status != "cancelled":
        return None
    partnership = meeting.partnership
    contacts = [
        uow.session.get(Person, pid) if pid else None
        for pid in (partnership.home_contact_id, partnership.partner_contact_id)
    ]
    return Delivery(
        **base,
        recipients=_emails(*contacts),
        today=today,
        meeting=_meeting_info(meeting),
        payload=payload,
    )
