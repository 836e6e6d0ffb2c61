"""`accord` views on SQLite and PostgreSQL: list filters, triggers, tick, board, initiatives."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func, select

from models import AgreementEvent, AgreementKind, Initiative, Institution, InstitutionKind
from tests import factories
from tests.integration.test_cli import ok, propose, run_cli
from workflow.lifecycle import mermaid
from workflow.uow import UnitOfWork


@dataclass
class Portfolio:
    """An active MoU with `partner`, a proposed KPA with `second` and a withdrawn agreement."""

    active: str
    proposed: str
    withdrawn: str


@pytest.fixture
def portfolio(engine: Engine, db_url: str) -> Portfolio:
    """The agreements the view tests look at; the later two made through the CLI."""
    factories.institutions(engine)
    with UnitOfWork(engine) as uow:
        second = Institution(
            slug="second",
            name="Second College",
            short_name="SEC",
            kind=InstitutionKind.UNIVERSITY,
            country="FR",
        )
        uow.session.add(second)
        home = uow.session.scalars(select(Institution).where(Institution.slug == "home")).one()
        uow.session.add(
            Initiative(
                slug="push",
                name="Exchange push",
                owner=home,
                target=10,
                agreement_kind=AgreementKind.MOU,
            )
        )
        uow.commit()
    active = factories.active(engine, "Alpha MoU")
    proposed = propose(db_url, "Beta KPA", "--partner second --kind key-partnership")["slug"]
    withdrawn = propose(db_url, "Gamma exchange", "--kind student_exchange")["slug"]
    ok(db_url, f"agreements advance {withdrawn} withdraw")
    return Portfolio(active, proposed, withdrawn)


def slugs(db_url: str, filters: str) -> list[str]:
    """The slugs `agreements list FILTERS --json` prints, in its order."""
    return [a["slug"] for a in ok(db_url, f"agreements list {filters} --json").json()]


def test_list_filters(db_url: str, portfolio: Portfolio) -> None:
    p = portfolio
    assert slugs(db_url, "") == [p.active, p.proposed, p.withdrawn]
    assert slugs(db_url, "--state active") == [p.active]
    assert slugs(db_url, "--state WITHDRAWN") == [p.withdrawn]
    assert slugs(db_url, "--kind key-partnership") == [p.proposed]
    assert slugs(db_url, "--kind mou --state proposed") == []
    assert slugs(db_url, "--partner sec") == [p.proposed]
    assert slugs(db_url, "--partner 'partner univ'") == [p.active, p.withdrawn]
    assert slugs(db_url, "--partner partner --state active") == [p.active]
    # Alpha expires on 2026-06-01: 151 days after 2026-01-01.
    assert slugs(db_url, "--expiring-within 151 --today 2026-01-01") == [p.active]
    assert slugs(db_url, "--expiring-within 150 --today 2026-01-01") == []
    assert slugs(db_url, "--expiring-within 0 --today 2026-06-01") == [p.active]
    assert slugs(db_url, "--expiring-within 9999 --today 2026-06-02") == []


FILTERS = [
    "",
    "--state active",
    "--kind key-partnership",
    "--partner sec",
    "--partner 'partner univ'",
    "--partner partner --state active",
    "--expiring-within 151 --today 2026-01-01",
    "--renewal-type fixed --state active",
]


@pytest.mark.parametrize("filters", FILTERS)
def test_the_table_lists_what_the_json_lists(
    db_url: str, portfolio: Portfolio, filters: str
) -> None:
    """The table reads only its six columns, in one statement; it must show the same rows."""
    shown = ("id", "slug", "state", "kind", "partner", "expires_on")
    full = [
        tuple(a[k] for k in shown) for a in ok(db_url, f"agreements list {filters} --json").json()
    ]
    lines = ok(db_url, f"agreements list {filters}").out.splitlines()[1:]
    table = [tuple(line.split()) for line in lines]
    assert table == [
        (str(i), slug, state, kind, partner, expires or "-")
        for i, slug, state, kind, partner, expires in full
    ]
    assert table, "every filter here matches something"


def test_list_as_a_table(db_url: str, portfolio: Portfolio) -> None:
    lines = ok(db_url, "agreements list --state active").out.splitlines()
    assert lines[0].split() == ["ID", "SLUG", "STATE", "KIND", "PARTNER", "EXPIRES"]
    assert lines[1].split()[1:] == [portfolio.active, "active", "mou", "PART", "2026-06-01"]
    assert ok(db_url, "agreements list --state renewed").out == "no agreements match\n"


def triggers(db_url: str, args: str) -> dict[str, str]:
    """`agreements triggers ARGS` as {trigger: verdict}, in printed order."""
    out = ok(db_url, f"agreements triggers {args}").out
    return {line.split()[0]: line.split(maxsplit=1)[1] for line in out.splitlines()}


def test_triggers_show_each_legal_move_with_its_guards_verdict(
    db_url: str, portfolio: Portfolio
) -> None:
    verdicts = triggers(db_url, f"{portfolio.active} --today 2026-01-01")
    assert list(verdicts) == [
        "open_renewal",
        "renew",
        "give_notice",
        "expire",
        "suspend",
        "terminate",
    ]
    assert verdicts["open_renewal"] == "ok -> renewal_due"
    assert verdicts["renew"].startswith("blocked: renewal needs a signing date (--on)")
    assert "in force until 2026-06-01" in verdicts["expire"]
    assert verdicts["suspend"].startswith("blocked: say why it is suspended")
    after_expiry = triggers(db_url, f"{portfolio.active} --today 2026-06-01")
    assert after_expiry["expire"] == "ok -> expired"
    final = ok(db_url, f"agreements triggers {portfolio.withdrawn}").out
    assert final == "none: withdrawn is final\n"


def event_count(engine: Engine) -> int:
    """How many events are stored."""
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(AgreementEvent)) or 0


def test_tick_twice_for_the_same_day_changes_nothing(
    engine: Engine, db_url: str, portfolio: Portfolio
) -> None:
    first = ok(db_url, "tick --today 2026-01-01 --json").json()
    assert (first["total"], first["moved"]) == (1, {"open_renewal": [portfolio.active]})
    before = event_count(engine)
    second = ok(db_url, "tick --today 2026-01-01 --json").json()
    assert (second["total"], second["moved"], event_count(engine)) == (0, {}, before)
    assert ok(db_url, "tick --today 2026-06-01").out.splitlines() == [
        "tick 2026-06-01: 1 move(s)",
        f"  expire: {portfolio.active}",
    ]
    events = ok(db_url, f"agreements history {portfolio.active} --json").json()
    assert [(e["actor"], e["trigger"], e["at"][:10]) for e in events[-2:]] == [
        ("system", "open_renewal", "2025-12-03"),
        ("system", "expire", "2026-06-01"),
    ]


def test_board_groups_by_state_in_lifecycle_order(db_url: str, portfolio: Portfolio) -> None:
    out = ok(db_url, "board --today 2026-01-01").out
    lines = out.splitlines()
    headings = [line for line in lines if line and not line.startswith(" ")]
    assert headings == [
        "Agreements by state, 2026-01-01 (3 in all)",
        "proposed (1)",
        "active (1)",
        "withdrawn (1)",
        "Due soon (in force, expiring within 180 days)",
        "Follow-ups open (`accord agreements done ID` when done)",
        "Initiatives",
    ]
    due = lines[lines.index("Due soon (in force, expiring within 180 days)") + 1]
    assert due.split() == [portfolio.active, "PART", "expires", "2026-06-01"]
    assert lines[-1] == "  Exchange push (HOME): 1 of about 10 mou agreements signed: PART"


def test_initiatives_count_signed_agreements(db_url: str, portfolio: Portfolio) -> None:
    progress = ok(db_url, "initiatives --json").json()
    assert [(i["slug"], i["signed"], i["target"], i["partners"]) for i in progress] == [
        ("push", 1, 10, ["PART"])
    ]
    assert progress[0]["agreements"] == [portfolio.active]
    assert ok(db_url, "initiatives").out == f"{progress[0]['summary']}\n"


def test_lifecycle_prints_the_machine_diagram(db_url: str) -> None:
    assert ok(db_url, "lifecycle").out == mermaid()


@pytest.mark.parametrize("command", ["", "agreements", "db"])
def test_a_bare_group_prints_its_help_and_exits_2(db_url: str, command: str) -> None:
    outcome = run_cli(db_url, command)
    assert (outcome.code, outcome.out) == (2, "")
    assert outcome.err.startswith(f"Usage: accord {command}".rstrip())
