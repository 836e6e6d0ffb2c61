"""PATCH /api/v1/agreements/{ref} (the edit) and POST /api/v1/agreements (a proposal): the
services `accord agreements edit | new` call, If-Match on the edit, nothing changed on refusal."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN
from tests.api.test_errors import problem
from tests.api.test_moves import REF, headers, state
from tests.integration.test_cli import ok

ONE = f"/api/v1/agreements/{REF}"
PROPOSAL = {"home": "hust", "partner": "ustb", "kind": "mou", "title": "Joint summer school"}


def test_an_edit_is_recorded_and_answers_with_the_new_version(
    client: TestClient, seeded: str
) -> None:
    response = client.patch(
        ONE, json={"title": "Renamed MoU", "summary": "Exchange."}, headers=headers()
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["etag"] == f'"{body["version"]}"' == '"7"'
    assert {c["field"]: c["after"] for c in body["changes"]} == {
        "title": "Renamed MoU",
        "summary": "Exchange.",
    }
    assert body["agreement"] == ok(seeded, f"agreements show {REF} --json").json()
    last = ok(seeded, f"agreements history {REF} --json").json()[-1]
    assert (last["actor"], last["changes"]) == (ADMIN, body["changes"])


def test_an_edit_that_changes_nothing_writes_nothing(client: TestClient) -> None:
    title = client.get(ONE).json()["title"]
    before = state(client)
    response = client.patch(ONE, json={"title": title}, headers=headers())
    assert response.status_code == 200, response.text
    assert (response.json()["changes"], response.headers["etag"]) == ([], '"6"')
    assert state(client) == before


def test_an_edit_without_if_match_is_428_and_a_stale_one_412(
    client: TestClient, seeded: str
) -> None:
    before = state(client)
    problem(client.patch(ONE, json={"title": "X"}, headers=headers(version=None)), 428)
    assert state(client) == before
    ok(seeded, f"agreements edit {REF} --expect-version 6 --summary 'by bea' --actor bea")
    before = state(client)
    body = problem(client.patch(ONE, json={"title": "X"}, headers=headers(6)), 412)
    assert (body["version"], body["changed_by"]) == (7, "bea")
    assert state(client) == before


def test_a_bad_edit_is_422_naming_the_field_and_changes_nothing(client: TestClient) -> None:
    before = state(client)
    cases: list[tuple[dict[str, Any], str | None]] = [
        ({"colour": "red"}, "colour"),
        ({"notice_days": "many"}, "notice_days"),
        ({}, None),
        ({"renewal_type": "sometimes"}, None),
        ({"coordinator": "nobody-at-all"}, None),
        ({"notice_days": 90}, None),  # signed: changed only by a move
    ]
    for edit, field in cases:
        response = client.patch(ONE, json=edit, headers=headers())
        assert response.status_code in (404, 422), (edit, response.text)
        if response.status_code == 422:
            body = problem(response, 422)
            assert body["errors"][0].get("field") == field, body
    assert state(client) == before


def test_an_edit_of_nothing_is_404(client: TestClient) -> None:
    response = client.patch("/api/v1/agreements/nothing", json={"title": "X"}, headers=headers())
    problem(response, 404)


def test_a_proposal_is_201_with_location_and_etag_as_the_cli_shows_it(
    client: TestClient, seeded: str
) -> None:
    response = client.post("/api/v1/agreements", json=PROPOSAL, headers=headers(None))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["state"], body["title"], body["version"]) == ("proposed", PROPOSAL["title"], 1)
    assert response.headers["location"] == f"/api/v1/agreements/{body['slug']}"
    assert response.headers["etag"] == '"1"'
    assert body == ok(seeded, f"agreements show {body['slug']} --json").json()
    assert client.get(response.headers["location"]).json() == body
    first = ok(seeded, f"agreements history {body['slug']} --json").json()[0]
    assert first["actor"] == ADMIN


def test_a_bad_proposal_is_refused_and_adds_nothing(client: TestClient, seeded: str) -> None:
    count = len(ok(seeded, "agreements list --json").json())
    cases: list[tuple[dict[str, Any], int, str | None]] = [
        ({**PROPOSAL, "kind": "treaty"}, 422, None),
        ({**PROPOSAL, "slug": "Not A Slug"}, 422, "slug"),
        ({**PROPOSAL, "proposed_on": "2026-13-01"}, 422, "proposed_on"),
        ({k: v for k, v in PROPOSAL.items() if k != "title"}, 422, "title"),
        ({**PROPOSAL, "partner": "atlantis"}, 404, None),
    ]
    for given, status, field in cases:
        body = problem(client.post("/api/v1/agreements", json=given, headers=headers(None)), status)
        if field is not None:
            assert body["errors"][0]["field"] == field, body
    assert len(ok(seeded, "agreements list --json").json()) == count
