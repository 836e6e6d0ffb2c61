"""POST/PATCH /api/v1/people and /api/v1/partnerships as `accord people|partnerships add | edit
--json`: If-Match on the edit (428, 412), 422 naming the field, 404; a refusal changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_errors import problem
from tests.api.test_moves import headers
from tests.integration.test_cli import ok

PERSON = {"slug": "jan-de-vries", "name": "Jan de Vries", "institution": "ustb",
          "email": "jan@ustb.example.org"}  # fmt: skip


def test_a_person_is_added_and_edited_as_the_cli_shows_them(
    client: TestClient, seeded: str
) -> None:
    made = client.post("/api/v1/people", json=PERSON, headers=headers(None))
    assert made.status_code == 201, made.text
    assert made.headers["location"] == "/api/v1/people/jan-de-vries"
    assert made.json() == ok(seeded, "people show jan-de-vries --json").json()
    one = "/api/v1/people/jan-de-vries"
    edited = client.patch(one, json={"title": "Professor"}, headers=headers(1))
    assert edited.status_code == 200, edited.text
    assert (edited.json()["title"], edited.headers["etag"]) == ("Professor", '"2"')
    assert edited.json() == ok(seeded, "people show jan-de-vries --json").json()
    problem(client.patch(one, json={"title": "X"}, headers=headers(None)), 428)
    problem(client.patch(one, json={"title": "X"}, headers=headers(1)), 412)
    body = problem(client.patch(one, json={"email": "nope"}, headers=headers(2)), 422)
    assert body["errors"][0]["field"] == "email"
    problem(client.patch(one, json={"active": "maybe"}, headers=headers(2)), 422)
    lost = {**PERSON, "slug": "x-y", "institution": "nowhere"}
    problem(client.post("/api/v1/people", json=lost, headers=headers(None)), 404)
    assert client.get(one).json() == edited.json()
    problem(client.get("/api/v1/people/x-y"), 404)


def test_a_partnership_is_added_and_edited_as_the_cli_shows_it(
    client: TestClient, seeded: str
) -> None:
    new = {"home": "heidelberg", "partner": "tohoku", "since": 2020, "slug": "hd-tohoku"}
    made = client.post("/api/v1/partnerships", json=new, headers=headers(None))
    assert made.status_code == 201, made.text
    assert made.headers["location"] == "/api/v1/partnerships/hd-tohoku"
    assert made.json() == ok(seeded, "partnerships show hd-tohoku --json").json()
    one = "/api/v1/partnerships/hd-tohoku"
    wanted = {"meeting_cadence": "annual", "meeting_month": 5}
    edited = client.patch(one, json=wanted, headers=headers(1))
    assert edited.status_code == 200, edited.text
    assert edited.headers["etag"] == '"2"'
    assert edited.json() == ok(seeded, "partnerships show hd-tohoku --json").json()
    problem(client.patch(one, json={"summary": "X"}, headers=headers(None)), 428)
    problem(client.patch(one, json={"summary": "X"}, headers=headers(1)), 412)
    body = problem(client.patch(one, json={"meeting_month": "May"}, headers=headers(2)), 422)
    assert body["errors"][0]["field"] == "meeting_month"
    problem(client.patch(one, json={"meeting_month": 13}, headers=headers(2)), 422)
    problem(
        client.patch("/api/v1/partnerships/none", json={"since": 2001}, headers=headers(1)), 404
    )
    assert client.get(one).json() == edited.json()
