"""POST /api/v1/agreements/{ref}/moves: If-Match required (428), stale (412), refused (409),
bad input (422), and a move made through the same service as `accord agreements advance`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN
from tests.api.test_errors import problem
from tests.integration.test_cli import ok

REF = "hust-rwth-mou"  # renewed, version 6, in the seed
MOVES = f"/api/v1/agreements/{REF}/moves"
SUSPEND = {"trigger": "suspend", "comment": "paused while the budget is reviewed"}


def headers(version: int | str | None = 6) -> dict[str, str]:
    found = {}
    if version is not None:
        found["If-Match"] = f'"{version}"' if isinstance(version, int) else version
    return found


def state(client: TestClient) -> tuple[int, str, int]:
    """The agreement's version, state and number of events: what a refusal must leave alone."""
    shown = client.get(f"/api/v1/agreements/{REF}").json()
    events = client.get(f"/api/v1/agreements/{REF}/history").json()
    return shown["version"], shown["state"], len(events)


def test_a_move_is_made_recorded_and_tagged_with_the_new_version(
    client: TestClient, seeded: str
) -> None:
    response = client.post(MOVES, json=SUSPEND, headers=headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["etag"] == '"7"'
    assert {k: body[k] for k in ("slug", "trigger", "from_state", "to_state", "version")} == {
        "slug": REF, "trigger": "suspend", "from_state": "renewed", "to_state": "suspended",
        "version": 7,
    }  # fmt: skip
    assert body["agreement"] == ok(seeded, f"agreements show {REF} --json").json()
    last = ok(seeded, f"agreements history {REF} --json").json()[-1]
    assert (last["actor"], last["trigger"], last["comment"]) == (
        ADMIN,
        "suspend",
        SUSPEND["comment"],
    )
    assert last["seq"] == 7


def test_signing_takes_signatories_by_party(client: TestClient, seeded: str) -> None:
    move = {
        "trigger": "renew",
        "on": "2026-11-20",
        "until": "2031-11-20",
        "signatories": {"HUST": "You Zheng", "rwth": "Ulrich Rüdiger"},
    }
    response = client.post(MOVES, json=move, headers=headers())
    assert response.status_code == 200, response.text
    after = response.json()["agreement"]
    assert (after["expires_on"], after["term_no"]) == ("2031-11-20", 3)
    signed = {s["name"] for s in after["terms"][-1]["signatories"]}
    assert signed == {"You Zheng", "Ulrich Rüdiger"}


def test_without_if_match_nothing_moves_428(client: TestClient) -> None:
    before = state(client)
    body = problem(client.post(MOVES, json=SUSPEND, headers=headers(version=None)), 428)
    assert "If-Match" in body["detail"]
    assert state(client) == before


def test_a_stale_if_match_is_412_naming_who_changed_it_and_when(
    client: TestClient, seeded: str
) -> None:
    ok(seeded, f"agreements advance {REF} open_renewal --actor bea")
    before = state(client)
    body = problem(client.post(MOVES, json=SUSPEND, headers=headers(6)), 412)
    assert (body["version"], body["changed_by"]) == (7, "bea")
    recorded = ok(seeded, f"agreements history {REF} --json").json()[-1]["recorded_at"]
    moved_at = datetime.fromisoformat(recorded).replace(microsecond=0)
    assert datetime.fromisoformat(body["changed_at"]) == moved_at
    assert "bea" in body["detail"]
    assert body["changed_at"] in body["detail"]
    assert state(client) == before
    # The same request at the version now goes through; once, not twice.
    assert client.post(MOVES, json=SUSPEND, headers=headers(7)).status_code == 200
    problem(client.post(MOVES, json=SUSPEND, headers=headers(7)), 412)


def test_an_if_match_that_is_no_etag_of_ours_is_412(client: TestClient) -> None:
    before = state(client)
    for tag in ("*", "6", '"six"', 'W/"x"'):
        problem(client.post(MOVES, json=SUSPEND, headers=headers(tag)), 412)
    assert state(client) == before


def test_an_illegal_move_is_409_with_the_legal_triggers(client: TestClient) -> None:
    before = state(client)
    body = problem(client.post(MOVES, json={"trigger": "approve"}, headers=headers()), 409)
    legal = [
        t["trigger"] for t in client.get(f"/api/v1/agreements/{REF}/triggers").json()["triggers"]
    ]
    assert body["legal_triggers"] == legal
    assert "reason" not in body
    assert state(client) == before


def test_a_failed_guard_is_409_with_its_reason(client: TestClient) -> None:
    before = state(client)
    body = problem(client.post(MOVES, json={"trigger": "suspend"}, headers=headers()), 409)
    assert body["reason"] == "say why it is suspended: give it with --comment"
    assert "suspend" in body["legal_triggers"]
    assert state(client) == before


def test_bad_input_is_422_and_changes_nothing(client: TestClient) -> None:
    before = state(client)
    cases: list[tuple[dict[str, Any], dict[str, str], str | None]] = [
        ({**SUSPEND, "on": "2026-02-30"}, headers(), "on"),
        ({**SUSPEND, "until": "2030-01-01"}, headers(), "signatory"),
        ({**SUSPEND, "signatories": {"HUST": " "}}, headers(), "signatory"),
        ({**SUSPEND, "colour": "red"}, headers(), "colour"),
        ({"comment": "no trigger"}, headers(), "trigger"),
    ]
    for move, given, field in cases:
        body = problem(client.post(MOVES, json=move, headers=given), 422)
        assert [e.get("field") for e in body["errors"]] == [field], body
    problem(client.post(MOVES, content=b"{not json", headers=headers()), 422)
    assert state(client) == before


def test_a_move_on_nothing_is_404(client: TestClient) -> None:
    problem(client.post("/api/v1/agreements/nothing/moves", json=SUSPEND, headers=headers()), 404)
