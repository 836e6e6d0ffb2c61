"""The role matrix over the routes there are: every role reads; a move is the role's and the
unit's (workflow/accounts/permissions.py), refused 403 (another role's move) or 404 (another
unit's agreement, as if it did not exist), each refusal in the audit table, nothing changed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from models.accounts import AuditEntry
from models.agreements import Agreement, AgreementEvent
from tests.api.test_errors import problem
from workflow.accounts.permissions import PERMISSIONS, ROLES, allowed
from workflow.uow import UnitOfWork

REF = "hust-rwth-mou"  # renewed, version 6, owned by HUST's Office of International Affairs
OWN, OTHER = "hust-oia", "hust-cse"
READS = [
    "/api/v1/me",
    "/api/v1/agreements?limit=3",
    f"/api/v1/agreements/{REF}",
    f"/api/v1/agreements/{REF}/history",
    f"/api/v1/agreements/{REF}/triggers",
    "/api/v1/units/hust-cse",
    "/api/v1/institutions",
    "/api/v1/people",
    "/api/v1/partnerships",
]


def test_the_table_names_only_the_roles_there_are() -> None:
    assert set(PERMISSIONS) == set(ROLES)
    assert allowed("admin", "anything at all")
    assert not allowed("viewer", "move:review")
    assert not allowed("nobody", "read")


def test_every_role_may_read_everything(as_role: Callable[..., TestClient]) -> None:
    for role in ROLES:
        client = as_role(role, OTHER) if role in ("coordinator", "approver") else as_role(role)
        for path in READS:
            assert client.get(path).status_code == 200, (role, path)


@pytest.mark.parametrize(
    ("role", "units", "trigger", "status"),
    [
        ("viewer", (), "suspend", 403),
        ("ops", (), "suspend", 403),
        ("coordinator", (OTHER,), "suspend", 404),
        ("coordinator", (OWN,), "suspend", 200),
        ("coordinator", (OWN,), "terminate", 403),
        ("approver", (OTHER,), "terminate", 404),
        ("approver", (OWN,), "terminate", 200),
        ("admin", (), "terminate", 200),
    ],
)
def test_a_move_is_the_roles_and_the_units(
    as_role: Callable[..., TestClient],
    engine: Engine,
    role: str,
    units: tuple[str, ...],
    trigger: str,
    status: int,
) -> None:
    client = as_role(role, *units)
    me = client.get("/api/v1/me").json()
    move = {"trigger": trigger, "comment": "the budget is under review"}
    response = client.post(
        f"/api/v1/agreements/{REF}/moves", json=move, headers={"If-Match": '"6"'}
    )
    assert response.status_code == status, response.text
    with UnitOfWork(engine) as uow:
        version = uow.conn.scalar(select(Agreement.version).where(Agreement.slug == REF))
        event = uow.session.scalars(
            select(AgreementEvent).order_by(AgreementEvent.id.desc()).limit(1)
        ).one()
        last = (event.actor, event.trigger, event.data)
        audited = [
            (a.who, a.action, a.outcome, a.user_id)
            for a in uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    if status == 200:
        assert version == 7
        assert last[:2] == (me["name"], trigger)
        assert (last[2]["actor_id"], last[2]["via"]) == (me["id"], "api")
        assert audited == []
        return
    body = problem(response, status)
    if status == 404:  # the words of an agreement that does not exist
        assert body["detail"] == problem(
            client.post("/api/v1/agreements/no-such/moves", json=move, headers={"If-Match": '"6"'}),
            404,
        )["detail"].replace("no-such", REF)
    assert version == 6
    assert audited[:1] == [
        (me["email"], f"POST /api/v1/agreements/{REF}/moves", str(status), me["id"])
    ]
