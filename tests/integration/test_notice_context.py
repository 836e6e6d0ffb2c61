"""The send-time read of a notification (one statement), on both databases: what a mail names,
whom it goes to, and whether a reminder still applies under the offsets in force now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from models import AgreementParty, Notification, table_of
from notify.backends import FileMailer
from tasks.delivering import deliver
from tests import factories
from tests.factories import COORDINATOR_EMAIL, MAIL_FROM, PARTNER_EMAIL, UNIT_EMAIL, notes
from workflow.notices import delivery, reminders
from workflow.notices.context import Delivery
from workflow.settings import Settings
from workflow.uow import UnitOfWork

EXPIRES = date(2027, 6, 1)
DAY = EXPIRES - timedelta(days=180)
NOW = datetime(2026, 12, 3, 8, tzinfo=UTC)
DEFAULT = [180, 90, 30, 7]


def world(engine: Engine) -> tuple[str, int]:
    """One signed mou with a coordinator, a unit mailbox and a partner contact; slug and id."""
    factories.institutions(engine)
    factories.contacts(engine)
    slug = factories.agreement(engine, "Exchange", expires=EXPIRES)
    factories.meeting_partnership(engine, month=None)  # sets the partnership's contacts
    return slug, factories.agreement_id(engine, slug)


def reminder_180(engine: Engine, agreement_id: int) -> int:
    """The agreement's 180-day reminder (scheduled with the default offsets); its id."""
    with UnitOfWork(engine) as uow:
        reminders.replan(
            uow, today=DAY, default_offsets=DEFAULT, agreement_id=agreement_id, now=NOW
        )
        uow.commit()
    return next(n.id for n in notes(engine) if n.dedupe_key.endswith(":180"))


def begin(engine: Engine, notification_id: int) -> Delivery | None:
    with UnitOfWork(engine) as uow:
        return delivery.begin(uow, notification_id, today=DAY, default_offsets=DEFAULT)


def test_a_reminder_names_the_parties_in_signing_order_and_reaches_every_contact(
    engine: Engine,
) -> None:
    _, agreement_id = world(engine)
    note = reminder_180(engine, agreement_id)
    parties = table_of(AgreementParty)
    with UnitOfWork(engine) as uow:  # put the partner first: the order is `position`, not id
        uow.conn.execute(
            update(parties)
            .where(parties.c.agreement_id == agreement_id)
            .values(position=1 - parties.c.position)
        )
        uow.commit()
    d = begin(engine, note)
    assert d is not None
    assert d.agreement is not None
    assert d.agreement.parties == ["Partner University", "Home University"]
    assert d.agreement.party_keys == ["PART", "HOME"]
    assert d.recipients == [COORDINATOR_EMAIL, PARTNER_EMAIL, UNIT_EMAIL]
    assert (d.agreement.expires_on, d.agreement.state, d.days_left) == (EXPIRES, "active", 180)


@pytest.mark.parametrize(
    ("own", "kind", "outcome"),
    [
        (None, None, "sent"),  # the default holds 180
        (None, [90, 30], "skipped"),  # the kind's policy dropped it
        ([180], [90, 30], "sent"),  # the agreement's own offsets win over its kind's
        ([90], [180, 90], "skipped"),  # ... also when they drop a day the kind keeps
    ],
)
def test_a_reminder_is_sent_only_while_its_day_is_among_the_offsets_in_force(
    engine: Engine, tmp_path: Path, own: list[int] | None, kind: list[int] | None, outcome: str
) -> None:
    slug, agreement_id = world(engine)
    note = reminder_180(engine, agreement_id)
    if kind is not None:
        factories.set_policy(engine, "mou", kind)
    factories.set_reminder_offsets(engine, slug, own)
    settings = Settings(home=tmp_path, mail_from=MAIL_FROM, reminder_offsets=DEFAULT)
    result = deliver(engine, note, FileMailer(tmp_path / "mail"), settings, today=DAY, now=NOW)
    assert result.status == outcome
    [row] = [n for n in notes(engine) if n.id == note]
    assert row.status == {"sent": "sent", "skipped": "cancelled"}[outcome]


def test_an_event_notice_carries_its_event(engine: Engine) -> None:
    slug, agreement_id = world(engine)
    event_id = factories.last_event_id(engine, slug, "sign")
    table = table_of(Notification)
    row = {"kind": "event_notice", "dedupe_key": f"event:{event_id}", "due_on": DAY}
    row |= {"agreement_id": agreement_id, "event_id": event_id, "status": "pending"}
    with UnitOfWork(engine) as uow:
        note = uow.conn.execute(
            table.insert()
            .values(attempts=0, payload={}, created_at=NOW, **row)
            .returning(table.c.id)
        ).scalar_one()
        uow.commit()
    d = begin(engine, note)
    assert d is not None
    assert d.event is not None
    assert d.agreement is not None
    assert (d.event.trigger, d.event.from_state, d.event.to_state, d.event.actor) == (
        "sign",
        "awaiting_signature",
        "active",
        "tester",
    )
    assert d.agreement.slug == slug
    assert len(d.agreement.parties) == 2


def test_a_missing_or_already_sent_notification_loads_nothing_and_changes_nothing(
    engine: Engine,
) -> None:
    _, agreement_id = world(engine)
    note = reminder_180(engine, agreement_id)
    assert begin(engine, note + 1000) is None
    with UnitOfWork(engine) as uow:
        delivery.mark_sent(uow, note, "<x@accord.example>", NOW)
        uow.commit()
    before = notes(engine)
    assert begin(engine, note) is None
    assert notes(engine) == before
