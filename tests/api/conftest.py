"""In-process API fixtures: the app from create_app on the seeded test database, on SQLite and
on PostgreSQL (the `db_url` fixture), driven by FastAPI's TestClient over real ASGI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from workflow.seeding.store import load_seed_file, seed
from workflow.settings import Settings

SEED = Path(__file__).resolve().parents[2] / "data" / "seed.toml"
DAY = date(2026, 11, 22)


@pytest.fixture
def seeded(engine: Engine, db_url: str) -> str:
    """The test database with data/seed.toml in it; its URL."""
    seed(engine, load_seed_file(SEED), today=DAY)
    return db_url


def client_on(url: str) -> TestClient:
    """A client of a fresh app on `url`; server errors come back as responses, as on a server."""
    return TestClient(create_app(Settings(database_url=url)), raise_server_exceptions=False)


@pytest.fixture
def client(seeded: str) -> Iterator[TestClient]:
    """A client of the app on the seeded database; the app's engine is disposed after."""
    with client_on(seeded) as c:
        yield c
