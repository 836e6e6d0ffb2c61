"""`accord` end to end on SQLite and PostgreSQL: the JSON contract after moves made by the CLI.

Also home of `run_cli`, the in-process runner the other CLI test modules share: it calls the same
`main()` the console script calls, with stdout, stderr and the environment isolated.
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select
from typer.testing import CliRunner

from cli.main import main
from models import Institution, Person, Unit
from tests import factories
from workflow.uow import UnitOfWork

SIGN = "--on 2021-06-01 --signatory 'home=Prof. Ada Home' --signatory PART='Dr. Bo'"
AGREEMENT_KEYS = {
    "id",
    "slug",
    "title",
    "kind",
    "state",
    "parties",
    "signed_on",
    "effective_on",
    "expires_on",
    "version",
    "partnership",
    "owning_unit",
    "coordinator",
    "proposed_on",
    "term_months",
    "notice_days",
    "renewal_opens_on",
    "term_no",
    "terms",
    "source",
    "assumptions",
    "renewal_type",
    "review_months",
    "summary",
    "approved_hash",
    "content_hash",
}
EVENT_KEYS = {
    "seq",
    "at",
    "recorded_at",
    "actor",
    "trigger",
    "from_state",
    "to_state",
    "comment",
    "data",
    "changes",
}


@dataclass
class Outcome:
    """What one invocation did."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.out)


def run_cli(db_url: str, command: str, env: dict[str, str | None] | None = None) -> Outcome:
    """Run `accord COMMAND` (shell-quoted) in-process against `db_url`; never raises."""
    settings = {"ACCORD_DATABASE_URL": db_url, "ACCORD_DEBUG": None, **(env or {})}
    with CliRunner().isolation(env=settings) as (out, err, _):
        code = main(shlex.split(command))
        sys.stdout.flush()
        sys.stderr.flush()
        return Outcome(code, out.getvalue().decode(), err.getvalue().decode())


def ok(db_url: str, command: str) -> Outcome:
    """Run a command that must succeed with nothing on stderr."""
    outcome = run_cli(db_url, command)
    assert (outcome.code, outcome.err) == (0, ""), outcome
    return outcome


def propose(db_url: str, title: str, extra: str = "") -> dict[str, Any]:
    """`agreements new` of an MoU between home and partner (unless `extra` says otherwise)."""
    kind = "" if "--kind" in extra else "--kind mou"
    command = f"agreements new --home home --partner partner --title '{title}' {kind} {extra}"
    data: dict[str, Any] = ok(db_url, f"{command} --json").json()
    return data


def bring_to_signature(db_url: str, ref: str) -> None:
    """review, approve, send_for_signature: each dated, through the CLI."""
    for trigger, on in factories.TO_ACTIVE:
        ok(db_url, f"agreements advance {ref} {trigger} --on {on.isoformat()}")


def test_json_contract_after_moves_made_through_the_cli(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    created = propose(
        db_url,
        "Exchange MoU",
        "--proposed-on 2021-01-04 --term-months 60 --notice-days 90 --actor ana "
        "--comment 'first draft'",
    )
    assert created.keys() >= AGREEMENT_KEYS
    assert (created["state"], created["version"], created["term_no"]) == ("proposed", 1, 0)
    assert created["parties"] == ["Home University", "Partner University"]
    assert (created["proposed_on"], created["signed_on"], created["terms"]) == (
        "2021-01-04",
        None,
        [],
    )
    slug = created["slug"]

    bring_to_signature(db_url, slug)
    sign = f"{SIGN} --comment 'in Wuhan' --actor bob --expect-version 4 --json"
    moved = ok(db_url, f"agreements advance {slug} sign {sign}").json()
    assert (moved["from_state"], moved["to_state"], moved["version"]) == (
        "awaiting_signature",
        "active",
        5,
    )

    shown = ok(db_url, f"agreements show {created['id']} --json").json()
    assert shown == moved["agreement"]
    assert shown.keys() >= AGREEMENT_KEYS
    assert (shown["state"], shown["version"], shown["term_no"]) == ("active", 5, 1)
    assert [shown[k] for k in ("signed_on", "effective_on", "expires_on")] == [
        "2021-06-01",
        "2021-06-01",
        "2026-06-01",
    ]
    assert date.fromisoformat(shown["renewal_opens_on"]) == date(2025, 12, 3)
    assert shown["terms"] == [
        {
            "number": 1,
            "signed_on": "2021-06-01",
            "effective_on": "2021-06-01",
            "expires_on": "2026-06-01",
            "signatories": [
                {"party": "Home University", "name": "Prof. Ada Home"},
                {"party": "Partner University", "name": "Dr. Bo"},
            ],
        }
    ]
    assert (shown["term_months"], shown["notice_days"], shown["source"]) == (60, 90, None)

    events = ok(db_url, f"agreements history {slug} --json").json()
    assert all(e.keys() >= EVENT_KEYS for e in events)
    assert [(e["seq"], e["trigger"], e["from_state"], e["to_state"]) for e in events] == [
        (1, "propose", None, "proposed"),
        (2, "review", "proposed", "under_review"),
        (3, "approve", "under_review", "approved"),
        (4, "send_for_signature", "approved", "awaiting_signature"),
        (5, "sign", "awaiting_signature", "active"),
    ]
    assert [e["actor"] for e in (events[0], events[-1])] == ["ana", "bob"]
    assert [e["comment"] for e in (events[0], events[-1])] == ["first draft", "in Wuhan"]
    assert datetime.fromisoformat(events[-1]["at"]).isoformat() == "2021-06-01T00:00:00+00:00"
    assert datetime.fromisoformat(events[-1]["recorded_at"]).tzinfo is not None
    assert events[-1]["data"]["signatories"] == {"HOME": "Prof. Ada Home", "PART": "Dr. Bo"}

    assert ok(db_url, "agreements list --json").json() == [shown]


def test_renewal_keeps_every_term_in_the_json(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    slug = factories.active(engine)
    renew = "--on 2026-05-01 --until 2031-05-31 --signatory 'home=New President' "
    renew += "--signatory 'partner=New Head'"
    ok(db_url, f"agreements advance {slug} renew {renew}")
    shown = ok(db_url, f"agreements show {slug} --json").json()
    assert (shown["state"], shown["term_no"], shown["expires_on"]) == ("renewed", 2, "2031-05-31")
    assert [(t["number"], t["signed_on"], t["expires_on"]) for t in shown["terms"]] == [
        (1, "2021-06-01", "2026-06-01"),
        (2, "2026-05-01", "2031-05-31"),
    ]
    first, second = ([s["name"] for s in t["signatories"]] for t in shown["terms"])
    assert (first, second) == (["Home President", "Partner Head"], ["New President", "New Head"])


def test_new_links_the_unit_and_coordinator_it_names(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    with UnitOfWork(engine) as uow:
        home = uow.session.scalars(select(Institution).where(Institution.slug == "home")).one()
        unit = Unit(slug="intl", institution=home, name="International Office", kind="office")
        uow.session.add_all([unit, Person(slug="li", name="Li Wei", institution=home)])
        uow.commit()
    created = propose(
        db_url, "Joint lab", "--kind research-cooperation --unit intl --coordinator li"
    )
    assert (created["kind"], created["owning_unit"], created["coordinator"]) == (
        "research_cooperation",
        "International Office",
        "Li Wei",
    )


def test_human_output_of_advance_history_and_show(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    slug = factories.proposed(engine)
    moved = ok(db_url, f"agreements advance {slug} review --on 2021-02-01 --comment x --actor ana")
    assert moved.out == f"{slug}: proposed -> under_review (review), version 2\n"
    lines = ok(db_url, f"agreements history {slug}").out.splitlines()
    assert [line.split() for line in lines] == [
        ["2021-01-04", "tester", "propose", "(new)", "->", "proposed"],
        ["2021-02-01", "ana", "review", "proposed", "->", "under_review", "x"],
    ]
    shown = ok(db_url, f"agreements show {slug}").out
    assert shown.splitlines()[0] == slug
    assert "under_review (version 2)" in shown
    assert "Home University / Partner University" in shown


def test_control_characters_in_stored_text_are_escaped_for_the_terminal(
    engine: Engine, db_url: str
) -> None:
    factories.institutions(engine)
    slug = factories.proposed(engine)
    # A control character never gets in; a format character (right-to-left override) may, and
    # is shown escaped so it cannot reorder what the terminal shows.
    refused = run_cli(db_url, f"agreements advance {slug} review --comment 'wipe\x1b[2J'")
    assert "control characters other than line breaks and tabs (U+001B)" in refused.err
    ok(db_url, f"agreements advance {slug} review --comment 'wipe\u202e[2J'")
    history = ok(db_url, f"agreements history {slug}").out
    assert "\u202e" not in history
    assert history.splitlines()[-1].endswith("wipe\\u202e[2J")
    assert ok(db_url, f"agreements history {slug} --json").json()[-1]["comment"] == "wipe\u202e[2J"
