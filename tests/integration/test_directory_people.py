"""`accord people`: add, edit, list and show people, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests import factories
from tests.integration.test_cli import ok, run_cli

ADD = (
    "people add ann-lee --name 'Ann Lee' --institution home --unit intl-office "
    "--email ann@home.example --title Director --role 'exchange coordinator' --actor Ann"
)
PERSON_KEYS = {"id", "name", "email", "institution", "unit"}


def snapshot(engine: Engine) -> list[Any]:
    """Every person's row and every logged change: what a refused command must not touch."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM people ORDER BY id")).all()
        log = conn.execute(text("SELECT * FROM directory_changes ORDER BY id")).all()
    return [tuple(r) for r in rows] + [tuple(r) for r in log]


@pytest.fixture
def directory(engine: Engine) -> None:
    """The institutions home and partner, the unit intl-office, two people."""
    factories.institutions(engine)
    factories.contacts(engine)


@pytest.mark.usefixtures("directory")
def test_add_edit_list_and_show_with_history(db_url: str) -> None:
    added = ok(db_url, f"{ADD} --json").json()
    assert set(added) >= PERSON_KEYS
    assert (added["email"], added["institution"], added["unit"], added["version"]) == (
        "ann@home.example",
        "Home University",
        "International Office",
        1,
    )
    moved = ok(
        db_url,
        "people edit ann-lee --expect-version 1 --institution partner --unit '' --inactive "
        "--actor Bo --json",
    ).json()
    assert (moved["institution"], moved["unit"], moved["active"], moved["version"]) == (
        "Partner University",
        None,
        False,
        2,
    )
    history = ok(db_url, "people show ann-lee --history --json").json()["history"]
    assert {(e["version"], e["actor"], e["field"]) for e in history if e["version"] == 2} == {
        (2, "Bo", "institution_id"),
        (2, "Bo", "unit_id"),
        (2, "Bo", "active"),
    }
    assert "inactive" in ok(db_url, "people show ann-lee --history").out

    def names(filters: str) -> list[str]:
        return [p["name"] for p in ok(db_url, f"people list {filters} --json").json()]

    assert names("") == ["Ann Lee", "Cora Ord", "Pat Ner"]
    assert names("--q director") == ["Ann Lee"]
    assert names("--institution home") == ["Cora Ord"]
    assert names("--country de") == ["Ann Lee", "Pat Ner"]
    assert "inactive" in ok(db_url, "people list").out


@pytest.mark.usefixtures("directory")
@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("people add x --name X --institution nowhere", "no institution 'nowhere'"),
        ("people add x --name X --institution partner --unit intl-office", "not of the person"),
        ("people add x --name X --institution home --email 'a@'", "email"),
        ("people add x --name X --institution home --unit nowhere", "no unit 'nowhere'"),
        ("people add coord --name X --institution home", "is taken by Cora Ord"),
        (f"people add x --name X --institution home --role '{'r' * 301}'", "at most 300"),
        ("people edit coord --expect-version 1 --institution partner --unit intl-office", "not of"),
        ("people edit coord --expect-version 1", "nothing to change"),
        ("people edit coord --title Dean", "--expect-version"),
        ("people show nowhere", "no person 'nowhere'"),
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
    ok(db_url, "people edit coord --expect-version 1 --title Dean --actor Bo")
    before = snapshot(engine)
    stale = run_cli(db_url, "people edit coord --expect-version 1 --title Provost")
    assert stale.code == 1
    assert "person coord is at version 2, not 1: Bo changed it at 20" in stale.err
    assert snapshot(engine) == before


@pytest.mark.usefixtures("directory")
def test_show_lists_the_agreements_and_partnerships_a_person_has_a_part_in(
    db_url: str, engine: Engine
) -> None:
    slug = factories.agreement(
        engine, "Coordinated memorandum", expires=factories.TODAY.replace(year=2030)
    )
    factories.agreement(engine, "Someone else's memorandum", expires=None, coordinator=None)
    factories.meeting_partnership(engine)
    shown = ok(db_url, "people show coord --json").json()
    assert [(a["slug"], a["state"], a["roles"]) for a in shown["agreements"]] == [
        (slug, "active", ["coordinator"])
    ]
    assert shown["partnerships"] == [{"slug": "home-part", "role": "home contact"}]
    text_out = ok(db_url, "people show coord").out
    assert "agreements (1):" in text_out
    assert f"{slug}  active  coordinator  Coordinated memorandum" in text_out
    assert "home contact for partnership home-part" in text_out
    other = ok(db_url, "people show partner-contact --json").json()
    assert other["agreements"] == []
    assert other["partnerships"] == [{"slug": "home-part", "role": "partner contact"}]


@pytest.mark.usefixtures("directory")
def test_show_names_the_agreements_a_person_signed(db_url: str, engine: Engine) -> None:
    from workflow.agreements.moves import SignatoryInput, apply_move
    from workflow.uow import UnitOfWork

    slug = factories.agreement(engine, "Signed by Pat", expires=None, coordinator=None)
    with engine.connect() as conn:
        pat = conn.execute(text("SELECT id FROM people WHERE slug = 'partner-contact'")).scalar()
    with UnitOfWork(engine) as uow:
        for trigger, on in factories.TO_ACTIVE:
            apply_move(uow, slug, trigger, actor="tester", today=factories.TODAY, on=on)
        apply_move(
            uow,
            slug,
            "sign",
            actor="tester",
            today=factories.TODAY,
            on=factories.SIGNED,
            until=factories.TODAY.replace(year=2030),
            signatories={
                "home": SignatoryInput("Home President"),
                "partner": SignatoryInput("Pat Ner", person_id=pat),
            },
        )
        uow.commit()
    shown = ok(db_url, "people show partner-contact --json").json()
    assert [(a["slug"], a["roles"]) for a in shown["agreements"]] == [(slug, ["signatory"])]
