"""Engine and session factory; SQLite gets foreign keys and a busy timeout; one retry on a dead
connection for the worker."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
T = TypeVar("T")
_SQLITE_TIMEOUT = 30.0  # seconds a SQLite connection waits for another one's lock


def make_engine(
    url: str, *, sqlite_foreign_keys: bool = True, pre_ping: bool = True, **kwargs: Any
) -> Engine:
    """An engine for `url`; SQLite connections enforce foreign keys and wait on locks.

    Migrations pass `sqlite_foreign_keys=False`: Alembic's batch mode rebuilds a SQLite table by
    copy-and-rename, which enforced foreign keys would refuse on a table that has rows.
    `pre_ping` tests a pooled server connection before each use (one round trip); the worker
    turns it off and retries a task whose connection turned out dead instead (tasks/jobs.py).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": _SQLITE_TIMEOUT}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so a transaction really starts at begin().
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute(f"PRAGMA foreign_keys={'ON' if sqlite_foreign_keys else 'OFF'}")
            _write_ahead_log(cursor)
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front: two writers queue instead of deadlocking.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=pre_ping, **kwargs)


def _write_ahead_log(cursor: Any) -> None:
    """Put the file in WAL mode, which it then keeps. Switching needs the file to itself, and
    SQLite answers "database is locked" at once, without waiting out the busy timeout, when
    two connections switch a new file together (two `accord db upgrade` at once): try again,
    for as long as the timeout a lock is waited for."""
    deadline = time.monotonic() + _SQLITE_TIMEOUT
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def reconnecting(work: Callable[[], T]) -> T:
    """Run `work`; when it failed because a pooled connection had died (the database restarted
    since), run it once more: SQLAlchemy has invalidated the pool, so the second run connects
    afresh.

    This is the optimistic disconnect handling SQLAlchemy documents, in place of `pool_pre_ping`,
    which costs a round trip per task: about 9% of a mail task's time in the worker, measured.
    The worker's work (tasks/jobs.py) is safe to run twice: the sweep and the handlers are
    idempotent, a relay publishes at least once, and a mail's second run finds its row sent or
    sends it with the same Message-ID, inside the duplicate window of workflow/notices/delivery.py.
    """
    try:
        return work()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        log.warning("the database connection had dropped (%s); running the task again", exc.orig)
        return work()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
