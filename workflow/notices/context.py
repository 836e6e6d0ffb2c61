"""What a notification's mail needs, re-read at send time, and whether it still applies.

The rows come from workflow.notices.query.fetch (one statement); meeting notices read on here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from models import Meeting, Person
from workflow.lifecycle import RenewalType, notice_deadline
from workflow.notices import follow_ups, reminders
from workflow.notices.follow_ups import FollowUpInfo
from workflow.notices.query import NoticeRow
from workflow.notices.reminder_rules import REMINDED, REVIEW_KIND, parse_key
from workflow.uow import UnitOfWork


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
    renewal_type: str = RenewalType.FIXED
    notice_days: int | None = None
    effective_on: date | None = None
    # Open-ended agreements: months between reviews and the next review's day.
    review_months: int | None = None
    review_due_on: date | None = None
    summary: str | None = None

    @property
    def notice_deadline(self) -> date | None:
        """An auto-renewing agreement's last day to give notice (None for the other types)."""
        if self.renewal_type != RenewalType.AUTO:
            return None
        return notice_deadline(self.expires_on, self.notice_days)


@dataclass(frozen=True)
class EventInfo:
    """One lifecycle event as a notice reports it."""

    trigger: str
    from_state: str | None
    to_state: str
    at: datetime
    recorded_at: datetime
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
    # (short name, city, IANA time zone) of each side that has a zone, home first.
    zones: tuple[tuple[str, str | None, str], ...] = ()


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
    follow_up: FollowUpInfo | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def days_left(self) -> int | None:
        """Days until the agreement lapses, as of the send day."""
        if self.agreement is None or self.agreement.expires_on is None:
            return None
        return (self.agreement.expires_on - self.today).days


def _emails(*addresses: str | None) -> list[str]:
    return list(dict.fromkeys(a for a in addresses if a))  # de-duplicated, order kept


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
        renewal_type=str(a.renewal_type),
        notice_days=a.notice_days,
        effective_on=a.effective_on,
        review_months=a.review_months,
        review_due_on=a.review_due_on,
        summary=a.summary,
    )


def _agreement_recipients(row: NoticeRow) -> list[str]:
    return _emails(row.coordinator_email, row.partner_email, row.unit_email)


def _reminder_applies(row: NoticeRow, default_offsets: Sequence[int] | None) -> bool:
    """Whether a renewal reminder still fits the agreement: its stage, its term's expiry, its
    renewal type (and for an auto-renewing one, its notice deadline), and the offsets that apply
    now (the agreement's own, its kind's or the default may have changed since the row was
    made)."""
    expiry, days, deadline = parse_key(row.dedupe_key)
    if row.state not in REMINDED or row.expires_on != expiry:
        return False
    if row.renewal_type == RenewalType.AUTO:
        if deadline is None or deadline != notice_deadline(row.expires_on, row.notice_days):
            return False
    elif row.renewal_type != RenewalType.FIXED or deadline is not None:
        return False
    if default_offsets is None:
        return True
    wanted = reminders.applicable_offsets(row.reminder_offsets, row.kind_offsets, default_offsets)
    return int(days) in wanted


def _meeting_info(m: Meeting) -> MeetingInfo:
    p = m.partnership
    sides = (p.home, p.partner)
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
        zones=tuple((i.label, i.city, i.time_zone) for i in sides if i.time_zone),
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
    if row.kind == REVIEW_KIND:
        # Still open-ended and in force (its next review day has already rolled on).
        if row.renewal_type != RenewalType.OPEN_ENDED or row.state not in REMINDED:
            return None
        return Delivery(
            **base,
            recipients=_agreement_recipients(row),
            today=today,
            agreement=_agreement_info(rows),
            payload={"due_on": row.due_on.isoformat()},
        )
    if row.kind == "event_notice":
        event = EventInfo(
            row.trigger, row.from_state, row.to_state, row.at, row.recorded_at, row.actor,
            row.comment,
        )  # fmt: skip
        return Delivery(
            **base,
            recipients=_agreement_recipients(row),
            today=today,
            agreement=_agreement_info(rows),
            event=event,
        )
    if row.kind == follow_ups.KIND:
        info = follow_ups.load_open(uow, int((row.payload or {})["follow_up_id"]))
        if info is None:  # done meanwhile
            return None
        recipients = _emails(info.owner_email)
        agreement = _agreement_info(rows)
        return Delivery(
            **base, recipients=recipients, today=today, agreement=agreement, follow_up=info
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
