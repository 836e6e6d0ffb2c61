"""GET /api/v1/reminders/due as `accord reminders due --json` (with `all`), and an agreement's
delivery log: every notification of it, whatever its status."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from tests import factories
from tests.api.conftest import client_on, make_user
from tests.api.test_errors import problem
from tests.integration.test_cli_mail import TODAY, ok


def test_due_and_deliveries_are_what_the_cli_shows(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    day = factories.TODAY.isoformat()
    factories.institutions(engine)
    factories.contacts(engine)
    expires = factories.TODAY + timedelta(days=30)
    mailed = factories.agreement(engine, "Mailed MoU", expires=expires)
    nobody = factories.agreement(
        engine, "Nobody's MoU", expires=expires, coordinator=None, unit=None
    )
    ok(db_url, home, f"reminders run {TODAY}")  # one sent, one dead, and what comes later
    token = make_user(engine, "ops@example.org", "ops", name="Olga Ops")
    with client_on(db_url, token) as client:
        for query, flag in (({}, ""), ({"all": True}, " --all")):
            found = client.get("/api/v1/reminders/due", params={"today": day, **query}).json()
            assert found == ok(db_url, home, f"reminders due {TODAY}{flag} --json").json()
        every = ok(db_url, home, "reminders due --today 2099-12-31 --all --json").json()
        for slug in (mailed, nobody):
            log = client.get(f"/api/v1/agreements/{slug}/deliveries").json()
            assert log == [n for n in every if n["agreement"] == slug]
            assert log, slug
        statuses = {
            n["status"] for n in client.get(f"/api/v1/agreements/{nobody}/deliveries").json()
        }
        assert "dead" in statuses
        sent = {n["status"] for n in client.get(f"/api/v1/agreements/{mailed}/deliveries").json()}
        assert "sent" in sent
        problem(client.get("/api/v1/agreements/nothing/deliveries"), 404)
        problem(client.get("/api/v1/reminders/due", params={"today": "2026-02-30"}), 422)
