"""Bad input to `accord`: one line on stderr, a non-zero exit, no traceback, the database unchanged.

Each case runs on SQLite and on PostgreSQL against an agreement awaiting signature (version 4,
last moved by `tester` on 2021-04-01).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from models import (
    Agreement,
    AgreementEvent,
    AgreementTerm,
    Institution,
    Meeting,
    Notification,
    OutboxMessage,
    Partnership,
)
from tests import factories
from tests.integration.test_cli import run_cli
from workflow.agreements.moves import advance
from workflow.uow import UnitOfWork

NEW = "agreements new --home home --partner partner --kind mou --title Valid"
SIGN = "--on 2021-06-01 --signatory home=Ada --signatory partner=Bo"
FUTURE = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()

# (id, command with {slug}/{future}/{pair} to fill in, fragments stderr must contain, exit code)
CASES: list[tuple[str, str, list[str], int]] = [
    ("unknown-agreement", "agreements show no-such", ["no agreement 'no-such'"], 1),
    ("unknown-agreement-id", "agreements history 4242", ["no agreement '4242'"], 1),
    ("unknown-agreement-huge-id", "agreements advance 99999999999 review", ["no agreement"], 1),
    ("unknown-agreement-advance", "agreements advance nope review", ["no agreement 'nope'"], 1),
    (
        "illegal-trigger",
        "agreements advance {slug} approve",
        ["cannot approve from awaiting_signature", "legal from", "request_changes, withdraw, sign"],
        1,
    ),
    ("unknown-trigger", "agreements advance {slug} dance", ["unknown trigger", "withdraw"], 1),
    (
        "failed-guard",
        "agreements advance {slug} sign --on 2021-06-01 --signatory home=Ada",
        ["signing needs a signatory for Partner University", "legal from awaiting_signature"],
        1,
    ),
    ("guard-needs-comment", "agreements advance {slug} request_changes", ["say what must"], 1),
    (
        "stale-version",
        "agreements advance {slug} withdraw --expect-version 2",
        ["at version 4, not 2", "tester made it awaiting_signature", "nothing was changed"],
        1,
    ),
    ("invalid-date", "agreements advance {slug} withdraw --on tomorrow", ["--on", "'tomorrow'"], 1),
    ("impossible-day", "agreements advance {slug} withdraw --on 2022-02-30", ["'2022-02-30'"], 1),
    ("impossible-month", "agreements advance {slug} withdraw --on 2022-13-01", ["--on"], 1),
    ("invalid-today", "tick --today 2026/01/01", ["--today", "'2026/01/01'", "YYYY-MM-DD"], 1),
    ("future-on", "agreements advance {slug} withdraw --on {future}", ["in the future"], 1),
    ("before-last-move", "agreements advance {slug} withdraw --on 2021-03-15", ["before the"], 1),
    ("future-proposal", NEW + " --proposed-on {future}", ["in the future"], 1),
    ("unknown-kind", NEW + " --kind treaty", ["unknown kind 'treaty'", "key_partnership"], 1),
    ("unknown-kind-filter", "agreements list --kind treaty", ["unknown kind", "mou"], 1),
    ("unknown-partner", NEW + " --partner atlantis", ["no institution 'atlantis'"], 1),
    ("unknown-partner-filter", "agreements list --partner atlantis", ["no partner matching"], 1),
    ("empty-title", NEW + " --title '  '", ["the title is empty"], 1),
    ("zero-term", NEW + " --term-months 0", ["must be from 1 to 1200", "not 0"], 1),
    ("long-title", NEW + " --title " + "x" * 301, ["title is 301 characters; at most 300"], 1),
    ("bad-slug", NEW + " --slug 'Not A Slug'", ["is not a slug"], 1),
    ("taken-slug", NEW + " --slug {slug}", ["exists already"], 1),
    ("negative-expiring", "agreements list --expiring-within -1", ["--expiring-within", "-1"], 1),
    ("unknown-state", "agreements list --state limbo", ["unknown state 'limbo'", "renewal_due"], 1),
    ("signatory-syntax", "agreements advance {slug} sign --signatory Ada", ["PARTY=NAME"], 1),
    (
        "signatory-not-a-party",
        "agreements advance {slug} sign --on 2021-06-01 --signatory mars=X --signatory home=A",
        ["'mars' is not a party"],
        1,
    ),
    ("signatory-off-signing", "agreements advance {slug} withdraw --signatory home=A", ["sign"], 1),
    ("empty-actor", "agreements advance {slug} withdraw --actor ''", ["actor is required"], 1),
    # Who and why: the actor reaches mail and a String(120) column; a comment may span lines.
    ("long-actor", NEW + " --actor " + "a" * 121, ["actor", "121 characters; at most 120"], 1),
    ("actor-line-break", "agreements advance {slug} withdraw --actor 'bob\nBcc: x'", ["CR/LF"], 1),
    ("actor-control", NEW + " --actor 'bob\x1b[31m'", ["actor", "control", "U+001B"], 1),
    ("comment-control", "agreements advance {slug} withdraw --comment 'a\x00b'", ["U+0000"], 1),
    ("new-comment-control", NEW + " --comment 'a\x07b'", ["comment", "U+0007"], 1),
    ("invisible-title", NEW + " --title '\u200b\u2060\u00a0'", ["the title is empty"], 1),
    # Dates past the horizon, where they enter (a later sweep could not compute with them).
    (
        "until-past-horizon",
        "agreements advance {slug} sign " + SIGN + " --until 9999-12-31",
        ["--until", "9999-12-31", "2200-12-31"],
        1,
    ),
    ("on-past-horizon", "agreements advance {slug} withdraw --on 2201-01-01", ["2200-12-31"], 1),
    (
        "proposed-past-horizon",
        NEW + " --proposed-on 9999-12-31",
        ["--proposed-on", "2200-12-31"],
        1,
    ),
    ("today-past-horizon", "reminders run --today 2201-01-01", ["--today", "2200-12-31"], 1),
    ("due-past-horizon", "reminders due --today 9999-12-31", ["--today", "2200-12-31"], 1),
    ("meeting-past-horizon", "meetings schedule {pair} --at 9999-12-31T23:59Z", ["2200-12-31"], 1),
    ("missing-option", "agreements new --home home", ["Missing option"], 2),
    ("not-a-number", "agreements advance {slug} withdraw --expect-version x", ["version"], 2),
    ("unknown-command", "agreements frobnicate", ["No such command 'frobnicate'"], 2),
]


@pytest.fixture
def slug(engine: Engine) -> str:
    """An agreement awaiting signature, moved there by `tester`."""
    factories.institutions(engine)
    slug = factories.proposed(engine)
    for trigger, on in factories.TO_ACTIVE:
        advance(UnitOfWork(engine), slug, trigger, actor="tester", today=factories.TODAY, on=on)
    return slug


def snapshot(engine: Engine) -> tuple[Any, ...]:
    """Row counts of every table a command could touch, and each agreement's version and state."""
    tables = (
        AgreementEvent,
        OutboxMessage,
        Agreement,
        AgreementTerm,
        Institution,
        Partnership,
        Meeting,
        Notification,
    )
    with UnitOfWork(engine) as uow:
        counts = [uow.session.scalar(select(func.count()).select_from(t)) for t in tables]
        rows = uow.session.execute(
            select(Agreement.id, Agreement.version, Agreement.state, Agreement.title)
        ).all()
    return counts, sorted(tuple(r) for r in rows)


def pair(engine: Engine) -> str:
    """The slug of the fixture's one partnership."""
    with UnitOfWork(engine) as uow:
        return uow.session.scalars(select(Partnership.slug)).one()


@pytest.mark.parametrize(
    ("command", "fragments", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_one_line_and_changes_nothing(
    engine: Engine, db_url: str, slug: str, command: str, fragments: list[str], code: int
) -> None:
    before = snapshot(engine)
    outcome = run_cli(db_url, command.format(slug=slug, future=FUTURE, pair=pair(engine)))
    assert outcome.code == code, outcome
    assert outcome.out == ""
    assert "Traceback" not in outcome.err
    lines = outcome.err.splitlines()
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("accord: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("user", "fragment"),
    [
        ("bob\nBcc: all@evil.example", "line breaks (CR/LF)"),
        ("bob\x1b]0;owned\x07", "control characters (U+001B)"),
        ("b" * 121, "121 characters; at most 120"),
    ],
    ids=["line-break", "escape", "too-long"],
)
def test_a_login_name_unfit_for_the_actor_is_refused_and_names_actor(
    engine: Engine, db_url: str, slug: str, user: str, fragment: str
) -> None:
    # Without --actor the CLI records $USER: it gets the same checks as the option.
    before = snapshot(engine)
    for command in (f"agreements advance {slug} withdraw", NEW):
        outcome = run_cli(db_url, command, env={"USER": user})
        assert outcome.code == 1, outcome
        [line] = outcome.err.splitlines()
        assert "$USER" in line
        assert fragment in line
        assert "--actor NAME" in line
    assert snapshot(engine) == before


def test_a_comment_may_span_lines(engine: Engine, db_url: str, slug: str) -> None:
    outcome = run_cli(db_url, f"agreements advance {slug} withdraw --comment 'first\nsecond\tend'")
    assert outcome.code == 0, outcome
    with UnitOfWork(engine) as uow:
        comment = uow.session.scalars(
            select(AgreementEvent.comment).order_by(AgreementEvent.id.desc())
        ).first()
    assert comment == "first\nsecond\tend"
