"""Sign-in: the session cookie (flags, rotation, sign-out, timeouts), bearer tokens (revoked or
expired: refused at once), a disabled user locked out at once, and 401 for no one."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from models.accounts import ApiToken, AuditEntry, AuthSession
from tests.api.conftest import PASSWORD, client_on, make_user
from tests.api.test_errors import problem
from tests.integration.test_cli import ok
from workflow.accounts.secrets import digest
from workflow.accounts.tokens import revoke_token
from workflow.accounts.users import set_disabled, set_password
from workflow.uow import UnitOfWork

COOKIE = "__Host-accord_session"
EMAIL = "cora@example.org"
ME = "/api/v1/me"


def login(client: TestClient, email: str = EMAIL, password: str = PASSWORD) -> str:
    """Sign in; the session id the cookie now holds."""
    response = client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.cookies[COOKIE])


@pytest.fixture
def cora(seeded: str, engine: Engine) -> str:
    """A coordinator of HUST's school of computing; their bearer token."""
    return make_user(engine, EMAIL, "coordinator", ("hust-cse",), name="Cora Coordinator")


def test_every_api_route_needs_a_user_and_each_refusal_is_audited(
    seeded: str, engine: Engine, cora: str
) -> None:
    with client_on(seeded) as anonymous:
        for path in (ME, "/api/v1/agreements", "/api/v1/units/hust-cse"):
            response = anonymous.get(path)
            problem(response, 401)
            assert response.headers["www-authenticate"].startswith("Bearer")
        problem(anonymous.get(ME, headers={"Authorization": "Bearer acc_guessed"}), 401)
        assert anonymous.get("/api/v1/health").status_code == 200  # compose's health check
    with UnitOfWork(engine) as uow:
        rows = uow.session.query(AuditEntry).order_by(AuditEntry.id).all()
        assert [(r.who, r.action, r.outcome) for r in rows] == [
            ("anonymous", f"GET {ME}", "401"),
            ("anonymous", "GET /api/v1/agreements", "401"),
            ("anonymous", "GET /api/v1/units/hust-cse", "401"),
            ("anonymous", f"GET {ME}", "401"),
        ]
        assert rows[0].client == "testclient"
    assert "GET /api/v1/agreements" in ok(seeded, "audit list").out


def test_a_sign_in_sets_a_host_only_secure_cookie_with_a_new_id_each_time(
    seeded: str, cora: str
) -> None:
    with client_on(seeded) as browser:
        response = browser.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert response.status_code == 200
        assert response.json()["units"] == ["hust-cse"]
        header = response.headers["set-cookie"]
        assert header.startswith(f"{COOKIE}=")
        flags = {part.strip().lower() for part in header.split(";")[1:]}
        assert {"httponly", "secure", "samesite=lax", "path=/"} <= flags
        assert not any(f.startswith("domain") for f in flags)
        first = response.cookies[COOKIE]
        me = browser.get(ME).json()
        assert (me["email"], me["name"], me["role"]) == (EMAIL, "Cora Coordinator", "coordinator")
        # Signing in again rotates the id; the session the browser held before is revoked.
        second = login(browser)
        assert second != first
        with client_on(seeded) as other:
            other.cookies.set(COOKIE, first)
            problem(other.get(ME), 401)
            other.cookies.set(COOKIE, second)
            assert other.get(ME).status_code == 200
        # Signing out revokes the session in the database, not only in this browser.
        assert browser.post("/auth/logout").status_code == 204
        with client_on(seeded) as other:
            other.cookies.set(COOKIE, second)
            problem(other.get(ME), 401)


def test_a_planted_session_id_is_not_adopted_at_sign_in(seeded: str, cora: str) -> None:
    with client_on(seeded) as browser:
        browser.cookies.set(COOKIE, "chosen-by-an-attacker")
        assert login(browser) != "chosen-by-an-attacker"


def test_sessions_end_after_the_idle_and_the_absolute_timeouts(
    seeded: str, engine: Engine, cora: str
) -> None:
    """ACCORD_SESSION_IDLE_MINUTES and ACCORD_SESSION_MAX_HOURS, read by the app's settings."""
    with client_on(seeded, session_idle_minutes=5, session_max_hours=1) as browser:
        session_id = login(browser)
        row = AuthSession.id_hash == digest(session_id)
        with engine.begin() as conn:  # last used 6 minutes ago: idle too long
            conn.execute(
                update(AuthSession)
                .where(row)
                .values(last_seen_at=datetime.now(UTC) - timedelta(minutes=6))
            )
        problem(browser.get(ME), 401)
        session_id = login(browser)
        row = AuthSession.id_hash == digest(session_id)
        with engine.begin() as conn:  # used a minute ago, but signed in 61 minutes ago
            conn.execute(
                update(AuthSession)
                .where(row)
                .values(
                    created_at=datetime.now(UTC) - timedelta(minutes=61),
                    last_seen_at=datetime.now(UTC) - timedelta(minutes=1),
                )
            )
        problem(browser.get(ME), 401)
        login(browser)
        assert browser.get(ME).status_code == 200


def test_a_revoked_or_expired_token_is_refused_at_once(
    seeded: str, engine: Engine, cora: str
) -> None:
    with client_on(seeded, cora) as script:
        assert script.get(ME).status_code == 200
        with UnitOfWork(engine) as uow:
            token = uow.session.query(ApiToken).one()
            assert token.last_used_at is not None  # its use is recorded
            assert token.token_hash == digest(cora)  # only the hash is kept
            token_id = token.id
        revoke_token(UnitOfWork(engine), token_id, now=datetime.now(UTC))
        problem(script.get(ME), 401)
    fresh = make_user(engine, "eve@example.org", "viewer")
    with client_on(seeded, fresh) as script:
        assert script.get(ME).status_code == 200
        with engine.begin() as conn:
            conn.execute(
                update(ApiToken)
                .where(ApiToken.token_hash == digest(fresh))
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        problem(script.get(ME), 401)


def test_a_disabled_user_is_locked_out_of_sessions_and_tokens_at_once(
    seeded: str, engine: Engine, cora: str
) -> None:
    with client_on(seeded) as browser, client_on(seeded, cora) as script:
        login(browser)
        assert browser.get(ME).status_code == script.get(ME).status_code == 200
        set_disabled(UnitOfWork(engine), EMAIL, True, now=datetime.now(UTC))
        problem(browser.get(ME), 401)
        problem(script.get(ME), 401)
        response = browser.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
        problem(response, 401)
        set_disabled(UnitOfWork(engine), EMAIL, False, now=datetime.now(UTC))
        assert script.get(ME).status_code == 200  # the token works again; the session does not
        problem(browser.get(ME), 401)


def test_a_new_password_signs_out_every_session(seeded: str, engine: Engine, cora: str) -> None:
    with client_on(seeded) as browser:
        login(browser)
        set_password(UnitOfWork(engine), EMAIL, "another long password", now=datetime.now(UTC))
        problem(browser.get(ME), 401)
        problem(browser.post("/auth/login", json={"email": EMAIL, "password": PASSWORD}), 401)
        login(browser, password="another long password")


def test_an_unknown_email_and_a_wrong_password_get_the_same_answer_in_the_same_time(
    seeded: str, cora: str
) -> None:
    with client_on(seeded) as browser:
        answers, times = {}, {}
        for email in (EMAIL, "nobody@example.org"):
            started = time.perf_counter()
            response = browser.post("/auth/login", json={"email": email, "password": "wrong one!"})
            times[email] = time.perf_counter() - started
            answers[email] = (response.status_code, response.json()["detail"], response.cookies)
        assert answers[EMAIL] == answers["nobody@example.org"]
        assert answers[EMAIL][0] == 401
        # Both verify an Argon2 hash (the unknown one a dummy): neither is fast.
        slow, fast = max(times.values()), min(times.values())
        assert fast > slow / 4, times
