"""Annual partnership meetings on both databases: scheduled ahead once, moved, cancelled."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from models import Meeting, Partnership
from tests import factories
from tests.factories import notes
from workflow.errors import InvalidInput, StaleVersion
from workflow.notices import meetings
from workflow.uow import UnitOfWork

D = meetings.MeetingDefaults()
TODAY = date(2026, 11, 22)
STARTS = datetime(2027, 1, 15, 9, tzinfo=UTC)  # the 15th at 09:00 UTC, by default
MOVED = datetime(2027, 1, 20, 10, 30, tzinfo=UTC)
UID = "accord-meeting-home-part-2027@accord.local"


def schedule(engine: Engine, today: date) -> list[int]:
    """One committed schedule_due; the ids of the meetings it created."""
    with UnitOfWork(engine) as uow:
        created = [m.id for m in meetings.schedule_due(uow, today, D)]
        uow.commit()
    return created


def meeting(engine: Engine, meeting_id: int) -> tuple[str, int, datetime, str]:
    """(status, sequence, starts_at, uid) as committed."""
    with UnitOfWork(engine) as uow:
        m = uow.session.get(Meeting, meeting_id)
        assert m is not None
        return m.status, m.sequence, m.starts_at, m.uid


def state(engine: Engine) -> set[tuple[str, str, date, str]]:
    """(kind, key, due day, status) of every meeting notification."""
    return {(n.kind, n.dedupe_key, n.due_on, n.status) for n in notes(engine)}


@pytest.fixture
def world(engine: Engine) -> int:
    """Home and partner, with contacts, meeting every January; the partnership's id."""
    factories.institutions(engine)
    factories.contacts(engine)
    return factories.meeting_partnership(engine, month=1)


def test_the_annual_meeting_is_scheduled_once_inside_its_lead_window(
    engine: Engine, world: int
) -> None:
    assert schedule(engine, STARTS.date() - timedelta(days=D.lead_days + 1)) == []
    assert notes(engine) == []
    lead_starts = STARTS.date() - timedelta(days=D.lead_days)
    [created] = schedule(engine, lead_starts)
    assert schedule(engine, lead_starts) == []
    assert schedule(engine, TODAY) == []
    assert meeting(engine, created) == ("scheduled", 0, STARTS, UID)
    assert state(engine) == {
        ("meeting_invitation", f"meeting_invitation:{created}:0", lead_starts, "pending"),
        (
            "meeting_reminder",
            f"meeting_reminder:{created}:0",
            date(2027, 1, 8),
            "pending",
        ),
    }
    [invitation] = notes(engine, "meeting_invitation")
    assert invitation.payload == {"sequence": 0, "method": "REQUEST"}
    assert invitation.meeting_id == created


def test_a_partnership_without_a_cadence_gets_no_meeting(engine: Engine) -> None:
    factories.institutions(engine)
    factories.contacts(engine)
    factories.meeting_partnership(engine, month=None)
    assert schedule(engine, TODAY) == []
    # Meeting every December instead: this December's meeting is inside the lead window.
    factories.meeting_partnership(engine, month=12)
    [created] = schedule(engine, TODAY)
    assert meeting(engine, created)[2] == datetime(2026, 12, 15, 9, tzinfo=UTC)


def test_a_reschedule_raises_the_sequence_and_supersedes_what_was_queued(
    engine: Engine, world: int
) -> None:
    [created] = schedule(engine, TODAY)
    with UnitOfWork(engine) as uow:
        moved = meetings.reschedule(uow, created, MOVED, today=TODAY, d=D, expect_sequence=0)
        assert moved.sequence == 1
        uow.commit()
    assert meeting(engine, created) == ("scheduled", 1, MOVED, UID)
    assert state(engine) == {
        ("meeting_invitation", f"meeting_invitation:{created}:0", TODAY, "cancelled"),
        (
            "meeting_reminder",
            f"meeting_reminder:{created}:0",
            date(2027, 1, 8),
            "cancelled",
        ),
        ("meeting_invitation", f"meeting_invitation:{created}:1", TODAY, "pending"),
        (
            "meeting_reminder",
            f"meeting_reminder:{created}:1",
            date(2027, 1, 13),
            "pending",
        ),
    }
    new = [n for n in notes(engine, "meeting_invitation") if n.status == "pending"]
    assert [n.payload for n in new] == [{"sequence": 1, "method": "REQUEST"}]


def test_a_stale_or_bad_reschedule_is_refused_and_changes_nothing(
    engine: Engine, world: int
) -> None:
    [created] = schedule(engine, TODAY)
    with UnitOfWork(engine) as uow:
        meetings.reschedule(uow, created, STARTS + timedelta(days=1), today=TODAY, d=D)
        uow.commit()
    before = (meeting(engine, created), state(engine))
    refusals: list[tuple[datetime, int, type[Exception], str]] = [
        (MOVED, 0, StaleVersion, "is at sequence 1, not 0"),
        (MOVED.replace(tzinfo=None), 1, InvalidInput, "future, zoned time"),
        (datetime(2026, 11, 21, 9, tzinfo=UTC), 1, InvalidInput, "future, zoned time"),
        (STARTS + timedelta(days=1), 1, InvalidInput, "already at that time"),
    ]
    for starts_at, sequence, error, match in refusals:
        with UnitOfWork(engine) as uow, pytest.raises(error, match=match):
            meetings.reschedule(uow, created, starts_at, today=TODAY, d=D, expect_sequence=sequence)
        assert (meeting(engine, created), state(engine)) == before


def test_a_new_meeting_needs_a_future_zoned_time(engine: Engine, world: int) -> None:
    with UnitOfWork(engine) as uow:
        partnership = uow.session.get(Partnership, world)
        assert partnership is not None
        for bad, match in (
            (STARTS.replace(tzinfo=None), "needs a timezone"),
            (datetime(2026, 11, 1, tzinfo=UTC), "is in the past"),
        ):
            with pytest.raises(InvalidInput, match=match):
                meetings.create(uow, partnership, starts_at=bad, occurrence="x", today=TODAY, d=D)
    assert notes(engine) == []


def test_a_cancellation_withdraws_what_is_pending_and_queues_a_cancel(
    engine: Engine, world: int
) -> None:
    [created] = schedule(engine, TODAY)
    with UnitOfWork(engine) as uow:
        assert meetings.cancel(uow, created, today=TODAY, expect_sequence=0).sequence == 1
        uow.commit()
    assert meeting(engine, created)[:2] == ("cancelled", 1)
    assert {(kind, status) for kind, _, _, status in state(engine)} == {
        ("meeting_invitation", "cancelled"),
        ("meeting_reminder", "cancelled"),
        ("meeting_cancellation", "pending"),
    }
    [cancellation] = notes(engine, "meeting_cancellation")
    assert cancellation.payload == {"sequence": 1, "method": "CANCEL"}
    assert cancellation.dedupe_key == f"meeting_cancellation:{created}:1"
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput, match="is cancelled"):
        meetings.cancel(uow, created, today=TODAY)
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput, match="is cancelled"):
        meetings.reschedule(uow, created, MOVED, today=TODAY, d=D)
    assert schedule(engine, TODAY) == []  # this year's meeting stays cancelled


def test_moving_a_meeting_back_to_its_first_time_reminds_again(engine: Engine, world: int) -> None:
    [created] = schedule(engine, TODAY)
    for starts_at in (MOVED, STARTS):
        with UnitOfWork(engine) as uow:
            meetings.reschedule(uow, created, starts_at, today=TODAY, d=D)
            uow.commit()
    pending = [n for n in notes(engine) if n.status == "pending"]
    assert sorted((n.kind, n.due_on) for n in pending) == [
        ("meeting_invitation", TODAY),
        ("meeting_reminder", date(2027, 1, 8)),
    ]
    [reminder] = [n for n in pending if n.kind == "meeting_reminder"]
    assert reminder.payload == {"starts_at": STARTS.isoformat()}
