"""`accord institutions`: add, edit, list and show, on both databases, and the change log."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from tests import factories
from tests.integration.test_cli import ok, run_cli

ADD = (
    "institutions add tu-delft --name 'Delft University of Technology' --kind university "
    "--country nl --city Delft --time-zone Europe/Amsterdam --founded 1842 "
    "--website https://www.tudelft.nl --actor Ann"
)
INSTITUTION_KEYS = {"slug", "name", "kind", "country", "timezone"}


def snapshot(engine: Engine) -> list[Any]:
    """Every institution's row and every logged change: what a refused command must not touch."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM institutions ORDER BY id")).all()
        log = conn.execute(text("SELECT * FROM directory_changes ORDER BY id")).all()
    return [tuple(r) for r in rows] + [tuple(r) for r in log]


def test_add_edit_list_and_show_with_history(engine: Engine, db_url: str) -> None:
    added = ok(db_url, f"{ADD} --json").json()
    assert set(added) >= INSTITUTION_KEYS
    assert (added["slug"], added["country"], added["timezone"]) == (
        "tu-delft",
        "NL",
        "Europe/Amsterdam",
    )
    assert added["version"] == 1

    edited = ok(
        db_url,
        "institutions edit tu-delft --expect-version 1 --short-name 'TU Delft' --actor Bo "
        "--time-zone Europe/Brussels --json",
    ).json()
    assert (edited["short_name"], edited["timezone"], edited["version"]) == (
        "TU Delft",
        "Europe/Brussels",
        2,
    )

    shown = ok(db_url, "institutions show tu-delft --history --json").json()
    last = [
        (e["version"], e["actor"], e["field"], e["before"], e["after"]) for e in shown["history"]
    ]
    assert last[-2:] == [
        (2, "Bo", "short_name", None, "TU Delft"),
        (2, "Bo", "time_zone", "Europe/Amsterdam", "Europe/Brussels"),
    ]
    assert "tu-delft" in ok(db_url, "institutions show tu-delft --history").out
    assert "Bo" in ok(db_url, "institutions show tu-delft --history").out

    def slugs(filters: str) -> list[str]:
        return [i["slug"] for i in ok(db_url, f"institutions list {filters} --json").json()]

    factories.institutions(engine)
    assert slugs("") == ["home", "partner", "tu-delft"]
    assert slugs("--q delft") == ["tu-delft"]
    assert slugs("--q 'partner uni'") == ["partner"]
    assert slugs("--country de") == ["partner"]
    assert slugs("--kind company") == []
    assert "tu-delft" in ok(db_url, "institutions list").out


def test_show_lists_what_hangs_on_an_institution(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    factories.contacts(engine)
    slug = factories.proposed(engine)
    home = ok(db_url, "institutions show home --json").json()
    assert [u["slug"] for u in home["units"]] == ["intl-office"]
    assert [p["name"] for p in home["people"]] == ["Cora Ord"]
    assert [(p["home"], p["partner"]) for p in home["partnerships"]] == [
        ("Home University", "Partner University")
    ]
    assert [a["slug"] for a in home["agreements"]] == [slug]
    assert slug in ok(db_url, "institutions show home").out


def test_an_institution_is_marked_inactive_and_active_again(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    off = ok(db_url, "institutions edit partner --expect-version 1 --inactive --json").json()
    assert (off["active"], off["version"]) == (False, 2)
    assert "inactive" in ok(db_url, "institutions list").out
    on = ok(db_url, "institutions edit partner --expect-version 2 --active --json").json()
    assert (on["active"], on["version"]) == (True, 3)


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("institutions add Bad_Slug --name X --kind university --country DE", "not a slug"),
        ("institutions add x --name X --kind castle --country DE", "not a kind"),
        ("institutions add x --name X --kind other --country DEU", "not a country code"),
        ("institutions add x --name '  ' --kind other --country DE", "must not be empty"),
        ("institutions add x --name X --kind other --country DE --founded 3000", "not a year"),
        ("institutions add x --name X --kind other --country DE --time-zone Mars/Base", "IANA"),
        ("institutions add x --name X --kind other --country DE --website ftp://x", "web address"),
        (f"institutions add x --name '{'n' * 201}' --kind other --country DE", "at most 200"),
        ("institutions add x --name 'a\nb' --kind other --country DE", "line breaks"),
        ("institutions add home --name X --kind other --country DE", "taken by Home University"),
        ("institutions add x --name X --kind other --country DE --actor ' '", "actor"),
        ("institutions edit home --expect-version 1 --country 1", "not a country code"),
        ("institutions edit home --expect-version 1", "nothing to change"),
        ("institutions edit nowhere --expect-version 1 --city Y", "no institution 'nowhere'"),
        ("institutions edit home --city Y", "--expect-version"),
        ("institutions show nowhere", "no institution"),
        ("institutions list --kind castle", "not a kind"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    engine: Engine, db_url: str, command: str, said: str
) -> None:
    factories.institutions(engine)
    before = snapshot(engine)
    outcome = run_cli(db_url, command)
    assert outcome.code in (1, 2), outcome
    assert said in outcome.err, outcome
    assert outcome.err.count("\n") == 1, outcome
    assert snapshot(engine) == before


def test_a_stale_version_is_refused_naming_who_changed_it_and_when(
    engine: Engine, db_url: str
) -> None:
    ok(db_url, ADD)
    ok(db_url, "institutions edit tu-delft --expect-version 1 --city Den --actor Bo")
    before = snapshot(engine)
    stale = run_cli(db_url, "institutions edit tu-delft --expect-version 1 --city Delft")
    assert stale.code == 1
    assert "at version 2, not 1: Bo changed it at 20" in stale.err
    assert "reload it and retry" in stale.err
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    "statement",
    ["UPDATE directory_changes SET after = 'forged'", "DELETE FROM directory_changes"],
)
def test_the_change_log_is_append_only_in_the_database(
    engine: Engine, db_url: str, statement: str
) -> None:
    ok(db_url, ADD)
    before = snapshot(engine)
    with (
        pytest.raises(DBAPIError, match="directory_changes is append-only"),
        engine.begin() as conn,
    ):
        conn.execute(text(statement))
    assert snapshot(engine) == before
