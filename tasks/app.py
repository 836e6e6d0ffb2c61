"""The Celery app, configured from settings; the embedded default broker needs no server."""

from __future__ import annotations

from typing import Any

from celery import Celery
from sqlalchemy.pool import NullPool

from workflow.settings import Settings


def configure(app: Celery, settings: Settings) -> None:
    """Apply Accord's Celery settings (see DESIGN.md, "Celery settings that matter")."""
    app.conf.update(
        broker_url=settings.resolved_broker_url(),
        # A task is acknowledged only once done; a worker killed mid-task gives it back.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        timezone="UTC",
        enable_utc=True,
        # Fire-and-forget: outcomes live in our tables, not in a result backend.
        task_ignore_result=True,
        task_time_limit=settings.task_time_limit,
        task_soft_time_limit=max(1, settings.task_time_limit - 10),
        broker_transport_options=_transport_options(settings),
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        worker_send_task_events=True,
        task_send_sent_event=True,
        task_default_queue="accord",
        beat_schedule={
            "sweep": {"task": "accord.sweep", "schedule": settings.sweep_interval},
            "relay": {"task": "accord.relay", "schedule": settings.relay_interval},
        },
    )


def _transport_options(settings: Settings) -> dict[str, Any]:
    url = settings.resolved_broker_url()
    if url.startswith(("sqla+", "sqlalchemy+")):
        # kombu's SQLAlchemy transport hands every option to create_engine(), which refuses
        # `visibility_timeout` (that transport has none). On SQLite: writers wait for the lock,
        # and no pooled connection is kept, so none crosses the prefork pool's fork().
        if "+sqlite" in url:
            return {"connect_args": {"timeout": 30}, "poolclass": NullPool}
        return {}
    options: dict[str, Any] = {"visibility_timeout": settings.visibility_timeout}
    if url.startswith(("redis://", "rediss://")):
        # Fail fast when Redis is down: the outbox keeps the work and retries with back-off.
        # interval_start=0: kombu's one retry comes at once, not after its default 2 s sleep,
        # which made a relay pass with Redis down take 2 s per row.
        options.update(socket_connect_timeout=3, socket_timeout=10, max_retries=1, interval_start=0)
    return options


def make_app(settings: Settings | None = None) -> Celery:
    """A Celery app for `settings` (read from the environment when not given)."""
    app = Celery("accord", include=["tasks.jobs"])
    configure(app, settings or Settings())
    return app


app = make_app()
