"""Re-plans and sweeps take turns on PostgreSQL: a sweep never acts on rules a re-plan is changing.

SQLite queues its writers anyway; PostgreSQL needs the sweep's advisory lock, which every
re-plan takes too.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from models import make_engine
from tests import factories, overlap
from tests.factories import notes
from workflow.notices import reminders
from workflow.notices.meetings import MeetingDefaults
from workflow.notices.sweep import sweep
from workflow.uow import UnitOfWork


def test_a_sweep_waits_for_a_policy_change_in_flight_postgresql(pg_only_url: str) -> None:
    """A sweep that read the rules before a policy change commits would make a reminder the new
    rules do not want; it waits for the change instead, then sees it."""
    engine = make_engine(pg_only_url)
    factories.institutions(engine)
    factories.contacts(engine)
    day = factories.TODAY
    factories.agreement(engine, "Due", expires=day + timedelta(days=30))
    pool = ThreadPoolExecutor(1)
    try:
        with UnitOfWork(engine) as cli:
            reminders.set_policy(cli, "mou", [60], today=day, default=[30])
            swept = pool.submit(
                sweep, engine, day, default_offsets=[30], meeting_defaults=MeetingDefaults()
            )
            try:
                overlap.blocked_on_a_lock(engine, "advisory")
            finally:  # either way: a sweep blocked behind this transaction must not hang the test
                cli.commit()
        report = swept.result(timeout=30)
        assert report.reminders == 0
        assert notes(engine, "renewal_reminder") == []
    finally:
        pool.shutdown(wait=True)
        engine.dispose()
