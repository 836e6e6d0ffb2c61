"""POST/PATCH /api/v1/institutions as `accord institutions add | edit --json`: If-Match on the
edit (428, 412), 422 naming the field, 404, 409 on a taken slug; a refusal changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN
from tests.api.test_errors import problem
from tests.api.test_moves import headers
from tests.integration.test_cli import ok

NEW = {"slug": "tu-delft", "name": "Delft University of Technology", "kind": "university",
       "country": "NL"}  # fmt: skip


def test_an_institution_is_added_and_edited_as_the_cli_shows_it(
    client: TestClient, seeded: str
) -> None:
    made = client.post("/api/v1/institutions", json=NEW, headers=headers(None))
    assert made.status_code == 201, made.text
    assert made.headers["location"] == "/api/v1/institutions/tu-delft"
    assert made.headers["etag"] == '"1"'
    assert made.json() == ok(seeded, "institutions show tu-delft --json").json()
    edited = client.patch(
        "/api/v1/institutions/tu-delft", json={"city": "Delft"}, headers=headers(1)
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["city"], edited.headers["etag"]) == ("Delft", '"2"')
    assert edited.json() == ok(seeded, "institutions show tu-delft --json").json()
    logged = ok(seeded, "institutions show tu-delft --history --json").json()["history"]
    assert {entry["actor"] for entry in logged} == {ADMIN}


def test_refused_institution_writes_change_nothing(client: TestClient, seeded: str) -> None:
    before = client.get("/api/v1/institutions").json()
    one = "/api/v1/institutions/ustb"
    version = client.get(one).json()["version"]
    problem(client.patch(one, json={"city": "X"}, headers=headers(None)), 428)
    problem(client.patch(one, json={"city": "X"}, headers=headers(version + 1)), 412)
    body = problem(client.patch(one, json={"founded": "old"}, headers=headers(version)), 422)
    assert body["errors"][0]["field"] == "founded"
    body = problem(client.patch(one, json={"country": "Narnia"}, headers=headers(version)), 422)
    assert body["errors"][0]["field"] == "country"
    problem(client.patch(one, json={}, headers=headers(version)), 422)
    problem(
        client.patch("/api/v1/institutions/nowhere", json={"city": "X"}, headers=headers(1)), 404
    )
    taken = client.post("/api/v1/institutions", json={**NEW, "slug": "ustb"}, headers=headers(None))
    assert taken.status_code in (409, 422), taken.text
    problem(
        client.post("/api/v1/institutions", json={**NEW, "colour": "x"}, headers=headers(None)), 422
    )
    assert client.get("/api/v1/institutions").json() == before
    assert client.get(one).json()["version"] == version


def test_a_unit_is_added_and_edited_and_a_stale_edit_refused(
    client: TestClient, seeded: str
) -> None:
    new = {"slug": "ustb-intl", "institution": "ustb", "name": "International Office",
           "kind": "office"}  # fmt: skip
    made = client.post("/api/v1/units", json=new, headers=headers(None))
    assert made.status_code == 201, made.text
    assert made.headers["location"] == "/api/v1/units/ustb-intl"
    assert made.json() == ok(seeded, "units show ustb-intl --json").json()
    one = "/api/v1/units/ustb-intl"
    edited = client.patch(one, json={"name": "Global Office"}, headers=headers(1))
    assert edited.status_code == 200, edited.text
    assert (edited.json()["name"], edited.headers["etag"]) == ("Global Office", '"2"')
    assert edited.json() == ok(seeded, "units show ustb-intl --json").json()
    problem(client.patch(one, json={"name": "X"}, headers=headers(None)), 428)
    problem(client.patch(one, json={"name": "X"}, headers=headers(1)), 412)
    body = problem(client.patch(one, json={"email": "not mail"}, headers=headers(2)), 422)
    assert body["errors"][0]["field"] == "email"
    missing = {**new, "slug": "ustb-x", "institution": "nowhere"}
    problem(client.post("/api/v1/units", json=missing, headers=headers(None)), 404)
    problem(client.patch("/api/v1/units/nowhere", json={"name": "X"}, headers=headers(1)), 404)
    assert client.get(one).json() == edited.json()
    problem(client.get("/api/v1/units/ustb-x"), 404)
