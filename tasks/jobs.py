"""The Celery tasks: thin shells that take ids, open their own session and call the workflow.

Each worker child gets its own engine and mail connection (created lazily after the fork).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from celery.signals import worker_process_init, worker_process_shutdown
from sqlalchemy import Engine

from models import make_engine
from models.db import reconnecting
from notify.backends import Mailer, mailer_from_settings
from tasks.app import app
from tasks.delivering import deliver, deliver_batch
from workflow.notices import handlers, outbox
from workflow.notices.meetings import MeetingDefaults
from workflow.notices.sweep import sweep
from workflow.settings import Settings
from workflow.uow import UnitOfWork

log = logging.getLogger(__name__)
_state: dict[str, Any] = {}


def settings() -> Settings:
    """This process's settings, read once."""
    if "settings" not in _state:
        _state["settings"] = Settings()
    return _state["settings"]  # type: ignore[no-any-return]


def engine() -> Engine:
    """This process's engine (never shared across a fork), without a ping before every task:
    the tasks below run through `models.db.reconnecting` instead."""
    if "engine" not in _state:
        _state["engine"] = make_engine(settings().resolved_database_url(), pre_ping=False)
    return _state["engine"]  # type: ignore[no-any-return]


def mailer() -> Mailer:
    """This process's mailer: one SMTP connection kept open and reused."""
    if "mailer" not in _state:
        _state["mailer"] = mailer_from_settings(settings())
    return _state["mailer"]  # type: ignore[no-any-return]


@worker_process_init.connect
def _fresh_resources(**_: Any) -> None:
    # A forked child must not reuse the parent's pooled connections or SMTP socket.
    inherited = _state.pop("engine", None)
    if inherited is not None:
        inherited.dispose(close=False)
    _state.pop("mailer", None)


@worker_process_shutdown.connect
def _close_resources(**_: Any) -> None:
    if "mailer" in _state:
        _state.pop("mailer").close()


def meeting_defaults(s: Settings) -> MeetingDefaults:
    """Meeting placement from settings."""
    return MeetingDefaults(lead_days=s.meeting_lead_days)


@app.task(name="accord.sweep")
def sweep_task() -> dict[str, int]:
    """Beat's sweep: tick, due reminders and meetings, then enqueue what it claimed for sending,
    `send_batch_size` rows per task (Celery's per-task cost is paid per batch, not per mail)."""
    s = settings()
    now = datetime.now(UTC)
    report = reconnecting(
        lambda: sweep(
            engine(),
            now.date(),
            default_offsets=s.reminder_offsets,
            meeting_defaults=meeting_defaults(s),
            lease=_lease(s),
            catchup_days=s.reminder_catchup_days,
            now=now,
        )
    )
    claimed, size = report.claimed, s.send_batch_size
    for first in range(0, len(claimed), size):
        send_notifications.delay(claimed[first : first + size])
    return {
        "moved": report.moved,
        "reminders": report.reminders,
        "follow_ups": report.follow_ups,
        "sent": len(report.claimed),
    }


def _lease(s: Settings) -> timedelta:
    return timedelta(seconds=s.send_lease_seconds)


@app.task(name="accord.relay")
def relay_task() -> dict[str, int]:
    """Hand committed outbox rows to the broker; a failed publish waits and retries."""

    def publish(row: outbox.OutboxRow) -> None:
        handle_outbox.apply_async(args=[row.id], retry=False)

    redeliver = timedelta(seconds=settings().relay_redeliver_seconds)
    report = reconnecting(
        lambda: outbox.relay_once(engine(), publish, backoff_base=2.0, redeliver_after=redeliver)
    )
    return {"published": len(report.published), "failed": len(report.failed)}


@app.task(name="accord.handle_outbox")
def handle_outbox(outbox_id: int) -> dict[str, Any]:
    """Apply one event's consequences (idempotent; the message may arrive more than once)."""
    return reconnecting(lambda: _handle_outbox(outbox_id))


def _handle_outbox(outbox_id: int) -> dict[str, Any]:
    s = settings()
    now = datetime.now(UTC)
    with UnitOfWork(engine()) as uow:
        done = handlers.handle_outbox_row(
            uow,
            outbox_id,
            today=now.date(),
            default_offsets=s.reminder_offsets,
            catchup_days=s.reminder_catchup_days,
            now=now,
        )
        uow.commit()
    if done is None:
        return {"outbox_id": outbox_id, "handled": False}
    return {"outbox_id": outbox_id, "scheduled": done.scheduled, "cancelled": done.cancelled}


@app.task(name="accord.send_notification")
def send_notification(notification_id: int) -> dict[str, Any]:
    """Send one notification; failures back off in the row, past the cap they dead-letter."""
    outcome = reconnecting(lambda: deliver(engine(), notification_id, mailer(), settings()))
    return {"id": notification_id, "status": outcome.status}


@app.task(name="accord.send_notifications")
def send_notifications(notification_ids: list[int]) -> dict[str, Any]:
    """Send several notifications, each as `send_notification` does, one after another; what
    is left when a third of the task's time limit is spent goes on in a new task."""
    s = settings()
    outcomes, left = deliver_batch(
        engine(), notification_ids, mailer(), s, budget_seconds=s.task_time_limit / 3
    )
    if left:
        send_notifications.delay(left)
    statuses = [o.status for o in outcomes]
    return {status: statuses.count(status) for status in set(statuses)} | {"left": len(left)}


@app.task(name="accord.noop")
def noop(n: int = 0) -> int:
    """Does nothing: the baseline of the throughput benchmark."""
    return n
