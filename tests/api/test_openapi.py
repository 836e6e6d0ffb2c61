"""/openapi.json documents every route: its parameters, its response model and its problems."""

from __future__ import annotations

from fastapi.testclient import TestClient

PROBLEM_REF = "#/components/schemas/Problem"
ROUTES = {
    ("get", "/api/v1/health"),
    ("get", "/api/v1/agreements"),
    ("get", "/api/v1/agreements/{ref}"),
    ("get", "/api/v1/agreements/{ref}/history"),
    ("get", "/api/v1/agreements/{ref}/triggers"),
    ("post", "/api/v1/agreements/{ref}/moves"),
    ("get", "/api/v1/institutions"),
    ("get", "/api/v1/institutions/{ref}"),
    ("get", "/api/v1/units"),
    ("get", "/api/v1/units/{ref}"),
    ("get", "/api/v1/people"),
    ("get", "/api/v1/people/{ref}"),
    ("get", "/api/v1/partnerships"),
    ("get", "/api/v1/partnerships/{ref}"),
    ("get", "/api/v1/me"),
    ("post", "/auth/login"),
}
# Answered 204, with no body to document.
NO_CONTENT = {("post", "/auth/logout")}


def test_every_route_is_documented_with_its_problem_responses(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert documented == ROUTES | NO_CONTENT
    for method, path in sorted(ROUTES):
        answers = spec["paths"][path][method]["responses"]
        schema = answers["200"]["content"]["application/json"]["schema"]
        assert schema != {}, f"{method} {path}: no response model"
        for status in ("422", "500", *(["404"] if "{ref}" in path else [])):
            problem = answers[status]["content"]["application/problem+json"]["schema"]
            assert problem == {"$ref": PROBLEM_REF}, (method, path, status)
    moves = spec["paths"]["/api/v1/agreements/{ref}/moves"]["post"]
    assert {"401", "403", "404", "409", "412", "428"} <= moves["responses"].keys()
    # The actor is the signed-in user, not a header the caller could set.
    assert {p["name"] for p in moves["parameters"]} == {"ref", "if-match"}
    for method, path in ROUTES - {("get", "/api/v1/health"), ("post", "/auth/login")}:
        assert "401" in spec["paths"][path][method]["responses"], (method, path)
    fields = set(spec["components"]["schemas"]["Problem"]["properties"])
    assert {"type", "title", "status", "detail", "errors", "legal_triggers", "reason"} <= fields


def test_every_documented_route_answers_in_its_documented_shape(client: TestClient) -> None:
    """Each GET answers 200 with its documented model's fields, on a seeded record."""
    spec = client.get("/openapi.json").json()
    refs = {
        "agreements": "hust-rwth-mou", "institutions": "ustb", "units": "hust-cse",
        "people": "alexander-heinzel", "partnerships": "ustb-rwth",
    }  # fmt: skip
    for method, path in sorted(ROUTES):
        if method != "get":
            continue
        resource = path.split("/")[3] if path.count("/") > 2 else ""
        response = client.get(path.replace("{ref}", refs.get(resource, "")))
        assert response.status_code == 200, (path, response.text)
        schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        ref = schema["schema"].get("$ref") or schema["schema"].get("items", {}).get("$ref")
        if ref is None:
            continue
        model = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        body = response.json()
        record = body[0] if isinstance(body, list) else body
        assert set(record) <= set(model["properties"]), path
        assert set(model.get("required", [])) <= set(record), path
