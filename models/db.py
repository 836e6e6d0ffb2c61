"""Engine and session factory; SQLite gets foreign keys and a busy timeout."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


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
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so a transaction really starts at begin().
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute(f"PRAGMA foreign_keys={'ON' if sqlite_foreign_keys else 'OFF'}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front: two writers queue instead of deadlocking.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=pre_ping, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
