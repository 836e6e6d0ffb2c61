"""`accord agreements advance-many`: each agreement judged and moved on its own, on both DBs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from tests import factories, overlap
from tests.factories import TODAY
from tests.integration.test_cli import ok, run_cli
from tests.integration.test_list_search import set_renewal_type
from workflow.agreements.moves import apply_move
from workflow.uow import UnitOfWork

ITEM_KEYS = {"slug", "id", "outcome", "from_state", "to_state", "version", "reason"}


def three(engine: Engine) -> tuple[str, str, str]:
    """Two agreements in force (signed 2021-06-01 and 2022-01-10) and one still proposed."""
    factories.institutions(engine)
    first = factories.active(engine, "First memorandum")
    later = factories.active(engine, "Later memorandum", signed=date(2022, 1, 10))
    return first, later, factories.proposed(engine, "Draft memorandum")


def snapshots(engine: Engine, *slugs: str) -> list[factories.Snapshot]:
    """Every agreement's committed row, events, outbox rows and terms."""
    return [factories.snapshot(engine, slug) for slug in slugs]


def items(db_url: str, command: str, code: int) -> list[dict[str, Any]]:
    """The per-item JSON of an advance-many that exits with `code` and prints nothing on stderr."""
    outcome = run_cli(db_url, f"agreements advance-many {command} --json")
    assert (outcome.code, outcome.err) == (code, ""), outcome
    found: list[dict[str, Any]] = outcome.json()
    assert all(item.keys() == ITEM_KEYS for item in found)
    return found


def test_all_moved_exits_0_and_records_each_move_with_the_actor(
    engine: Engine, db_url: str
) -> None:
    first, later, _ = three(engine)
    found = items(
        db_url, f"suspend --ref {first} --ref {later} --comment audit --actor 'Dr. Li'", 0
    )
    assert [(i["slug"], i["outcome"], i["from_state"], i["to_state"]) for i in found] == [
        (first, "moved", "active", "suspended"),
        (later, "moved", "active", "suspended"),
    ]
    assert [(i["version"], i["reason"]) for i in found] == [(6, None), (6, None)]
    for slug in (first, later):
        after = factories.snapshot(engine, slug)
        assert (after.state, after.version) == ("suspended", 6)
        assert after.events[-1][1:5] == ("suspend", "active", "suspended", "Dr. Li")
        assert len(after.outbox) == len(after.events) == 6


def test_some_refused_exits_1_and_the_others_are_moved_and_committed(
    engine: Engine, db_url: str
) -> None:
    first, later, draft = three(engine)
    before = factories.snapshot(engine, draft)
    outcome = run_cli(db_url, "agreements advance-many suspend --kind mou --comment audit")
    assert (outcome.code, outcome.err) == (1, ""), outcome
    lines = outcome.out.splitlines()
    assert lines[0].split() == ["SLUG", "OUTCOME", "FROM", "TO", "VERSION", "REASON"]
    assert lines[1].split()[:5] == [first, "moved", "active", "suspended", "6"]
    assert lines[2].split()[:5] == [later, "moved", "active", "suspended", "6"]
    assert lines[3].split()[:5] == [draft, "refused", "proposed", "-", "1"]
    assert "cannot suspend from proposed; legal from proposed: review, withdraw" in lines[3]
    assert lines[4] == "2 moved, 1 refused"
    assert factories.snapshot(engine, draft) == before
    assert [s.state for s in snapshots(engine, first, later)] == ["suspended", "suspended"]


def test_a_failed_guard_is_a_reason_per_item(engine: Engine, db_url: str) -> None:
    first, later, _ = three(engine)
    before = snapshots(engine, first, later)
    found = items(db_url, f"terminate --ref {first} --ref {later}", 1)
    assert [(i["outcome"], i["to_state"], i["version"]) for i in found] == [
        ("refused", None, 5)
    ] * 2
    assert all("say why it is terminated: give it with --comment" in i["reason"] for i in found)
    assert snapshots(engine, first, later) == before


def test_dry_run_changes_nothing_and_foretells_the_real_run(engine: Engine, db_url: str) -> None:
    first, later, draft = three(engine)
    before = snapshots(engine, first, later, draft)
    # Dated between the two signings: the later agreement's history would run backwards.
    command = "suspend --kind mou --on 2021-09-01 --comment audit"
    foretold = items(db_url, f"{command} --dry-run", 1)
    assert snapshots(engine, first, later, draft) == before
    assert [i["outcome"] for i in foretold] == [
        "would move",
        "would be refused",
        "would be refused",
    ]
    assert "before the last recorded move (sign on 2022-01-10)" in foretold[1]["reason"]
    done = items(db_url, command, 1)
    assert [i["outcome"] for i in done] == ["moved", "refused", "refused"]
    # The same agreements, states, versions and reasons: only the outcome's tense differs.
    tense = {"would move": "moved", "would be refused": "refused"}
    assert [{**i, "outcome": tense[i["outcome"]]} for i in foretold] == done
    assert [s.version for s in snapshots(engine, first, later, draft)] == [6, 5, 1]


def test_a_dry_run_exits_as_the_real_run_would(engine: Engine, db_url: str) -> None:
    first, later, _ = three(engine)
    refused = run_cli(db_url, f"agreements advance-many review --ref {first} --dry-run")
    assert (refused.code, refused.err) == (1, "")
    assert "would be refused  active  -" in refused.out
    assert refused.out.splitlines()[-1] == (
        "0 would move, 1 would be refused; dry run, nothing changed"
    )
    moving = ok(db_url, f"agreements advance-many open_renewal --ref {later} --dry-run").out
    assert moving.splitlines()[-1] == "1 would move, 0 would be refused; dry run, nothing changed"
    assert [s.state for s in snapshots(engine, first, later)] == ["active", "active"]


def test_refs_pick_exactly_those_named_once_each(engine: Engine, db_url: str) -> None:
    first, later, draft = three(engine)
    number = factories.agreement_id(engine, draft)
    found = items(db_url, f"withdraw --ref {number} --ref {draft} --ref {draft}", 0)
    assert [(i["slug"], i["outcome"], i["to_state"]) for i in found] == [
        (draft, "moved", "withdrawn")
    ]
    assert [s.state for s in snapshots(engine, first, later)] == ["active", "active"]


def test_filters_pick_what_agreements_list_shows(engine: Engine, db_url: str) -> None:
    first, later, draft = three(engine)
    # Within 200 days of 2026-05-01 only the first ends (2026-06-01; the later in 2027).
    found = items(db_url, "open_renewal --expiring-within 200 --today 2026-05-01", 0)
    assert [(i["slug"], i["to_state"]) for i in found] == [(first, "renewal_due")]
    listed = [a["slug"] for a in ok(db_url, "agreements list --state active --json").json()]
    found = items(db_url, "suspend --state active --partner part --comment audit", 0)
    assert [i["slug"] for i in found] == listed == [later]
    assert [s.state for s in snapshots(engine, first, draft)] == ["renewal_due", "proposed"]


def four(engine: Engine) -> dict[str, str]:
    """Agreements that the finer list filters tell apart, by a short name: `alpha` (unit and
    coordinator Cora Ord, signed 2021-06-01), `beta` (coordinator Pat Ner, renews itself, signed
    2021-06-01), `gamma` (signed 2022-01-10, neither) and `draft` (proposed)."""
    factories.institutions(engine)
    factories.contacts(engine)
    alpha = factories.agreement(engine, "Alpha exchange", expires=date(2026, 6, 1))
    beta = factories.agreement(
        engine, "Beta research", expires=date(2027, 1, 1), coordinator="partner-contact", unit=None
    )
    set_renewal_type(engine, beta, "auto")
    gamma = factories.active(engine, "Gamma exchange", signed=date(2022, 1, 10))
    draft = factories.proposed(engine, "Draft exchange")
    return {"alpha": alpha, "beta": beta, "gamma": gamma, "draft": draft}


@pytest.mark.parametrize(
    ("filters", "chosen"),
    [
        ("--q exchange", ["alpha", "gamma", "draft"]),
        ("--q 'cora ord'", ["alpha"]),
        ("--unit intl-office", ["alpha"]),
        ("--coordinator pat", ["beta"]),
        ("--renewal-type auto", ["beta"]),
        ("--renewal-type fixed --state active --kind mou", ["alpha", "gamma"]),
        ("--signed-after 2022-01-01", ["gamma"]),
        ("--signed-before 2021-12-31 --q research", ["beta"]),
        ("--signed-after 2021-06-01 --signed-before 2021-06-01", ["alpha", "beta"]),
    ],
)
def test_every_list_filter_selects_what_the_list_shows(
    engine: Engine, db_url: str, filters: str, chosen: list[str]
) -> None:
    made = four(engine)
    expected = [made[name] for name in chosen]
    before = {slug: factories.snapshot(engine, slug) for slug in made.values()}
    listed = [a["slug"] for a in ok(db_url, f"agreements list {filters} --json").json()]
    assert listed == expected
    code = 1 if "draft" in chosen else 0  # a proposal cannot be suspended
    command = f"suspend {filters} --comment audit"
    foretold = items(db_url, f"{command} --dry-run", code)
    assert [i["slug"] for i in foretold] == expected
    assert {slug: factories.snapshot(engine, slug) for slug in made.values()} == before
    done = items(db_url, command, code)
    assert [(i["slug"], i["outcome"]) for i in done] == [
        (slug, "refused" if slug == made["draft"] else "moved") for slug in expected
    ]
    for slug in made.values():
        after = factories.snapshot(engine, slug)
        if slug in expected and slug != made["draft"]:
            assert (after.state, after.version) == ("suspended", before[slug].version + 1)
        else:
            assert after == before[slug]


def test_a_filtered_run_reports_each_item_and_exits_1_on_a_refusal(
    engine: Engine, db_url: str
) -> None:
    made = four(engine)
    outcome = run_cli(db_url, "agreements advance-many suspend --q exchange --comment audit")
    assert (outcome.code, outcome.err) == (1, ""), outcome
    lines = outcome.out.splitlines()
    assert [line.split()[:2] for line in lines[1:4]] == [
        [made["alpha"], "moved"],
        [made["gamma"], "moved"],
        [made["draft"], "refused"],
    ]
    assert lines[4] == "2 moved, 1 refused"
    assert ok(db_url, "agreements advance-many resume --renewal-type fixed --state suspended").out
    states = [factories.snapshot(engine, made[n]).state for n in ("alpha", "beta", "gamma")]
    assert states == ["active", "active", "active"]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("frob --ref {first}", "unknown trigger 'frob'; triggers: review, request_changes,"),
        ("suspend --comment x", "say which agreements: --ref REF (repeatable) or filters"),
        ("suspend --ref {first} --state active", "give --ref REF or the list filters"),
        ("suspend --ref {first} --ref nowhere --comment x", "no agreement 'nowhere'"),
        ("suspend --state rejected --comment x", "no agreements match these filters"),
        ("suspend --ref {first} --today 2026-01-01 --comment x", "--today applies to the list"),
        ("suspend --ref {first} --on 2099-01-01 --comment x", "is in the future"),
        ("suspend --ref {first} --on 2021-13-01 --comment x", "--on: '2021-13-01' is not a real"),
        ("suspend --ref {first} --comment 'a\x1bb'", "control character"),
        ("suspend --state nowhere --comment x", "unknown state 'nowhere'; states:"),
        ("suspend --renewal-type yearly --comment x", "give one of fixed, auto, open_ended"),
        ("suspend --ref {first} --q memo --comment x", "give --ref REF or the list filters"),
        ("suspend --q ' ' --comment x", "--q is empty"),
        ("suspend --coordinator zed --comment x", "no person matching 'zed'"),
        ("suspend --unit nowhere --comment x", "no agreements match these filters"),
        ("suspend --renewal-type auto --comment x", "no agreements match these filters"),
        ("suspend --signed-after 2023-01-01 --signed-before 2022-01-01", "swap them"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    engine: Engine, db_url: str, command: str, message: str
) -> None:
    first, later, draft = three(engine)
    before = snapshots(engine, first, later, draft)
    outcome = run_cli(db_url, "agreements advance-many " + command.format(first=first))
    assert (outcome.code, outcome.out) == (1, ""), outcome
    assert len(outcome.err.splitlines()) == 1, outcome.err
    assert message in outcome.err
    assert snapshots(engine, first, later, draft) == before


def test_a_concurrent_writer_is_a_stale_version_for_that_item_postgresql(
    pg_only_url: str,
) -> None:
    from models import make_engine

    engine = make_engine(pg_only_url)
    try:
        first, later, _ = three(engine)
        third = factories.active(engine, "Third memorandum")
        command = f"agreements advance-many suspend --ref {first} --ref {later} --ref {third}"
        # The other writer moves `later` and holds its row lock: advance-many reads version 5,
        # then its versioned UPDATE waits, and finds version 6 once the writer commits.
        with UnitOfWork(engine) as writer:
            apply_move(writer, later, "terminate", actor="Ms. Wang", today=TODAY, comment="end")
            with ThreadPoolExecutor(1) as pool:
                running = pool.submit(
                    run_cli, pg_only_url, f"{command} --comment audit --actor bulk --json"
                )
                overlap.blocked_on_a_lock(engine)
                writer.commit()
                outcome = running.result(timeout=60)
        assert (outcome.code, outcome.err) == (1, ""), outcome
        found = outcome.json()
        assert [(i["slug"], i["outcome"], i["from_state"], i["version"]) for i in found] == [
            (first, "moved", "active", 6),
            (later, "refused", "terminated", 6),
            (third, "moved", "active", 6),
        ]
        assert found[1]["reason"].startswith(
            f"{later} is at version 6, not 5: Ms. Wang made it terminated (terminate)"
        )
        after = snapshots(engine, first, later, third)
        assert [(s.state, s.events[-1][4]) for s in after] == [
            ("suspended", "bulk"),
            ("terminated", "Ms. Wang"),
            ("suspended", "bulk"),
        ]
        assert [len(s.events) for s in after] == [len(s.outbox) for s in after] == [6, 6, 6]
    finally:
        engine.dispose()
