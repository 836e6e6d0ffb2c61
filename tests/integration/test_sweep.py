"""The periodic sweep end to end on a small world, on both databases: tick, reminders, meetings
and claims in one call; again the same day, nothing new; two at once, each row claimed once.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from notify.backends import FileMailer
from tasks.delivering import deliver
from tests import factories
from tests.factories import MAIL_FROM, notes
from workflow.notices.meetings import MeetingDefaults
from workflow.notices.sweep import SweepReport, sweep
from workflow.settings import Settings

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 8, tzinfo=UTC)
LEASE = timedelta(minutes=5)
OFFSETS = (180, 90, 30, 7)


def run(engine: Engine, now: datetime) -> SweepReport:
    """One sweep as of `now`."""
    return sweep(
        engine,
        now.date(),
        default_offsets=OFFSETS,
        meeting_defaults=MeetingDefaults(),
        lease=LEASE,
        now=now,
    )


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    """Agreement ids by role, and a partnership meeting every January."""
    factories.institutions(engine)
    factories.contacts(engine)
    factories.meeting_partnership(engine, month=1)
    slugs = {
        # Its renewal window (180 days) opens today, the day its 180-day reminder falls due.
        "opening": factories.agreement(engine, "Opening", expires=TODAY + timedelta(days=180)),
        # These two are in their windows (opened by the first tick); one has a reminder due.
        "reminded": factories.agreement(engine, "Reminded", expires=TODAY + timedelta(days=90)),
        # Lapses today: expired by the tick, so its (caught-up) 7-day reminder is never made.
        "lapsing": factories.agreement(engine, "Lapsing", expires=TODAY),
        "quiet": factories.agreement(engine, "Quiet", expires=TODAY + timedelta(days=100)),
    }
    return {role: factories.agreement_id(engine, slug) for role, slug in slugs.items()}


def test_one_sweep_does_the_days_work_and_a_second_adds_nothing(
    engine: Engine, world: dict[str, int], tmp_path: Path
) -> None:
    first = run(engine, NOW)
    assert (first.moved, first.reminders, first.meetings) == (4, 2, 1)
    rows = {n.id: n for n in notes(engine)}
    assert {(n.kind, n.agreement_id) for n in rows.values() if n.id in first.claimed} == {
        ("renewal_reminder", world["opening"]),
        ("renewal_reminder", world["reminded"]),
        ("meeting_invitation", None),
    }
    assert len(first.claimed) == 3
    assert [n.kind for n in rows.values() if n.id not in first.claimed] == ["meeting_reminder"]

    again = run(engine, NOW + timedelta(minutes=1))
    assert (again.moved, again.reminders, again.meetings, again.claimed) == (0, 0, 0, [])
    assert {n.id for n in notes(engine)} == set(rows)

    # Nobody sent them (a lost task): once the lease runs out they are claimed again...
    lost = run(engine, NOW + LEASE)
    assert sorted(lost.claimed) == sorted(first.claimed)
    settings = Settings(home=tmp_path, mail_from=MAIL_FROM)
    mailer = FileMailer(tmp_path / "mail")
    statuses = {deliver(engine, i, mailer, settings, now=NOW + LEASE).status for i in lost.claimed}
    assert statuses == {"sent"}
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 3
    # ...and once sent, never again.
    assert run(engine, NOW + 3 * LEASE).claimed == []


def test_two_sweeps_at_once_schedule_the_meeting_once(engine: Engine) -> None:
    """Two beats: with nothing else due, no other write orders the two sweeps before they both
    look for this year's meeting (each reminder insert, or tick's row locks, would)."""
    factories.institutions(engine)
    factories.contacts(engine)
    factories.meeting_partnership(engine, month=1)
    start = threading.Barrier(2, timeout=20)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            start.wait()
            reports.append(run(engine, NOW))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(r.meetings for r in reports) == [0, 1]
    claimed = reports[0].claimed + reports[1].claimed
    assert len(claimed) == len(set(claimed)) == 1
    assert [n.kind for n in notes(engine)] == ["meeting_invitation", "meeting_reminder"]
