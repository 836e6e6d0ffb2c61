"""In-process API fixtures: the app from create_app on the seeded test database, on SQLite and
on PostgreSQL (the `db_url` fixture), driven by FastAPI's TestClient over real ASGI.

`client` is signed in as an administrator by a bearer token; `as_role` makes a user of any role
(with units) and a client signed in as them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from workflow.accounts.tokens import create_token
from workflow.accounts.users import add_user
from workflow.seeding.store import load_seed_file, seed
from workflow.settings import Settings
from workflow.uow import UnitOfWork

SEED = Path(__file__).resolve().parents[2] / "data" / "seed.toml"
DAY = date(2026, 11, 22)
PASSWORD = "a long enough password"
ADMIN = "Ana Admin"


@pytest.fixture
def seeded(engine: Engine, db_url: str) -> str:
    """The test database with data/seed.toml in it; its URL."""
    seed(engine, load_seed_file(SEED), today=DAY)
    return db_url


def make_user(
    engine: Engine, email: str, role: str, units: tuple[str, ...] = (), name: str | None = None
) -> str:
    """A user with PASSWORD, and a fresh bearer token of theirs."""
    add_user(
        UnitOfWork(engine), email, name=name or email, role=role, units=list(units),
        password=PASSWORD,
    )  # fmt: skip
    _, token = create_token(
        UnitOfWork(engine), email, name="tests", expires_days=None, now=datetime.now(UTC)
    )
    return token


def client_on(url: str, token: str | None = None, **settings: object) -> TestClient:
    """A client of a fresh app on `url` (over https, so Secure cookies travel), signed in by
    `token` when given; server errors come back as responses, as on a server."""
    app = create_app(Settings(database_url=url, **settings))  # type: ignore[arg-type]
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    if token is not None:
        client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture
def admin_token(seeded: str, engine: Engine) -> str:
    return make_user(engine, "ana@example.org", "admin", name=ADMIN)


@pytest.fixture
def client(seeded: str, admin_token: str) -> Iterator[TestClient]:
    """A client of the app on the seeded database, signed in as the administrator."""
    with client_on(seeded, admin_token) as c:
        yield c


@pytest.fixture
def as_role(seeded: str, engine: Engine) -> Iterator[Callable[..., TestClient]]:
    """`as_role(role, *units)`: a client signed in as a new user of that role and units."""
    opened: list[TestClient] = []

    def make(role: str, *units: str) -> TestClient:
        token = make_user(engine, f"{role}{len(opened)}@example.org", role, units)
        client = client_on(seeded, token).__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
