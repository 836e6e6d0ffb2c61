"""The send-time read of a notification: one statement, the worker's hot path.

A renewal reminder or an event notice needs its row, its agreement, the parties in signing
order, the recipients' addresses, the reminder offsets in force and the event. `fetch` reads all
of it in one round trip instead of one query per related row; workflow.notices.context turns the
rows into a Delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, func, select

from models import (
    Agreement,
    AgreementEvent,
    AgreementParty,
    Institution,
    Notification,
    Partnership,
    Person,
    ReminderPolicy,
    Unit,
    table_of,
)
from workflow.uow import UnitOfWork

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
    _N.c.meeting_id, _N.c.due_on,
    _A.c.slug, _A.c.title, _A.c.kind.label("agreement_kind"), _A.c.state, _A.c.expires_on,
    _A.c.signed_on, _A.c.term_no, _A.c.reminder_offsets, _A.c.renewal_type, _A.c.notice_days,
    _A.c.effective_on, _A.c.review_months, _A.c.review_due_on, _A.c.summary,
    _RP.c.offsets.label("kind_offsets"),
    _COORDINATOR.c.email.label("coordinator_email"), _U.c.email.label("unit_email"),
    _PARTNER_CONTACT.c.email.label("partner_email"),
    _I.c.name.label("party_name"), func.coalesce(_I.c.short_name, _I.c.slug).label("party_key"),
    _E.c.trigger, _E.c.from_state, _E.c.to_state, _E.c.at, _E.c.recorded_at, _E.c.actor,
    _E.c.comment,
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
