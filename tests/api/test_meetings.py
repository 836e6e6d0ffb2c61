"""/api/v1/meetings: as `accord meetings list | schedule | reschedule | cancel --json`, plus the
meeting's .ics; bad input, a stale sequence and an unknown meeting change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.api.test_errors import problem
from tests.api.test_moves import headers
from tests.integration.test_cli import ok

WHO = headers(None)


def later(days: int) -> str:
    moment = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    return (moment + timedelta(days=days)).strftime("%Y-%m-%dT%H:%MZ")


def test_a_meeting_is_scheduled_moved_and_cancelled_as_the_cli_lists_it(
    client: TestClient, seeded: str
) -> None:
    wanted = {"partnership": "ustb-rwth", "at": later(40), "location": "Aachen"}
    response = client.post("/api/v1/meetings", json=wanted, headers=WHO)
    assert response.status_code == 201, response.text
    made = response.json()
    assert (made["status"], made["sequence"], made["location"]) == ("scheduled", 0, "Aachen")
    assert response.headers["location"] == f"/api/v1/meetings/{made['id']}"
    assert client.get("/api/v1/meetings").json() == ok(seeded, "meetings list --json").json()
    ics = client.get(f"/api/v1/meetings/{made['id']}.ics")
    assert ics.status_code == 200, ics.text
    assert ics.headers["content-type"].startswith("text/calendar")
    assert b"METHOD:REQUEST" in ics.content
    assert made["uid"].encode() in ics.content
    moved = client.post(
        f"/api/v1/meetings/{made['id']}/reschedule",
        json={"at": later(41), "expect_sequence": 0},
        headers=WHO,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["sequence"], moved.json()["uid"]) == (1, made["uid"])
    gone = client.post(f"/api/v1/meetings/{made['id']}/cancel", json={}, headers=WHO)
    assert gone.status_code == 200, gone.text
    assert (gone.json()["status"], gone.json()["sequence"]) == ("cancelled", 2)
    assert b"METHOD:CANCEL" in client.get(f"/api/v1/meetings/{made['id']}.ics").content
    assert client.get("/api/v1/meetings").json() == ok(seeded, "meetings list --json").json()


def test_bad_meeting_writes_change_nothing(
    client: TestClient, as_role: Callable[..., TestClient]
) -> None:
    made = client.post(
        "/api/v1/meetings", json={"partnership": "ustb-rwth", "at": later(40)}, headers=WHO
    ).json()
    before = client.get("/api/v1/meetings").json()
    cases = [
        ("/api/v1/meetings", {"partnership": "ustb-rwth", "at": "2027-01-15T09:00"}, 422, "at"),
        ("/api/v1/meetings", {"partnership": "ustb-rwth", "at": later(40)}, 422, None),  # clash
        ("/api/v1/meetings", {"partnership": "ustb-rwth", "at": later(9), "duration": 1}, 422,
         "duration"),
        ("/api/v1/meetings", {"partnership": "nowhere", "at": later(40)}, 404, None),
        (f"/api/v1/meetings/{made['id']}/reschedule", {"at": later(50), "expect_sequence": 3},
         412, None),
        (f"/api/v1/meetings/{made['id']}/reschedule", {"at": "soon"}, 422, "at"),
        ("/api/v1/meetings/987654/cancel", {}, 404, None),
        ("/api/v1/meetings/987654/reschedule", {"at": later(50)}, 404, None),
    ]  # fmt: skip
    for path, body, status, field in cases:
        found = problem(client.post(path, json=body, headers=WHO), status)
        if field is not None:
            assert found["errors"][0]["field"] == field, found
    # A viewer may read the meetings, not cancel one.
    viewer = as_role("viewer")
    problem(viewer.post(f"/api/v1/meetings/{made['id']}/cancel", json={}, headers=WHO), 403)
    assert client.get("/api/v1/meetings").json() == before
    problem(client.get("/api/v1/meetings/987654.ics"), 404)
