"""Failed sign-ins are limited per account and per client address, counted in the database:
two app instances (two API processes) share the count."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.api.conftest import PASSWORD, client_on, make_user
from tests.api.test_errors import problem
from workflow.accounts.sessions import failures_counted
from workflow.uow import UnitOfWork

EMAIL = "cora@example.org"


def attempt(client: TestClient, email: str, password: str) -> int:
    return int(client.post("/auth/login", json={"email": email, "password": password}).status_code)


def counted(engine: Engine) -> int:
    with UnitOfWork(engine) as uow:
        return failures_counted(uow, EMAIL)


def test_five_failures_in_two_processes_lock_the_account_with_retry_after(
    seeded: str, engine: Engine
) -> None:
    make_user(engine, EMAIL, "coordinator", ("hust-cse",))
    with client_on(seeded) as one, client_on(seeded) as two:
        statuses = [attempt(c, EMAIL, "wrong!") for c in (one, two, one, two, one)]
        assert statuses == [401] * 5
        assert counted(engine) == 5
        refused = two.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
        body = problem(refused, 429)
        wait = int(refused.headers["retry-after"])
        assert 0 < wait <= 15 * 60
        assert str(wait) in body["detail"]
        # The right password does not get past it either, and is not counted.
        assert counted(engine) == 5


def test_one_address_guessing_many_accounts_is_stopped_too(seeded: str, engine: Engine) -> None:
    make_user(engine, EMAIL, "coordinator")
    with client_on(seeded) as guesser:
        for n in range(5):
            assert attempt(guesser, f"someone{n}@example.org", "guess") == 401
        problem(guesser.post("/auth/login", json={"email": EMAIL, "password": PASSWORD}), 429)
