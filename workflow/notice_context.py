"""What a notification's mail needs, re-read at send time, and whether it still applies.

A renewal reminder or an event notice is read in one statement (`fetch`): the row, its agreement,
the parties, the recipients' addresses, the offsets that apply and the event. The send is the
worker's hot path, so it pays one round trip for its data, not one per related row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, select

from models.tables import (
    Agreement,
    AgreementEvent,
    AgreementParty,
    Institution,
    Meeting,
    Notification,
    Partnership,
    Person,
    ReminderPolicy,
    Unit,
    table_of,
)
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


def _emails(*addresses: str | None) -> list[str]:
    return list(dict.fromkeys(a for a in addresses if a))  # de-duplicated, order kept


# A row of `fetch`: the notification's, agreement's, party's and event's columns by name.
NoticeRow = Row[*tuple[Any, ...]]

_N = table_of(Notification)
_A = table_of(Agreement)
_AP = table_of(AgreementParty)
_I = table_of(Institution)
_U = table_of(Unit)
_PS = table_of(Partnership)
_E = table_of(AgreementEvent)
_RP = table_of(ReminderPolicy)
_COORDINATOR = table_of(Person).alias("coordinator")
_PARTNER_CONTACT = table_of(Person).alias("partner_contact")

# The notification with everything an agreement's mail needs, in one round trip: one row per
# party (in signing order), the notification's and agreement's columns repeated on each. Meeting
# notifications come back as a single row with the agreement's columns empty.
_COLUMNS = (
    _N.c.id, _N.c.kind, _N.c.dedupe_key, _N.c.status, _N.c.payload, _N.c.agreement_id,
    _N.c.meeting_id,
    _A.c.slug, _A.c.title, _A.c.kind.label("agreement_kind"), _A.c.state, _A.c.expires_on,
    _A.c.signed_on, _A.c.term_no, _A.c.reminder_offsets,
    _RP.c.offsets.label("kind_offsets"),
    _COORDINATOR.c.email.label("coordinator_email"), _U.c.email.label("unit_email"),
    _PARTNER_CONTACT.c.email.label("partner_email"),
    _I.c.name.label("party_name"), func.coalesce(_I.c.short_name, _I.c.slug).label("party_key"),
    _E.c.trigger, _E.c.from_state, _E.c.to_state, _E.c.at, _E.c.actor, _E.c.comment,
)  # fmt: skip
_LOAD = (
    select(*_COLUMNS)
    .select_from(
        _N.outerjoin(_A, _A.c.id == _N.c.agreement_id)
        .outerjoin(_RP, _RP.c.kind == _A.c.kind)
        .outerjoin(_COORDINATOR, _COORDINATOR.c.id == _A.c.coordinator_id)
        .outerjoin(_U, _U.c.id == _A.c.owning_unit_id)
        .outerjoin(_PS, _PS.c.id == _A.c.partnership_id)
        .outerjoin(_PARTNER_CONTACT, _PARTNER_CONTACT.c.id == _PS.c.partner_contact_id)
        .outerjoin(_AP, _AP.c.agreement_id == _A.c.id)
        .outerjoin(_I, _I.c.id == _AP.c.institution_id)
        .outerjoin(_E, _E.c.id == _N.c.event_id)
    )
    .where(_N.c.id == bindparam("notification_id"))
    .order_by(_AP.c.position)
)
# PostgreSQL: lock the notification row only, so two copies of one task send it once.
_LOAD_LOCKED = _LOAD.with_for_update(of=_N)


def fetch(uow: UnitOfWork, notification_id: int, *, lock: bool) -> Sequence[NoticeRow]:
    """The notification's rows (one per party; empty when there is no such notification)."""
    query = _LOAD_LOCKED if lock else _LOAD
    return uow.conn.execute(query, {"notification_id": notification_id}).all()


def _agreement_info(rows: Sequence[NoticeRow]) -> AgreementInfo:
    a = rows[0]
    parties = [r for r in rows if r.party_name is not None]
    return AgreementInfo(
        id=a.agreement_id,
        slug=a.slug,
        title=a.title,
        kind=str(a.agreement_kind),
        state=str(a.state),
        parties=[p.party_name for p in parties],
        party_keys=[p.party_key for p in parties],
        expires_on=a.expires_on,
        signed_on=a.signed_on,
        term_no=a.term_no,
    )


def _agreement_recipients(row: NoticeRow) -> list[str]:
    return _emails(row.coordinator_email, row.partner_email, row.unit_email)


def _reminder_applies(row: NoticeRow, default_offsets: Sequence[int] | None) -> bool:
    """Whether a renewal reminder still fits the agreement: its stage, its term's expiry, and
    the offsets that apply now (the agreement's own, its kind's or the default may have changed
    since the row was made)."""
    expiry, days = row.dedupe_key.split(":")[2:4]
    if row.state not in REMINDED or row.expires_on is None or row.expires_on.isoformat() != expiry:
        return False
    if default_offsets is None:
        return True
    wanted = reminders.applicable_offsets(row.reminder_offsets, row.kind_offsets, default_offsets)
    return int(days) in wanted


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
    uow: UnitOfWork,
    rows: Sequence[NoticeRow],
    *,
    today: date,
    default_offsets: Sequence[int] | None = None,
) -> Delivery | None:
    """Build the Delivery from a notification's rows (see `fetch`), or None when it no longer
    applies. Agreement notices need nothing more from the database; meeting ones read on."""
    row = rows[0]
    base = {"notification_id": row.id, "kind": row.kind, "dedupe_key": row.dedupe_key}
    if row.kind == "renewal_reminder":
        if not _reminder_applies(row, default_offsets):
            return None
        return Delivery(
            **base,
            recipients=_agreement_recipients(row),
            today=today,
            agreement=_agreement_info(rows),
            payload=dict(row.payload or {}),
        )
    if row.kind == "event_notice":
        event = EventInfo(row.trigger, row.from_state, row.to_state, row.at, row.actor, row.comment)
        return Delivery(
            **base,
            recipients=_agreement_recipients(row),
            today=today,
            agreement=_agreement_info(rows),
            event=event,
        )
    return _meeting_delivery(uow, row, base, today)


def _meeting_delivery(
    uow: UnitOfWork, row: NoticeRow, base: dict[str, Any], today: date
) -> Delivery | None:
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
        recipients=_emails(*(c.email for c in contacts if c is not None)),
        today=today,
        meeting=_meeting_info(meeting),
        payload=payload,
    )
