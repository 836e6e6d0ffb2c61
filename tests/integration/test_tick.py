"""Time-driven moves on both databases: renewal windows open and agreements lapse, once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from tests import factories
from tests.factories import SIGNATORIES, TODAY, Snapshot
from tests.integration.test_cli import ok, run_cli
from workflow.agreements.moves import advance
from workflow.agreements.tick import TickReport, run_tick
from workflow.uow import UnitOfWork
from workflow.validation import HORIZON


def midnight(day: date) -> datetime:
    """The timestamp of an event dated `day`."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def tick(engine: Engine, today: date) -> TickReport:
    """One committed tick for `today`; valid data is never refused."""
    report = run_tick(UnitOfWork(engine), today)
    assert report.refused == []
    assert report.skipped_stale == 0
    return report


def moved(report: TickReport) -> dict[str, list[str]]:
    """What the tick moved, per trigger, in a stable order."""
    return {trigger: sorted(slugs) for trigger, slugs in report.moved.items() if slugs}


@pytest.fixture
def world(engine: Engine) -> dict[str, str]:
    """Agreements at every point of the calendar, by role; their slugs."""
    factories.institutions(engine)
    slugs = {
        # expires 2026-06-01, window opened 2025-12-03: never ticked, so long overdue.
        "lapsed": factories.active(engine, "Lapsed", date(2021, 6, 1)),
        # expires 2027-01-10, window opens 2026-07-14.
        "window": factories.active(engine, "Window", date(2022, 1, 10)),
        # expires 2028-01-01, window opens 2027-07-05.
        "later": factories.active(engine, "Later", date(2023, 1, 1)),
        "suspended": factories.active(engine, "Suspended", date(2021, 6, 1)),
        "renewed": factories.active(engine, "Renewed", date(2021, 6, 1)),
        "proposed": factories.proposed(engine, "Proposed"),
    }
    advance(
        UnitOfWork(engine),
        slugs["suspended"],
        "suspend",
        actor="t",
        today=TODAY,
        on=date(2024, 1, 1),
        comment="audit",
    )
    # Renewed early to 2030-01-01: its next window (2029-07-05) is far away.
    advance(
        UnitOfWork(engine),
        slugs["renewed"],
        "renew",
        actor="t",
        today=TODAY,
        on=date(2025, 1, 1),
        signatories=SIGNATORIES,
    )
    return slugs


def snapshots(engine: Engine, slugs: dict[str, str]) -> dict[str, Snapshot]:
    """Every agreement of the world as committed now."""
    return {role: factories.snapshot(engine, slug) for role, slug in slugs.items()}


def assert_moved_by_system(
    before: Snapshot, after: Snapshot, trigger: str, source: str, dest: str, on: date
) -> None:
    """Exactly one new event and outbox row: `trigger` by system, dated `on`."""
    assert after.events[:-1] == before.events
    assert after.events[-1] == (before.version + 1, trigger, source, dest, "system", midnight(on))
    assert (after.state, after.version) == (dest, before.version + 1)
    assert after.outbox[:-1] == before.outbox
    assert after.outbox[-1][1] == f"agreement.{trigger}"
    assert len(after.outbox) == len(after.events)
    assert after.terms == before.terms


def test_tick_opens_windows_and_lapses_as_system(engine: Engine, world: dict[str, str]) -> None:
    before = snapshots(engine, world)
    report = tick(engine, TODAY)
    after = snapshots(engine, world)
    assert moved(report) == {
        "expire": sorted([world["lapsed"], world["suspended"]]),
        "open_renewal": [world["window"]],
    }
    assert report.total == 3
    # Catch-up: past its end with its window never opened, it goes straight to expired.
    assert_moved_by_system(
        before["lapsed"], after["lapsed"], "expire", "active", "expired", date(2026, 6, 1)
    )
    assert_moved_by_system(
        before["suspended"], after["suspended"], "expire", "suspended", "expired", date(2026, 6, 1)
    )
    assert_moved_by_system(
        before["window"],
        after["window"],
        "open_renewal",
        "active",
        "renewal_due",
        date(2026, 7, 14),
    )
    for untouched in ("later", "renewed", "proposed"):
        assert after[untouched] == before[untouched], untouched


def test_second_tick_for_the_same_day_changes_nothing(
    engine: Engine, world: dict[str, str]
) -> None:
    assert tick(engine, TODAY).total == 3
    once = snapshots(engine, world)
    report = tick(engine, TODAY)
    assert report.total == 0
    assert moved(report) == {}
    assert snapshots(engine, world) == once


def test_ticks_follow_the_calendar_day_by_day(engine: Engine, world: dict[str, str]) -> None:
    start = snapshots(engine, world)
    # The day before the first window opens: nothing is due.
    assert tick(engine, date(2025, 12, 2)).total == 0
    assert snapshots(engine, world) == start

    assert moved(tick(engine, date(2025, 12, 3))) == {"open_renewal": [world["lapsed"]]}
    opened = factories.snapshot(engine, world["lapsed"])
    assert_moved_by_system(
        start["lapsed"], opened, "open_renewal", "active", "renewal_due", date(2025, 12, 3)
    )
    # A suspended agreement's window does not open; the day before the end nothing lapses.
    assert tick(engine, date(2026, 5, 31)).total == 0

    assert moved(tick(engine, date(2026, 6, 1))) == {
        "expire": sorted([world["lapsed"], world["suspended"]])
    }
    assert_moved_by_system(
        opened,
        factories.snapshot(engine, world["lapsed"]),
        "expire",
        "renewal_due",
        "expired",
        date(2026, 6, 1),
    )
    assert tick(engine, date(2026, 7, 13)).total == 0
    assert moved(tick(engine, date(2026, 7, 14))) == {"open_renewal": [world["window"]]}
    # Caught up: the real today finds nothing more to do.
    assert tick(engine, TODAY).total == 0
    end = snapshots(engine, world)
    for untouched in ("later", "renewed", "proposed"):
        assert end[untouched] == start[untouched], untouched


def _short_term(engine: Engine) -> str:
    """Signed 2026-10-01 until 2027-01-01: its 180-day window opened before it was signed."""
    slug = factories.proposed(engine, "Short term")
    for trigger, on in factories.TO_ACTIVE:
        advance(UnitOfWork(engine), slug, trigger, actor="t", today=TODAY, on=on)
    advance(
        UnitOfWork(engine),
        slug,
        "sign",
        actor="t",
        today=TODAY,
        on=date(2026, 10, 1),
        until=date(2027, 1, 1),
        signatories=SIGNATORIES,
    )
    return slug


def test_tick_never_dates_an_event_before_the_previous_one(engine: Engine) -> None:
    factories.institutions(engine)
    # Suspended before its window opened (2026-07-14) and resumed after it.
    resumed = factories.active(engine, "Resumed", date(2022, 1, 10))
    advance(
        UnitOfWork(engine),
        resumed,
        "suspend",
        actor="t",
        today=TODAY,
        on=date(2026, 5, 1),
        comment="audit",
    )
    advance(UnitOfWork(engine), resumed, "resume", actor="t", today=TODAY, on=date(2026, 8, 1))
    # Suspended after its end date (2026-06-01), while no tick ran.
    late = factories.active(engine, "Late", date(2021, 6, 1))
    advance(
        UnitOfWork(engine),
        late,
        "suspend",
        actor="t",
        today=TODAY,
        on=date(2026, 7, 1),
        comment="audit",
    )
    short = _short_term(engine)
    tick(engine, TODAY)
    backwards = []
    for slug in (resumed, late, short):
        events = factories.snapshot(engine, slug).events
        assert events[-1][4] == "system"
        previous, last = events[-2], events[-1]
        # The service refuses a move dated before the last one; the tick must not make one either.
        if last[5] < previous[5]:
            backwards.append(
                f"{slug}: {last[1]} at {last[5]:%F} after {previous[1]} at {previous[5]:%F}"
            )
    assert backwards == []


def test_a_future_day_is_refused_and_changes_nothing(
    engine: Engine, db_url: str, world: dict[str, str]
) -> None:
    before = snapshots(engine, world)
    today = datetime.now(UTC).date()
    for day in (today + timedelta(days=1), HORIZON):
        outcome = run_cli(db_url, f"tick --today {day.isoformat()}")
        assert (outcome.code, outcome.out) == (1, ""), outcome
        assert outcome.err == (
            f"accord: error: --today {day.isoformat()} is after today ({today.isoformat()}, UTC): "
            "a future day would make moves that cannot be undone; see them with --dry-run\n"
        )
    assert snapshots(engine, world) == before


def test_a_dry_run_reports_what_would_move_and_changes_nothing(
    engine: Engine, db_url: str, world: dict[str, str]
) -> None:
    before = snapshots(engine, world)
    dry = ok(db_url, f"tick --today {TODAY.isoformat()} --dry-run").out.splitlines()
    assert dry == [
        f"tick {TODAY.isoformat()} (dry run: nothing changed): 3 move(s)",
        f"  expire: {', '.join(sorted([world['lapsed'], world['suspended']]))}",
        f"  open_renewal: {world['window']}",
    ]
    as_json = ok(db_url, f"tick --today {TODAY.isoformat()} --dry-run --json").json()
    assert snapshots(engine, world) == before
    # Any day up to the horizon, the future included: everything in force has lapsed by then.
    far = ok(db_url, f"tick --today {HORIZON.isoformat()} --dry-run --json").json()
    assert (far["dry_run"], far["total"]) == (True, 5)
    assert sorted(far["moved"]["expire"]) == sorted(
        world[role] for role in ("lapsed", "window", "later", "suspended", "renewed")
    )
    assert snapshots(engine, world) == before

    real = ok(db_url, f"tick --today {TODAY.isoformat()} --json").json()
    assert (as_json["dry_run"], real["dry_run"]) == (True, False)
    assert {k: v for k, v in as_json.items() if k != "dry_run"} == {
        k: v for k, v in real.items() if k != "dry_run"
    }
    assert snapshots(engine, world) != before
