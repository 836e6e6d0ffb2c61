"""Notes and follow-ups over HTTP, as `accord agreements note | follow-up | follow-ups | done`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN
from tests.api.test_errors import problem
from tests.api.test_moves import REF, headers, state
from tests.integration.test_cli import ok

OWNER = "alexander-heinzel"
FOLLOW_UPS = f"/api/v1/agreements/{REF}/follow-ups"


def due() -> str:
    return (datetime.now(UTC).date() + timedelta(days=3)).isoformat()


def test_a_note_is_in_the_timeline_and_the_version_stays(client: TestClient, seeded: str) -> None:
    response = client.post(
        f"/api/v1/agreements/{REF}/notes", json={"text": "Called RWTH."}, headers=headers(None)
    )
    assert response.status_code == 201, response.text
    added = response.json()
    assert (added["actor"], added["text"], added["agreement"]) == (ADMIN, "Called RWTH.", REF)
    timeline = ok(seeded, f"agreements history {REF} --json").json()
    assert {k: v for k, v in added.items() if k != "agreement"} == timeline[-1]
    assert client.get(f"/api/v1/agreements/{REF}").json()["version"] == 6


def test_a_follow_up_is_set_listed_and_done_as_the_cli_lists_it(
    client: TestClient, seeded: str
) -> None:
    wanted = {"text": "Send the annex", "due": due(), "owner": OWNER}
    response = client.post(FOLLOW_UPS, json=wanted, headers=headers(None))
    assert response.status_code == 201, response.text
    added = response.json()
    assert (added["status"], added["owner"], added["created_by"]) == ("open", OWNER, ADMIN)
    listed = client.get(FOLLOW_UPS).json()
    assert listed == ok(seeded, f"agreements follow-ups {REF} --json").json()
    assert added in listed
    marked = client.post(f"/api/v1/follow-ups/{added['id']}/done", headers=headers(None))
    assert marked.status_code == 200, marked.text
    assert (marked.json()["status"], marked.json()["done_by"]) == ("done", ADMIN)
    assert (
        client.get(FOLLOW_UPS, params={"open": True}).json()
        == ok(seeded, f"agreements follow-ups {REF} --open --json").json()
    )
    assert added["id"] not in {f["id"] for f in client.get(FOLLOW_UPS, params={"open": 1}).json()}


def test_bad_notes_and_follow_ups_are_refused_and_add_nothing(
    client: TestClient, seeded: str
) -> None:
    before = state(client), client.get(FOLLOW_UPS).json()
    notes = f"/api/v1/agreements/{REF}/notes"
    body = problem(client.post(notes, json={"text": " "}, headers=headers(None)), 422)
    assert body["errors"]
    problem(client.post(notes, json={}, headers=headers(None)), 422)
    base = {"text": "Send the annex", "due": due(), "owner": OWNER}
    body = problem(
        client.post(FOLLOW_UPS, json={**base, "due": "2020-01-01"}, headers=headers(None)), 422
    )
    assert body["errors"][0]["field"] == "due"
    body = problem(
        client.post(FOLLOW_UPS, json={**base, "due": "soon"}, headers=headers(None)), 422
    )
    assert body["errors"][0]["field"] == "due"
    problem(client.post(FOLLOW_UPS, json={**base, "owner": "nobody"}, headers=headers(None)), 404)
    assert (state(client), client.get(FOLLOW_UPS).json()) == before


def test_notes_and_follow_ups_on_nothing_are_404(client: TestClient) -> None:
    problem(
        client.post("/api/v1/agreements/nothing/notes", json={"text": "x"}, headers=headers(None)),
        404,
    )
    problem(client.get("/api/v1/agreements/nothing/follow-ups"), 404)
    problem(client.post("/api/v1/follow-ups/987654/done", headers=headers(None)), 404)
    problem(client.post("/api/v1/follow-ups/abc/done", headers=headers(None)), 404)
