"""The read routes answer what the CLI's `--json` prints, field for field, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.test_cli import ok

# (CLI command with --json, API path): the same service behind both.
SAME = [
    ("agreements show hust-rwth-mou", "/api/v1/agreements/hust-rwth-mou"),
    ("agreements show 1", "/api/v1/agreements/1"),
    ("agreements history hust-rwth-mou", "/api/v1/agreements/hust-rwth-mou/history"),
    ("institutions list", "/api/v1/institutions"),
    (
        "institutions list --country DE --kind university",
        "/api/v1/institutions?country=DE&kind=university",
    ),
    ("institutions show ustb", "/api/v1/institutions/ustb"),
    ("institutions show ustb --history", "/api/v1/institutions/ustb?history=true"),
    ("units list", "/api/v1/units"),
    ("units list --institution hust --kind school", "/api/v1/units?institution=hust&kind=school"),
    ("units show hust-cse --history", "/api/v1/units/hust-cse?history=true"),
    ("people list --q rwth", "/api/v1/people?q=rwth"),
    ("people list --institution rwth --country DE", "/api/v1/people?institution=rwth&country=DE"),
    ("people show alexander-heinzel", "/api/v1/people/alexander-heinzel"),
    ("partnerships list", "/api/v1/partnerships"),
    ("partnerships list --country DE", "/api/v1/partnerships?country=DE"),
    ("partnerships show ustb-rwth --history", "/api/v1/partnerships/ustb-rwth?history=true"),
    ("partnerships show hust-heidelberg", "/api/v1/partnerships/hust-heidelberg"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "path"), SAME, ids=[c for c, _ in SAME])
def test_a_route_answers_what_the_cli_prints(
    client: TestClient, seeded: str, command: str, path: str
) -> None:
    printed = ok(seeded, f"{command} --json").json()
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == printed
    assert printed, "compare something, not two empty answers"


def test_the_history_route_answers_the_whole_timeline(client: TestClient, seeded: str) -> None:
    ok(seeded, "agreements note hust-rwth-mou 'Signed copy filed' --actor ann")
    ok(
        seeded,
        "agreements follow-up hust-rwth-mou 'Send the minutes' --due 2200-01-01 "
        "--owner chen-jie --actor ann",
    )
    ok(seeded, "agreements done 1 --actor chen")
    version = ok(seeded, "agreements show hust-rwth-mou --json").json()["version"]
    ok(seeded, f"agreements edit hust-rwth-mou --summary S --expect-version {version} --actor ann")
    printed = ok(seeded, "agreements history hust-rwth-mou --json").json()
    response = client.get("/api/v1/agreements/hust-rwth-mou/history")
    assert response.status_code == 200, response.text
    assert response.json() == printed
    kinds = [(e["kind"], e.get("action") or e.get("trigger")) for e in printed]
    assert kinds[-4:] == [
        ("note", None),
        ("follow_up", "set"),
        ("follow_up", "done"),
        ("event", "edit"),
    ]


# Every filter of `agreements list`, spelled as the CLI spells it and as a query string.
FILTERS = [
    ("--state renewed", "state=renewed"),
    ("--kind mou", "kind=mou"),
    ("--partner rwth", "partner=rwth"),
    ("--expiring-within 400 --today 2026-11-22", "expiring_within=400&today=2026-11-22"),
    ("--q heidelberg", "q=heidelberg"),
    ("--unit hust-oia", "unit=hust-oia"),
    ("--coordinator chen", "coordinator=chen"),
    (
        "--signed-after 2020-01-01 --signed-before 2023-12-31",
        "signed_after=2020-01-01&signed_before=2023-12-31",
    ),
    ("--sort -signed_on", "sort=-signed_on"),
    ("--sort slug --kind key_partnership", "sort=slug&kind=key_partnership"),
]  # fmt: skip


@pytest.mark.parametrize(("options", "query"), FILTERS, ids=[o for o, _ in FILTERS])
def test_every_list_filter_of_the_cli_filters_the_same(
    client: TestClient, seeded: str, options: str, query: str
) -> None:
    printed = ok(seeded, f"agreements list {options} --limit 200 --json").json()
    response = client.get(f"/api/v1/agreements?{query}&limit=200")
    assert response.status_code == 200, response.text
    assert response.json() == {"items": printed["items"], "next": None}
    every = ok(seeded, "agreements list --json").json()
    assert printed["items"], f"{options} matches nothing in the seed: the test would prove nothing"
    if "sort" not in options:
        assert len(printed["items"]) < len(every), f"{options} filters nothing out"


def walk(client: TestClient, path: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every item of a listing, following `next` links; and the links followed."""
    items: list[dict[str, Any]] = []
    links: list[str] = []
    while True:
        response = client.get(path)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if page["next"] is None:
            assert "link" not in response.headers
            return items, links
        assert response.headers["link"] == f'<{page["next"]}>; rel="next"'
        path = page["next"]
        links.append(path)


@pytest.mark.parametrize("sort", ["id", "-signed_on", "expires_on", "slug"])
def test_pages_follow_next_links_to_every_match_once_in_order(
    client: TestClient, seeded: str, sort: str
) -> None:
    items, links = walk(client, f"/api/v1/agreements?limit=3&sort={sort}")
    assert items == ok(seeded, f"agreements list --sort {sort} --json").json()
    assert len(links) == 2  # eight agreements: 3 + 3 + 2
    assert all(link.startswith("/api/v1/agreements?") and "limit=3" in link for link in links)


def test_a_next_link_keeps_the_filters(client: TestClient, seeded: str) -> None:
    items, links = walk(client, "/api/v1/agreements?kind=key_partnership&limit=1")
    assert links
    assert all("kind=key_partnership" in link for link in links)
    assert items == ok(seeded, "agreements list --kind key_partnership --json").json()


def test_a_page_holds_at_most_200_and_the_default_is_50(client: TestClient) -> None:
    assert client.get("/api/v1/agreements?limit=200").status_code == 200
    refused = client.get("/api/v1/agreements?limit=201")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "limit"
    assert client.get("/api/v1/agreements").json()["next"] is None  # eight fit in 50
    limit = client.get("/openapi.json").json()["paths"]["/api/v1/agreements"]["get"]
    (param,) = [p for p in limit["parameters"] if p["name"] == "limit"]
    assert (param["schema"]["default"], param["schema"]["maximum"]) == (50, 200)


def test_show_carries_its_version_as_etag(client: TestClient) -> None:
    response = client.get("/api/v1/agreements/hust-rwth-mou")
    assert response.headers["etag"] == f'"{response.json()["version"]}"'
    for path in ("institutions/ustb", "units/hust-cse", "people/alexander-heinzel"):
        shown = client.get(f"/api/v1/{path}")
        assert shown.headers["etag"] == f'"{shown.json()["version"]}"', path


def test_triggers_give_each_legal_move_with_its_guards_verdict(client: TestClient) -> None:
    response = client.get("/api/v1/agreements/hust-rwth-mou/triggers?today=2026-11-22")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "renewed"
    verdicts = {v["trigger"]: v for v in body["triggers"]}
    assert list(verdicts) == [
        "open_renewal", "renew", "give_notice", "expire", "suspend", "terminate",
    ]  # fmt: skip
    assert verdicts["open_renewal"] == {
        "trigger": "open_renewal", "allowed": True, "dest": "renewal_due", "reason": None,
    }  # fmt: skip
    assert verdicts["suspend"]["reason"] == "say why it is suspended: give it with --comment"
    renew = verdicts["renew"]
    assert (renew["allowed"], renew["dest"]) == (False, None)
    assert "signatory" in renew["reason"]


def test_a_final_state_has_no_triggers(client: TestClient, seeded: str) -> None:
    slug = ok(seeded, "agreements list --state renewed --json").json()[0]["slug"]
    ok(seeded, f"agreements advance {slug} terminate --comment 'ended early'")
    body = client.get(f"/api/v1/agreements/{slug}/triggers").json()
    assert body == {"state": "terminated", "triggers": []}


def test_each_request_returns_its_connection(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    for path in ("/api/v1/agreements", "/api/v1/agreements/nope", "/api/v1/institutions/ustb"):
        client.get(path)
    assert engine.pool.checkedout() == 0
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    assert client.app.state.engine is engine  # type: ignore[attr-defined]
