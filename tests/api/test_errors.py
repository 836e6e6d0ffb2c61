"""Every error is RFC 9457 problem+json with what the client needs, and none leaks internals."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from tests.api.conftest import client_on

PROBLEM = "application/problem+json"


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem body of `response`, checked to be one of `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert body["detail"]
    assert body["title"]
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/agreements/no-such-agreement",
        "/api/v1/agreements/no-such-agreement/history",
        "/api/v1/agreements/no-such-agreement/triggers",
        "/api/v1/agreements/987654",
        "/api/v1/institutions/nowhere",
        "/api/v1/units/nowhere",
        "/api/v1/people/nobody",
        "/api/v1/partnerships/nowhere",
        "/api/v1/agreements?partner=atlantis",
        "/api/v1/agreements?coordinator=nobody-at-all",
        "/api/v1/units?institution=nowhere",
        "/api/v1/no-such-route",
    ],
)
def test_what_does_not_exist_is_a_404_problem(client: TestClient, path: str) -> None:
    body = problem(client.get(path), 404)
    assert body["type"] in ("/problems/not-found", "about:blank")


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("sort=bogus", "sort", "sort by one of id, slug"),
        ("after=not-a-cursor", "after", "not a cursor this listing printed"),
        ("signed_after=2021-02-30", "signed_after", "is not a real date"),
        ("signed_after=2024-01-01&signed_before=2020-01-01", "signed_after", "swap them"),
        ("today=3000-01-01", "today", "2200-12-31"),
        ("q=%20", "q", "--q is empty"),
        ("expiring_within=-1", "expiring_within", "0 or more days"),
        ("state=dormant", None, "unknown state 'dormant'"),
        ("kind=treaty", None, "treaty"),
        ("expiring_within=soon", "expiring_within", "valid integer"),
        ("limit=0", "limit", "greater than or equal to 1"),
    ],
)
def test_invalid_input_is_a_422_problem_naming_the_field(
    client: TestClient, query: str, field: str | None, words: str
) -> None:
    body = problem(client.get(f"/api/v1/agreements?{query}"), 422)
    assert body["type"] == "/problems/invalid-input"
    assert words in body["detail"]
    (error,) = body["errors"]
    assert error.get("field") == field
    assert words in error["message"]


def test_a_cursor_for_another_sort_is_refused(client: TestClient) -> None:
    cursor = client.get("/api/v1/agreements?limit=2&sort=slug").json()["next"].split("after=")[1]
    body = problem(client.get(f"/api/v1/agreements?limit=2&sort=id&after={cursor}"), 422)
    assert "made for --sort slug" in body["detail"]


def test_a_title_piece_several_titles_hold_is_refused_naming_them(client: TestClient) -> None:
    body = problem(client.get("/api/v1/agreements/memorandum"), 422)
    assert "several agreements" in body["detail"]


def test_a_method_the_route_lacks_is_a_405_problem(client: TestClient) -> None:
    response = client.delete("/api/v1/agreements/hust-rwth-mou")
    problem(response, 405)
    assert "GET" in response.headers["allow"]


# Hostile or odd references: never a 5xx, on any route, on either database.
ODD = [
    "'; DROP TABLE agreements; --",
    "9" * 40,
    "2147483648",
    "-1",
    "%00",
    "..%2F..%2Fetc",
    "ü" * 300,
]


@pytest.mark.parametrize("ref", ODD)
def test_odd_references_are_answered_not_failed(client: TestClient, ref: str) -> None:
    for route in ("agreements", "institutions", "units", "people", "partnerships"):
        response = client.get(f"/api/v1/{route}/{ref}")
        assert response.status_code in (404, 422), (route, ref, response.text)
        assert response.headers["content-type"] == PROBLEM
    for query in (f"q={ref}", f"partner={ref}", f"after={ref}", f"unit={ref}"):
        response = client.get(f"/api/v1/agreements?{query}")
        assert response.status_code in (200, 404, 422), (query, response.text)


def _garbage_sqlite(tmp_path: Path) -> tuple[str, list[str]]:
    path = tmp_path / "secret-folder" / "accord.db"
    path.parent.mkdir()
    path.write_bytes(b"this is no SQLite database, whatever its name says\n" * 100)
    return f"sqlite:///{path}", [str(path), "secret-folder", "sqlite", "DatabaseError"]


def _missing_pg_database(pg_url: str) -> tuple[str, list[str]]:
    name = f"accord_missing_{uuid.uuid4().hex[:8]}"
    url = make_url(pg_url).set(database=name)
    return url.render_as_string(hide_password=False), [name, str(url.host), "psycopg", "5432"]


@pytest.mark.parametrize("fault", ["sqlite-file-is-garbage", "postgresql-database-missing"])
def test_a_real_fault_is_a_500_problem_that_leaks_nothing(
    fault: str, tmp_path: Path, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    if fault.startswith("sqlite"):
        url, secrets = _garbage_sqlite(tmp_path)
    else:
        url, secrets = _missing_pg_database(request.getfixturevalue("pg_url"))
    with caplog.at_level(logging.ERROR, logger="accord.api"), client_on(url, "acc_any") as client:
        for path in ("/api/v1/agreements", "/api/v1/agreements/x", "/api/v1/health"):
            response = client.get(path)
            body = problem(response, 500)
            assert body["type"] == "/problems/internal-error"
            text = response.text
            for secret in [*secrets, "Traceback", "SELECT", "File ", ".py", "sqlalchemy"]:
                assert secret.lower() not in text.lower(), (secret, text)
            assert body["error_id"] in body["detail"]
            # The server's own log has the whole story under the same id.
            assert any(body["error_id"] in r.getMessage() and r.exc_info for r in caplog.records)
