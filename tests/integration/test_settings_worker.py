"""Settings the worker reads, each set to a value other than its default in the environment of a
fresh process that runs a beat task's code as a worker's pool process does, against the test
database and the embedded broker (a SQLite file): the messages the task leaves on the broker
and the rows it writes show each setting's effect. On both databases.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from queue import Empty
from typing import Any

from sqlalchemy import Engine, func, select, update

from models import Meeting, Notification, OutboxMessage, table_of
from tasks.app import make_app
from tests import factories
from tests.factories import notes
from workflow.notices.meetings import MeetingDefaults, next_annual
from workflow.settings import Settings
from workflow.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
N, O = table_of(Notification), table_of(OutboxMessage)  # noqa: E741


def run_task(db_url: str, home: Path, task: str, **settings: str) -> dict[str, Any]:
    """Run `tasks.jobs.<task>()` in a new Python process with only these ACCORD_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env |= {"ACCORD_HOME": str(home), "ACCORD_DATABASE_URL": db_url, **settings}
    code = f"import json, tasks.jobs as jobs; print(json.dumps(jobs.{task}()))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def queued(home: Path) -> list[tuple[str, list[Any]]]:
    """(task name, args) of every message the task left on the embedded broker, in order."""
    found = []
    with make_app(Settings(home=home)).connection_for_read() as conn:
        queue = conn.SimpleQueue("accord")
        while True:
            try:
                message = queue.get(block=False)
            except Empty:
                break
            args, _kwargs, _embed = message.decode()
            found.append((str(message.headers["task"]), list(args)))
            message.ack()
        queue.close()
    return found


def due_today(engine: Engine, count: int) -> list[int]:
    """`count` event notices due today (the worker's today: UTC); their ids."""
    now = datetime.now(UTC)
    rows = [
        {"kind": "event_notice", "dedupe_key": f"settings:{n}", "due_on": now.date()}
        | {"status": "pending", "attempts": 0, "payload": {}, "created_at": now}
        for n in range(count)
    ]
    with UnitOfWork(engine) as uow:
        ids = list(uow.conn.execute(N.insert().returning(N.c.id), rows).scalars())
        uow.commit()
    return ids


def test_the_sweep_sends_send_batch_size_per_task_leased_for_send_lease_seconds(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ids = due_today(engine, 5)
    before = datetime.now(UTC)
    env = {"ACCORD_SEND_BATCH_SIZE": "2", "ACCORD_SEND_LEASE_SECONDS": "123"}
    assert run_task(db_url, tmp_path, "sweep_task", **env)["sent"] == 5
    after = datetime.now(UTC)
    batches = queued(tmp_path)
    assert [(task, len(args[0])) for task, args in batches] == [
        ("accord.send_notifications", 2),
        ("accord.send_notifications", 2),
        ("accord.send_notifications", 1),
    ]
    assert sorted(i for _, args in batches for i in args[0]) == ids
    lease = timedelta(seconds=123)
    for row in notes(engine):
        assert row.next_attempt_at is not None
        assert before + lease <= row.next_attempt_at <= after + lease


def test_the_sweep_follows_meeting_lead_days_and_reminder_offsets(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    today = datetime.now(UTC).date()
    # Three months on: the 15th of that month is 61 to 106 days away, past the default lead.
    month = (today.month + 2) % 12 + 1
    lead = (next_annual(month, today, MeetingDefaults()).date() - today).days
    assert lead > MeetingDefaults().lead_days
    factories.institutions(engine)
    factories.contacts(engine)
    factories.meeting_partnership(engine, month=month)
    slug = factories.agreement(engine, "Forty days", expires=today + timedelta(days=40))
    env = {"ACCORD_MEETING_LEAD_DAYS": str(lead), "ACCORD_REMINDER_OFFSETS": "[40]"}

    assert run_task(db_url, tmp_path, "sweep_task", **env)["reminders"] == 1
    [reminder] = notes(engine, "renewal_reminder")
    assert reminder.agreement_id == factories.agreement_id(engine, slug)
    assert reminder.dedupe_key.endswith(":40")
    with UnitOfWork(engine) as uow:
        starts = uow.session.scalars(select(Meeting.starts_at)).all()
    assert [s.date() for s in starts] == [today + timedelta(days=lead)]


def test_the_relay_publishes_again_after_relay_redeliver_seconds(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    factories.institutions(engine)
    factories.contacts(engine)
    factories.agreement(engine, "Lost", expires=date(2030, 1, 1))  # five moves, five rows
    now = datetime.now(UTC)
    with UnitOfWork(engine) as uow:
        ids = list(uow.conn.execute(select(O.c.id).order_by(O.c.id)).scalars())
        # Handed to a broker that lost them, never handled: two long ago, three just now.
        for row_id, ago in zip(ids, [200, 200, 20, 20, 20], strict=True):
            dispatched = now - timedelta(seconds=ago)
            uow.conn.execute(update(O).where(O.c.id == row_id).values(dispatched_at=dispatched))
        assert uow.conn.execute(select(func.count()).where(O.c.handled_at.is_(None))).scalar() == 5
        uow.commit()

    env = {"ACCORD_RELAY_REDELIVER_SECONDS": "100"}
    assert run_task(db_url, tmp_path, "relay_task", **env) == {"published": 2, "failed": 0}
    assert queued(tmp_path) == [("accord.handle_outbox", [i]) for i in ids[:2]]
