"""The permission table over the write routes: each write asks for its own action, and a role
bound to units writes only on its units' agreements (another unit's is a 404, audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.api.test_errors import problem
from tests.api.test_roles import OTHER, OWN, REF

NOTES = f"/api/v1/agreements/{REF}/notes"
ONE = f"/api/v1/agreements/{REF}"


def audited(engine: Engine) -> int:
    with engine.connect() as conn:
        found: int = conn.execute(text("SELECT count(*) FROM audit")).scalar_one()
    return found


def timeline(client: TestClient) -> list[Any]:
    found: list[Any] = client.get(f"{ONE}/history").json()
    return found


def test_a_coordinator_notes_and_edits_only_their_units_agreements(
    as_role: Callable[..., TestClient], engine: Engine
) -> None:
    own, other = as_role("coordinator", OWN), as_role("coordinator", OTHER)
    before, refusals = timeline(own), audited(engine)
    problem(other.post(NOTES, json={"text": "not mine"}), 404)
    version = own.get(ONE).json()["version"]
    problem(other.patch(ONE, json={"summary": "x"}, headers={"If-Match": f'"{version}"'}), 404)
    assert timeline(own) == before
    assert audited(engine) == refusals + 2
    assert own.post(NOTES, json={"text": "mine"}).status_code == 201
    edited = own.patch(ONE, json={"summary": "ours"}, headers={"If-Match": f'"{version}"'})
    assert edited.status_code == 200, edited.text


def test_each_write_asks_for_its_own_action(as_role: Callable[..., TestClient]) -> None:
    viewer, ops, coordinator = as_role("viewer"), as_role("ops"), as_role("coordinator", OWN)
    problem(viewer.post(NOTES, json={"text": "x"}), 403)
    problem(viewer.post("/api/v1/institutions", json={"slug": "x"}), 403)
    problem(coordinator.post("/api/v1/institutions", json={"slug": "x"}), 403)
    problem(coordinator.post("/api/v1/dead-letters/1/replay"), 403)
    # ops may replay dead letters (there is none: 404), not move or note.
    problem(ops.post("/api/v1/dead-letters/1/replay"), 404)
    problem(ops.post(NOTES, json={"text": "x"}), 403)


def test_bulk_moves_by_a_coordinator_stop_at_another_units_agreement(
    as_role: Callable[..., TestClient],
) -> None:
    other = as_role("coordinator", OTHER)
    before = timeline(other)
    body = {"trigger": "suspend", "ref": [REF], "comment": "not mine"}
    problem(other.post("/api/v1/bulk-moves", json=body), 404)
    assert timeline(other) == before
