"""`accord units`: add, edit, list and show an institution's units, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests import factories
from tests.integration.test_cli import ok, run_cli

ADD = (
    "units add home-law --institution home --name 'School of Law' --kind school "
    "--email law@home.example --actor Ann"
)


def snapshot(engine: Engine) -> list[Any]:
    """Every unit's row and every logged change: what a refused command must not touch."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM units ORDER BY id")).all()
        log = conn.execute(text("SELECT * FROM directory_changes ORDER BY id")).all()
    return [tuple(r) for r in rows] + [tuple(r) for r in log]


def test_add_edit_list_and_show_with_history(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    factories.contacts(engine)
    added = ok(db_url, f"{ADD} --json").json()
    assert (added["slug"], added["institution"], added["email"], added["version"]) == (
        "home-law",
        "Home University",
        "law@home.example",
        1,
    )
    edited = ok(
        db_url, "units edit home-law --expect-version 1 --kind college --email '' --actor Bo --json"
    ).json()
    assert (edited["kind"], edited["email"], edited["version"]) == ("college", None, 2)
    shown = ok(db_url, "units show home-law --history --json").json()
    assert [(e["actor"], e["field"], e["before"], e["after"]) for e in shown["history"]][-2:] == [
        ("Bo", "kind", "school", "college"),
        ("Bo", "email", "law@home.example", None),
    ]
    assert "Bo" in ok(db_url, "units show home-law --history").out

    def slugs(filters: str) -> list[str]:
        return [u["slug"] for u in ok(db_url, f"units list {filters} --json").json()]

    assert slugs("") == ["home-law", "intl-office"]
    assert slugs("--q law") == ["home-law"]
    assert slugs("--institution partner") == []
    assert slugs("--country cn --kind office") == ["intl-office"]
    assert "School of Law" in ok(db_url, "units list").out


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("units add x --institution nowhere --name X --kind office", "no institution 'nowhere'"),
        ("units add x --institution home --name X --kind castle", "not a unit kind"),
        ("units add x --institution home --name X --kind office --email nobody", "email"),
        ("units add x --institution home --name '' --kind office", "must not be empty"),
        ("units add intl-office --institution home --name X --kind office", "is taken by"),
        ("units edit intl-office --expect-version 1", "nothing to change"),
        ("units edit intl-office --expect-version 1 --email 'a@b, c@d'", "exactly one"),
        ("units edit nowhere --expect-version 1 --name Y", "no unit 'nowhere'"),
        ("units edit intl-office --name Y", "--expect-version"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    engine: Engine, db_url: str, command: str, said: str
) -> None:
    factories.institutions(engine)
    factories.contacts(engine)
    before = snapshot(engine)
    outcome = run_cli(db_url, command)
    assert outcome.code in (1, 2), outcome
    assert said in outcome.err, outcome
    assert outcome.err.count("\n") == 1, outcome
    assert snapshot(engine) == before


def test_a_stale_version_is_refused_naming_who_changed_it(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    ok(db_url, ADD)
    ok(db_url, "units edit home-law --expect-version 1 --name 'Law School' --actor Bo")
    before = snapshot(engine)
    stale = run_cli(db_url, "units edit home-law --expect-version 1 --name 'Faculty of Law'")
    assert stale.code == 1
    assert "unit home-law is at version 2, not 1: Bo changed it at 20" in stale.err
    assert snapshot(engine) == before
