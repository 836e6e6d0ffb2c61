"""Alembic environment: target the models' metadata; batch mode so SQLite can alter tables."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import Connection, func, pool, select

from models import Base, make_engine
from workflow.settings import get_settings

config = context.config
target_metadata = Base.metadata

# The key of the PostgreSQL advisory lock a migration holds for its transaction.
MIGRATE_LOCK = 0xA1E_3B1C


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url()


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _note_applied(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    # A caller that wants to know whether anything ran passes a list under "applied".
    applied = config.attributes.get("applied")
    if applied is not None:
        applied.append(step)


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        # One transaction on SQLite too: it starts with BEGIN IMMEDIATE, so a second migration
        # waits for the first and then reads the revision the first one left.
        transactional_ddl=True,
        on_version_apply=_note_applied,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Taken before Alembic reads the revision: two at once would both create the same
            # types and tables, and the loser would fail on pg_type's unique index.
            connection.execute(select(func.pg_advisory_xact_lock(MIGRATE_LOCK)))
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations in one transaction, on the caller's connection or a fresh one."""
    shared = config.attributes.get("connection")
    if shared is not None:
        _migrate(shared)
        return
    engine = make_engine(_url(), sqlite_foreign_keys=False, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _migrate(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
