"""/api/v1/dead-letters: the list as `accord dead-letters list --json`, and a replay that puts
the notification back in the queue once (a second replay, or of nothing, changes nothing)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from tests import factories
from tests.api.conftest import client_on, make_user
from tests.api.test_errors import problem
from tests.api.test_moves import headers
from tests.integration.test_cli_mail import TODAY, ok

WHO = headers(None)


def test_dead_letters_are_listed_and_replayed_once(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    factories.institutions(engine)
    factories.contacts(engine)
    factories.agreement(
        engine, "Nobody's MoU", expires=factories.TODAY + timedelta(days=30), coordinator=None,
        unit=None,
    )  # fmt: skip
    ok(db_url, home, f"reminders run {TODAY}")  # nobody to send to: dead letters
    token = make_user(engine, "ops@example.org", "ops", name="Olga Ops")
    with client_on(db_url, token) as client:
        listed = client.get("/api/v1/dead-letters").json()
        assert listed == ok(db_url, home, "dead-letters list --json").json()
        assert listed
        assert all(d["replayed_at"] is None for d in listed)
        first = listed[0]
        done = client.post(f"/api/v1/dead-letters/{first['id']}/replay", headers=WHO)
        assert done.status_code == 200, done.text
        assert done.json() == {
            "dead_letter_id": first["id"],
            "notification_id": first["notification_id"],
        }
        waiting = client.get("/api/v1/dead-letters").json()
        assert [d["id"] for d in waiting] == [d["id"] for d in listed[1:]]
        every = client.get("/api/v1/dead-letters", params={"all": True}).json()
        assert every == ok(db_url, home, "dead-letters list --all --json").json()
        [again] = [d for d in every if d["id"] == first["id"]]
        assert (again["replay_count"], again["replayed_at"] is not None) == (1, True)
        problem(client.post(f"/api/v1/dead-letters/{first['id']}/replay", headers=WHO), 422)
        problem(client.post("/api/v1/dead-letters/987654/replay", headers=WHO), 404)
        problem(client.post("/api/v1/dead-letters/x/replay", headers=WHO), 422)
        assert client.get("/api/v1/dead-letters", params={"all": True}).json() == every
