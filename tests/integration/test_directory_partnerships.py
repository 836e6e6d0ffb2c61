"""`accord partnerships`: add, edit, list and show partnerships, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests import factories
from tests.integration.test_cli import ok, run_cli

PARTNERSHIP_KEYS = {"slug", "home", "partner", "since", "meeting_cadence"}


def snapshot(engine: Engine) -> list[Any]:
    """Every partnership's row and every logged change: what a refused command must not touch."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM partnerships ORDER BY id")).all()
        log = conn.execute(text("SELECT * FROM directory_changes ORDER BY id")).all()
    return [tuple(r) for r in rows] + [tuple(r) for r in log]


@pytest.fixture
def directory(engine: Engine, db_url: str) -> str:
    """home, partner and a third institution `third`; people; one agreement (so a partnership)."""
    factories.institutions(engine)
    factories.contacts(engine)
    ok(db_url, "institutions add third --name 'Third Works' --kind company --country JP")
    return factories.proposed(engine)


def test_add_edit_list_and_show_with_history(db_url: str, directory: str) -> None:
    added = ok(
        db_url,
        "partnerships add --home home --partner third --since 2015 --meeting-cadence annual "
        "--meeting-month 5 --home-contact coord --summary 'Steel research' --actor Ann --json",
    ).json()
    assert set(added) >= PARTNERSHIP_KEYS
    assert (added["slug"], added["home"], added["partner"], added["since"]) == (
        "home-third-works",
        "Home University",
        "Third Works",
        2015,
    )
    assert (added["meeting_cadence"], added["home_contact"]) == ("annual", "Cora Ord")
    edited = ok(
        db_url,
        "partnerships edit home-third-works --expect-version 1 --meeting-cadence biennial "
        "--home-contact '' --actor Bo --json",
    ).json()
    assert (edited["meeting_cadence"], edited["home_contact"], edited["version"]) == (
        "biennial",
        None,
        2,
    )
    history = ok(db_url, "partnerships show home-third-works --history --json").json()["history"]
    assert [(e["actor"], e["field"], e["before"], e["after"]) for e in history][-2:] == [
        ("Bo", "meeting_cadence", "annual", "biennial"),
        ("Bo", "home_contact_id", "1", None),
    ]

    shown = ok(db_url, "partnerships show home-part --json").json()
    assert [a["slug"] for a in shown["agreements"]] == [directory]
    assert (shown["milestones"], shown["meetings"]) == ([], [])
    assert directory in ok(db_url, "partnerships show home-part").out

    def slugs(filters: str) -> list[str]:
        return [p["slug"] for p in ok(db_url, f"partnerships list {filters} --json").json()]

    assert slugs("") == ["home-part", "home-third-works"]
    assert slugs("--q steel") == ["home-third-works"]
    assert slugs("--institution partner") == ["home-part"]
    assert slugs("--country jp --kind company") == ["home-third-works"]
    assert "Third Works" in ok(db_url, "partnerships list").out


@pytest.mark.usefixtures("directory")
@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("partnerships add --home home --partner partner", "partners already (home-part)"),
        ("partnerships add --home home --partner home", "the same institution"),
        ("partnerships add --home home --partner nowhere", "no institution 'nowhere'"),
        ("partnerships add --home home --partner third --since 3000", "not a year"),
        ("partnerships add --home home --partner third --meeting-month 13", "not a month"),
        ("partnerships add --home home --partner third --meeting-cadence daily", "annual"),
        ("partnerships add --home home --partner third --slug Bad_Slug", "not a slug"),
        ("partnerships add --home home --partner third --slug home-part", "is taken"),
        ("partnerships add --home home --partner third --partner-contact coord", "not of the"),
        ("partnerships edit home-part --expect-version 1", "nothing to change"),
        ("partnerships edit home-part --since 2000", "--expect-version"),
        ("partnerships edit nowhere --expect-version 1 --since 2000", "no partnership"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    engine: Engine, db_url: str, command: str, said: str
) -> None:
    before = snapshot(engine)
    outcome = run_cli(db_url, command)
    assert outcome.code in (1, 2), outcome
    assert said in outcome.err, outcome
    assert outcome.err.count("\n") == 1, outcome
    assert snapshot(engine) == before


@pytest.mark.usefixtures("directory")
def test_a_stale_version_is_refused_naming_who_changed_it(engine: Engine, db_url: str) -> None:
    ok(db_url, "partnerships edit home-part --expect-version 1 --since 2001 --actor Bo")
    before = snapshot(engine)
    stale = run_cli(db_url, "partnerships edit home-part --expect-version 1 --since 2002")
    assert stale.code == 1
    assert "partnership home-part is at version 2, not 1: Bo changed it at 20" in stale.err
    assert snapshot(engine) == before
