"""Alembic on fresh, empty databases: up, down, up again, and no drift from the models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import migrations
from models import Base
from tests.conftest import PG_ADMIN_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nothing has touched: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"accord_migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def leftovers(url: str) -> dict[str, list[str]]:
    """Tables, views, triggers and functions in the database, besides Alembic's own table."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = {
                "tables": sorted(set(inspect(conn).get_table_names()) - {"alembic_version"}),
                "views": sorted(inspect(conn).get_view_names()),
            }
            if engine.dialect.name == "postgresql":
                found["triggers"] = sorted(
                    conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
                    .scalars()
                    .all()
                )
                found["functions"] = sorted(
                    conn.execute(
                        text(
                            "SELECT proname FROM pg_proc JOIN pg_namespace n "
                            "ON n.oid = pronamespace WHERE nspname = 'public'"
                        )
                    )
                    .scalars()
                    .all()
                )
            else:
                found["triggers"] = sorted(
                    conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
                    .scalars()
                    .all()
                )
            return found
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_without_drift(empty_url: str) -> None:
    cfg = migrations.config(empty_url)
    assert leftovers(empty_url)["tables"] == []

    command.upgrade(cfg, "head")
    # `check` raises when the models and the migrated schema differ.
    command.check(cfg)
    first = leftovers(empty_url)
    assert set(first["tables"]) == set(Base.metadata.tables)
    assert "agreement_events_no_update" in first["triggers"]
    assert "directory_changes_no_update" in first["triggers"]
    assert "agreement_notes_no_update" in first["triggers"]

    command.downgrade(cfg, "base")
    assert leftovers(empty_url) == {key: [] for key in first}, (
        "downgrade to base left objects behind"
    )

    command.upgrade(cfg, "head")
    command.check(cfg)
    assert leftovers(empty_url) == first


def test_0005_gives_existing_institutions_an_empty_time_zone_and_takes_it_away_again(
    empty_url: str,
) -> None:
    cfg = migrations.config(empty_url)
    command.upgrade(cfg, "0004")
    engine = create_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO institutions (slug, name, kind, country, city) "
                    "VALUES ('hust', 'HUST', 'university', 'CN', 'Wuhan')"
                )
            )
        engine.dispose()
        command.upgrade(cfg, "0005")
        with engine.connect() as conn:
            # Unknown, not UTC: `accord seed` fills it from the seed file (see README).
            rows = conn.execute(text("SELECT slug, city, time_zone FROM institutions")).all()
        assert [tuple(r) for r in rows] == [("hust", "Wuhan", None)]
        engine.dispose()

        command.downgrade(cfg, "0004")
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("institutions")}
            rows = conn.execute(text("SELECT slug, city FROM institutions")).all()
        assert "time_zone" not in columns
        assert [tuple(r) for r in rows] == [("hust", "Wuhan")]
    finally:
        engine.dispose()


def test_0008_starts_existing_records_at_version_1_and_in_use(empty_url: str) -> None:
    cfg = migrations.config(empty_url)
    command.upgrade(cfg, "0007")
    engine = create_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO institutions (slug, name, kind, country) "
                    "VALUES ('hust', 'HUST', 'university', 'CN')"
                )
            )
            conn.execute(
                text("INSERT INTO people (slug, name, institution_id) VALUES ('ann', 'Ann', 1)")
            )
        engine.dispose()
        command.upgrade(cfg, "0008")
        with engine.connect() as conn:
            institution = conn.execute(
                text("SELECT slug, website, active, version FROM institutions")
            ).one()
            person = conn.execute(text("SELECT slug, active, version FROM people")).one()
        assert (institution.slug, institution.website, bool(institution.active)) == (
            "hust",
            None,
            True,
        )
        assert (institution.version, person.version, bool(person.active)) == (1, 1, True)
        engine.dispose()

        command.downgrade(cfg, "0007")
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("institutions")}
            rows = conn.execute(text("SELECT slug FROM institutions")).all()
        assert not {"website", "active", "version"} & columns
        assert [tuple(r) for r in rows] == [("hust",)]
    finally:
        engine.dispose()
