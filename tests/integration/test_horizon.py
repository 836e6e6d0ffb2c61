"""The date horizon in the services, on both databases: a date past it is refused where it enters
and changes nothing, whoever calls (the CLI's own checks are in test_bad_input).

A term ending in 9999 once stored fine and broke every later sweep (OverflowError); a meeting at
9999-12-31T23:59Z became a dead letter. Nothing past the horizon gets in any more.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from models import Meeting, Notification, Partnership
from tests import factories
from tests.factories import snapshot
from tests.integration.test_bad_input import snapshot as table_counts
from tests.integration.test_cli import run_cli
from workflow.agreements.moves import advance
from workflow.agreements.proposals import Proposal, propose
from workflow.errors import InvalidInput
from workflow.notices import meetings
from workflow.uow import UnitOfWork
from workflow.validation import HORIZON

D = meetings.MeetingDefaults()
TODAY = date(2026, 11, 22)
STARTS = datetime(2027, 1, 15, 9, tzinfo=UTC)
PAST_IT = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)


def test_the_horizon_is_the_last_day_of_2200() -> None:
    assert date(2200, 12, 31) == HORIZON


def _near_the_horizon(engine: Engine) -> str:
    """An agreement proposed in 2200 with a 60-month term, awaiting signature."""
    factories.institutions(engine)
    today = date(2200, 6, 1)
    with UnitOfWork(engine) as uow:
        slug = propose(
            uow,
            Proposal(
                home="home",
                partner="partner",
                kind="mou",
                title="Late",
                proposed_on=date(2200, 1, 3),
                actor="tester",
                today=today,
                term_months=60,
            ),
        ).slug
        uow.commit()
    for trigger in ("review", "approve", "send_for_signature"):
        advance(UnitOfWork(engine), slug, trigger, actor="tester", today=today)
    return slug


def test_a_term_whose_end_falls_past_the_horizon_is_refused(engine: Engine) -> None:
    slug = _near_the_horizon(engine)
    before = snapshot(engine, slug)
    sign = {"on": date(2200, 6, 1), "signatories": factories.SIGNATORIES}
    with pytest.raises(InvalidInput, match=r"2205-06-01 is after 2200-12-31"):
        advance(UnitOfWork(engine), slug, "sign", actor="t", today=date(2200, 6, 1), **sign)
    with pytest.raises(InvalidInput, match=r"9999-12-31 is after 2200-12-31"):
        advance(
            UnitOfWork(engine),
            slug,
            "sign",
            actor="t",
            today=date(2200, 6, 1),
            until=date(9999, 12, 31),
            **sign,
        )
    assert snapshot(engine, slug) == before
    # Inside the horizon the same move goes through.
    advance(
        UnitOfWork(engine),
        slug,
        "sign",
        actor="t",
        today=date(2200, 6, 1),
        until=HORIZON,
        **sign,
    )
    assert snapshot(engine, slug).expires_on == HORIZON


def test_a_day_past_the_horizon_is_refused_for_today_and_on(engine: Engine) -> None:
    factories.institutions(engine)
    slug = factories.proposed(engine)
    before = snapshot(engine, slug)
    late = date(2201, 1, 1)
    with pytest.raises(InvalidInput, match="2201-01-01 is after 2200-12-31"):
        advance(UnitOfWork(engine), slug, "review", actor="t", today=late, on=late)
    with pytest.raises(InvalidInput, match="2201-01-01 is after 2200-12-31"):
        advance(UnitOfWork(engine), slug, "review", actor="t", today=late)
    assert snapshot(engine, slug) == before


@pytest.fixture
def meeting_id(engine: Engine) -> int:
    """A meeting of home and partner on 15 January 2027, its invitation queued."""
    factories.institutions(engine)
    factories.contacts(engine)
    factories.meeting_partnership(engine, month=1)
    with UnitOfWork(engine) as uow:
        [created] = meetings.schedule_due(uow, STARTS.date() - timedelta(days=D.lead_days), D)
        uow.commit()
        return created.id


def _meetings(engine: Engine) -> list[tuple[Any, ...]]:
    """Every meeting (id, start, sequence) and notification (key, status), as committed."""
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(select(Meeting.id, Meeting.starts_at, Meeting.sequence))
        notes = uow.session.execute(select(Notification.dedupe_key, Notification.status))
        return sorted(tuple(r) for r in rows) + sorted(tuple(n) for n in notes)


def test_a_meeting_past_the_horizon_is_refused(engine: Engine, meeting_id: int) -> None:
    before = _meetings(engine)
    with UnitOfWork(engine) as uow:
        partnership = uow.session.scalars(select(Partnership)).one()
        with pytest.raises(InvalidInput, match=r"9999-12-31T23:59:00\+00:00 is after 2200-12-31"):
            meetings.create(uow, partnership, starts_at=PAST_IT, occurrence="x", today=TODAY, d=D)
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput, match="after 2200-12-31"):
        meetings.reschedule(uow, meeting_id, PAST_IT, today=TODAY, d=D)
    assert _meetings(engine) == before


def test_rescheduling_past_the_horizon_through_the_cli_changes_nothing(
    engine: Engine, db_url: str, meeting_id: int
) -> None:
    before = (_meetings(engine), table_counts(engine))
    outcome = run_cli(db_url, f"meetings reschedule {meeting_id} --at 9999-12-31T23:59Z")
    assert outcome.code == 1, outcome
    [line] = outcome.err.splitlines()
    assert "9999-12-31T23:59:00+00:00 is after 2200-12-31" in line, line
    assert (_meetings(engine), table_counts(engine)) == before


def test_the_sweep_schedules_no_meeting_past_the_horizon(engine: Engine) -> None:
    factories.institutions(engine)
    factories.contacts(engine)
    factories.meeting_partnership(engine, month=1)
    with UnitOfWork(engine) as uow:
        # On the horizon itself, the next January meeting would fall in 2201.
        assert meetings.schedule_due(uow, HORIZON - timedelta(days=30), D) == []
        uow.commit()
    assert _meetings(engine) == []
