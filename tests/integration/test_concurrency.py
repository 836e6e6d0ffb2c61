"""Concurrent moves on one agreement: exactly one wins, the rest are refused, nothing is lost."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine

from models import make_engine
from tests import factories, overlap
from tests.factories import TODAY
from workflow.agreements.moves import MoveResult, advance, apply_move
from workflow.agreements.tick import run_tick
from workflow.errors import AccordError, MoveRefused, StaleVersion
from workflow.uow import UnitOfWork

ATTEMPTS = 20


@pytest.fixture
def pg_engine(pg_only_url: str) -> Iterator[Engine]:
    """A PostgreSQL engine with a connection for every thread, so all of them really race."""
    engine = make_engine(pg_only_url, pool_size=ATTEMPTS + 2, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite file, shared by every thread's connection."""
    path = tmp_path / "accord.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}", pool_size=ATTEMPTS + 2, max_overflow=0)
    yield engine
    engine.dispose()


def race(
    attempt: Callable[[int], MoveResult],
) -> tuple[dict[int, MoveResult], list[AccordError]]:
    """Run ATTEMPTS calls of `attempt` at once: wins by worker, refusals; anything else fails."""
    barrier = threading.Barrier(ATTEMPTS)

    def one(worker: int) -> MoveResult | AccordError:
        barrier.wait(timeout=30)
        try:
            return attempt(worker)
        except AccordError as exc:
            return exc

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        outcomes = list(pool.map(one, range(ATTEMPTS)))
    wins = {worker: o for worker, o in enumerate(outcomes) if isinstance(o, MoveResult)}
    refusals = [o for o in outcomes if isinstance(o, AccordError)]
    return wins, refusals


def suspend(engine: Engine, slug: str, expect: int | None) -> Callable[[int], MoveResult]:
    """One worker's attempt to suspend the agreement."""

    def attempt(worker: int) -> MoveResult:
        return advance(
            UnitOfWork(engine),
            slug,
            "suspend",
            actor=f"worker-{worker}",
            today=TODAY,
            comment=f"audit by worker {worker}",
            expect_version=expect,
        )

    return attempt


def assert_exactly_one_move(engine: Engine, slug: str, wins: dict[int, MoveResult]) -> None:
    """One new event and one new outbox row, by the winner; the state is the winner's."""
    assert len(wins) == 1
    [(worker, win)] = wins.items()
    after = factories.snapshot(engine, slug)
    assert (after.state, after.version, win.version) == ("suspended", 6, 6)
    assert len(after.events) == 6
    assert after.events[-1][:5] == (6, "suspend", "active", "suspended", f"worker-{worker}")
    assert len(after.outbox) == 6
    assert after.outbox[-1] == (win.event_id, "agreement.suspend")


def test_twenty_same_moves_with_one_expected_version_postgresql(pg_engine: Engine) -> None:
    factories.institutions(pg_engine)
    slug = factories.active(pg_engine)
    wins, refusals = race(suspend(pg_engine, slug, expect=5))
    assert len(refusals) == ATTEMPTS - 1
    assert all(isinstance(r, StaleVersion) for r in refusals), refusals
    assert_exactly_one_move(pg_engine, slug, wins)


def test_twenty_same_moves_without_expected_version_postgresql(pg_engine: Engine) -> None:
    factories.institutions(pg_engine)
    slug = factories.active(pg_engine)
    wins, refusals = race(suspend(pg_engine, slug, expect=None))
    # Losers that read before the winner committed are stale; later ones find it suspended.
    assert len(refusals) == ATTEMPTS - 1
    assert all(isinstance(r, StaleVersion | MoveRefused) for r in refusals), refusals
    assert_exactly_one_move(pg_engine, slug, wins)


def test_twenty_same_moves_with_one_expected_version_sqlite_file(sqlite_engine: Engine) -> None:
    factories.institutions(sqlite_engine)
    slug = factories.active(sqlite_engine)
    wins, refusals = race(suspend(sqlite_engine, slug, expect=5))
    assert len(refusals) == ATTEMPTS - 1
    assert all(isinstance(r, StaleVersion) for r in refusals), refusals
    assert_exactly_one_move(sqlite_engine, slug, wins)


def test_suspend_and_terminate_at_once_one_wins_postgresql(pg_engine: Engine) -> None:
    factories.institutions(pg_engine)
    slug = factories.active(pg_engine)
    # Both read version 5; the terminate's UPDATE then waits on the suspend's row lock.
    with UnitOfWork(pg_engine) as first:
        apply_move(first, slug, "suspend", actor="Dr. Li", today=TODAY, comment="audit")
        with ThreadPoolExecutor(1) as pool:
            second = pool.submit(
                advance,
                UnitOfWork(pg_engine),
                slug,
                "terminate",
                actor="Ms. Wang",
                today=TODAY,
                comment="ended",
            )
            overlap.blocked_on_a_lock(pg_engine)
            first.commit()
            with pytest.raises(StaleVersion, match=r"version 6, not 5: Dr\. Li made it suspended"):
                second.result(timeout=30)
    after = factories.snapshot(pg_engine, slug)
    assert (after.state, after.version) == ("suspended", 6)
    assert [e[1] for e in after.events[-2:]] == ["sign", "suspend"]
    assert len(after.outbox) == 6


def test_suspend_and_terminate_racing_with_one_version_one_wins(engine: Engine) -> None:
    factories.institutions(engine)
    slug = factories.active(engine)
    barrier = threading.Barrier(2)

    def attempt(trigger: str) -> MoveResult | AccordError:
        barrier.wait(timeout=30)
        try:
            return advance(
                UnitOfWork(engine),
                slug,
                trigger,
                actor=trigger,
                today=TODAY,
                comment="because",
                expect_version=5,
            )
        except AccordError as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(attempt, ["suspend", "terminate"]))
    wins = [o for o in outcomes if isinstance(o, MoveResult)]
    assert len(wins) == 1
    assert isinstance(next(o for o in outcomes if not isinstance(o, MoveResult)), StaleVersion)
    after = factories.snapshot(engine, slug)
    assert (after.state, after.version) == (wins[0].to_state, 6)
    assert after.events[-1][1] == wins[0].trigger
    assert len(after.events) == len(after.outbox) == 6


def test_tick_racing_a_manual_move_skips_that_agreement_postgresql(pg_engine: Engine) -> None:
    factories.institutions(pg_engine)
    # Signed 2021-06-01 for 60 months: lapsed by today, so the tick wants to expire it.
    slug = factories.active(pg_engine)
    with UnitOfWork(pg_engine) as manual:
        apply_move(manual, slug, "terminate", actor="Dr. Li", today=TODAY, comment="ended")
        with ThreadPoolExecutor(1) as pool:
            ticking = pool.submit(run_tick, UnitOfWork(pg_engine), TODAY)
            overlap.blocked_on_a_lock(pg_engine)
            manual.commit()
            report = ticking.result(timeout=30)
    assert (report.total, report.skipped_stale, report.refused) == (0, 1, [])
    after = factories.snapshot(pg_engine, slug)
    assert (after.state, after.version) == ("terminated", 6)
    assert [e[4] for e in after.events[-1:]] == ["Dr. Li"]
    assert len(after.outbox) == len(after.events) == 6
