"""POST /api/v1/bulk-moves: per-item outcomes as `accord agreements advance-many --json`,
dry_run changing nothing, a bad choice refused before anything moves."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN
from tests.api.test_errors import problem
from tests.api.test_moves import REF, headers
from tests.integration.test_cli import run_cli

BULK = "/api/v1/bulk-moves"


def unsuspendable(client: TestClient) -> str:
    """A seeded agreement from whose state `suspend` is no legal move."""
    for a in client.get("/api/v1/agreements", params={"limit": 200}).json()["items"]:
        legal = client.get(f"/api/v1/agreements/{a['slug']}/triggers").json()["triggers"]
        if "suspend" not in {t["trigger"] for t in legal}:
            return str(a["slug"])
    raise AssertionError("the seed has no agreement that cannot be suspended")


def versions(client: TestClient) -> list[tuple[str, str, int]]:
    items = client.get("/api/v1/agreements", params={"limit": 200}).json()["items"]
    return [(a["slug"], a["state"], a["version"]) for a in items]


def test_each_agreement_is_moved_or_refused_on_its_own(client: TestClient, seeded: str) -> None:
    other = unsuspendable(client)
    move: dict[str, Any] = {"trigger": "suspend", "ref": [REF, other], "comment": "audit"}
    before = versions(client)
    dry = client.post(BULK, json={**move, "dry_run": True}, headers=headers(None))
    assert dry.status_code == 200, dry.text
    cli = run_cli(seeded, f"agreements advance-many suspend --ref {REF} --ref {other} "
                  "--comment audit --dry-run --json")  # fmt: skip
    assert dry.json() == cli.json()
    assert [i["outcome"] for i in dry.json()] == ["would move", "would be refused"]
    assert versions(client) == before
    done = client.post(BULK, json=move, headers=headers(None))
    assert done.status_code == 200, done.text
    found = done.json()
    assert [(i["slug"], i["outcome"], i["to_state"]) for i in found] == [
        (REF, "moved", "suspended"),
        (other, "refused", None),
    ]
    assert found[1]["reason"]
    last = run_cli(seeded, f"agreements history {REF} --json").json()[-1]
    assert (last["trigger"], last["actor"]) == ("suspend", ADMIN)
    moved = {REF: ("suspended", 7)}
    assert versions(client) == [(s, *moved.get(s, (st, v))) for s, st, v in before]


def test_a_bad_choice_moves_nothing(client: TestClient) -> None:
    before = versions(client)
    base = {"trigger": "suspend", "comment": "audit"}
    cases: list[tuple[dict[str, Any], int, str | None]] = [
        (base, 422, None),  # neither refs nor filters
        ({**base, "ref": [REF], "kind": "mou"}, 422, None),
        ({**base, "ref": [REF], "today": "2026-11-01"}, 422, "today"),
        ({**base, "trigger": "fly", "ref": [REF]}, 422, None),
        ({**base, "ref": [REF], "on": "someday"}, 422, "on"),
        ({**base, "kind": "mou", "signed_after": "2026-99-01"}, 422, "signed_after"),
        ({**base, "ref": [REF], "colour": "red"}, 422, "colour"),
        ({**base, "ref": ["nothing"]}, 404, None),
        ({**base, "state": "suspended"}, 404, None),
    ]
    for given, status, field in cases:
        body = problem(client.post(BULK, json=given, headers=headers(None)), status)
        if field is not None:
            assert body["errors"][0]["field"] == field, body
    assert versions(client) == before
