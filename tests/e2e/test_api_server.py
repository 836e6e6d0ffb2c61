"""`accord serve` as a real process on loopback, on SQLite and on PostgreSQL: a client reads,
pages, moves with If-Match and gets problem+json over real HTTP; SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.api.conftest import ADMIN, DAY, SEED, make_user
from tests.e2e.api_server import ApiServer
from tests.integration.test_cli import ok
from workflow.seeding.store import load_seed_file, seed


@pytest.fixture
def server(
    engine: Engine, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[ApiServer]:
    """The seeded test database served by `accord serve` (two workers on PostgreSQL)."""
    seed(engine, load_seed_file(SEED), today=DAY)
    token = make_user(engine, "ana@example.org", "admin", name=ADMIN)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(ACCORD_DATABASE_URL=db_url, ACCORD_HOME=str(tmp_path / "home"))
    extra = ["--workers", "2"] if db_url.startswith("postgresql") else []
    api = ApiServer(env, tmp_path / "serve.log", extra).start()
    api.token = token
    try:
        yield api
    finally:
        api.stop()


def test_a_client_reads_pages_and_moves_over_http(server: ApiServer, db_url: str) -> None:
    auth = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, timeout=30, headers=auth) as http:
        slugs, path = [], "/api/v1/agreements?limit=3&sort=slug"
        while path:
            page = http.get(path).raise_for_status().json()
            slugs += [a["slug"] for a in page["items"]]
            path = page["next"]
        assert slugs == sorted(slugs)
        assert len(slugs) == len(ok(db_url, "agreements list --json").json())

        shown = http.get("/api/v1/agreements/hust-rwth-mou")
        assert shown.status_code == 200
        tag = shown.headers["etag"]
        assert tag == f'"{shown.json()["version"]}"'

        move = {"trigger": "suspend", "comment": "budget review"}
        who: dict[str, str] = {}
        missing = http.post("/api/v1/agreements/hust-rwth-mou/moves", json=move, headers=who)
        assert (missing.status_code, missing.headers["content-type"]) == (
            428, "application/problem+json",
        )  # fmt: skip
        moved = http.post(
            "/api/v1/agreements/hust-rwth-mou/moves", json=move, headers={**who, "If-Match": tag}
        )
        assert moved.status_code == 200, moved.text
        assert moved.headers["etag"] == f'"{shown.json()["version"] + 1}"'
        again = http.post(
            "/api/v1/agreements/hust-rwth-mou/moves", json=move, headers={**who, "If-Match": tag}
        )
        assert again.status_code == 412
        assert again.json()["changed_by"] == ADMIN
        illegal = http.post(
            "/api/v1/agreements/hust-rwth-mou/moves",
            json={"trigger": "approve"},
            headers={**who, "If-Match": moved.headers["etag"]},
        )
        assert illegal.status_code == 409
        assert "resume" in illegal.json()["legal_triggers"]
        gone = http.get("/api/v1/agreements/no-such-thing")
        assert (gone.status_code, gone.headers["content-type"]) == (
            404, "application/problem+json",
        )  # fmt: skip
        assert http.get("/openapi.json").json()["info"]["title"] == "Accord"
        # No server software named to the client.
        assert "server" not in shown.headers
    # The CLI, on the same database, sees the move the API made.
    last = ok(db_url, "agreements history hust-rwth-mou --json").json()[-1]
    assert (last["actor"], last["trigger"], last["to_state"]) == (ADMIN, "suspend", "suspended")
    # SIGTERM: uvicorn finishes what it serves, shuts the app down (the engine is disposed),
    # then ends by the signal it was given, as a supervisor expects.
    assert server.stop() in (0, -signal.SIGTERM), server.tail()
    log = server.log.read_text()
    assert log.count("Application shutdown complete.") == (2 if "--workers" in server.extra else 1)
    assert "Traceback" not in log


def test_the_sign_in_limit_holds_across_two_server_processes(
    server: ApiServer, tmp_path: Path
) -> None:
    """Failures at one server count at the other: the count is the database's."""
    other = ApiServer(server.env, tmp_path / "other.log").start()
    try:
        wrong = {"email": "ana@example.org", "password": "not the password"}
        statuses = []
        for n in range(5):
            url = (server if n % 2 else other).url
            statuses.append(httpx.post(f"{url}/auth/login", json=wrong, timeout=30).status_code)
        assert statuses == [401] * 5
        refused = httpx.post(f"{server.url}/auth/login", json=wrong, timeout=30)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert httpx.post(f"{other.url}/auth/login", json=wrong, timeout=30).status_code == 429
    finally:
        other.stop()
