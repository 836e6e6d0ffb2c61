"""Pending reminders follow the rules in force, through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests import factories
from tests.integration.test_cli import run_cli
from tests.integration.test_cli_mail import mails, ok
from workflow.notices import reminders
from workflow.uow import UnitOfWork

SLUG = "hust-rwth-mou"  # expires 2027-01-14
DAY = "--today 2026-12-01"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """ACCORD_HOME of these commands (mail goes to files under it)."""
    return tmp_path / "home"


def reminders_of(db_url: str, home: Path, slug: str, by: str, *flags: str) -> list[Any]:
    """`reminders due --today BY --json` rows of one agreement's renewal reminders."""
    listed = ok(db_url, home, f"reminders due --today {by} --json {' '.join(flags)}").json()
    return [r for r in listed if r["kind"] == "renewal_reminder" and r["subject"] == slug]


def test_overrides_set_and_cleared_leave_the_default_plan(db_url: str, home: Path) -> None:
    """Issue scenario: after overrides come and go, the 7-day reminder is pending again and the
    30-day one is not sent 23 days late."""
    ok(db_url, home, f"seed {DAY}")
    ok(db_url, home, f"tick {DAY}")
    ok(db_url, home, f"reminders run {DAY}")
    ok(db_url, home, f"reminders offsets {SLUG} --set 30,7 {DAY}")
    ok(db_url, home, f"reminders policy mou --set 120,30 {DAY}")
    ok(db_url, home, f"reminders offsets {SLUG} --set 60,14 {DAY}")
    ok(db_url, home, f"reminders offsets {SLUG} --clear {DAY}")
    ok(db_url, home, f"reminders policy mou --clear {DAY}")

    pending = reminders_of(db_url, home, SLUG, "2027-01-14")
    assert [r["due_on"] for r in pending] == ["2026-12-15", "2027-01-07"]

    before = len(mails(home))
    report = ok(db_url, home, "reminders run --today 2027-01-07 --json").json()
    sent = [
        o
        for o in report["outcomes"]
        if o["kind"] == "renewal_reminder" and o["subject"] == SLUG and o["status"] == "sent"
    ]
    assert len(sent) == 1
    [mail] = [m for m in mails(home)[before:] if m["Message-ID"] == sent[0]["message_id"]]
    assert "expires in 7 days (2027-01-14)" in mail["Subject"]
    listed = reminders_of(db_url, home, SLUG, "2027-01-07", "--all")
    assert [(r["due_on"], r["status"]) for r in listed] == [
        ("2026-12-15", "missed"),
        ("2026-12-31", "cancelled"),  # the 14-day one, while the agreement's own days applied
        ("2027-01-07", "sent"),
    ]


# ---------------------------------------------------------------- a small world of one MoU

EXPIRES = date(2027, 1, 14)
SIGN = "--signatory 'home=Prof. Ada Home' --signatory PART='Dr. Bo'"


def run(db_url: str, home: Path, command: str, **settings: str) -> Any:
    """`accord COMMAND` as `accord()` runs it, with ACCORD_<NAME> settings; it must succeed."""
    env: dict[str, str | None] = {
        "ACCORD_HOME": str(home),
        "ACCORD_MAIL_FROM": factories.MAIL_FROM,
        "ACCORD_SMTP_HOST": None,
        "ACCORD_MAIL_DIR": None,
        "ACCORD_BROKER_URL": None,
        "ACCORD_REMINDER_CATCHUP_DAYS": None,
        "ACCORD_REMINDER_OFFSETS": None,
    }
    env |= {f"ACCORD_{name.upper()}": value for name, value in settings.items()}
    outcome = run_cli(db_url, command, env)
    assert (outcome.code, outcome.err) == (0, ""), outcome
    return outcome


@pytest.fixture
def mou(engine: Engine) -> str:
    """One MoU in force until EXPIRES whose coordinator and unit have addresses; its slug."""
    factories.institutions(engine)
    factories.contacts(engine)
    return factories.agreement(engine, "Exchange MoU", expires=EXPIRES)


def schedule(engine: Engine, slug: str, offsets: list[int], day: date) -> None:
    """The term's reminders made ahead of time, as the handler of its signing does."""
    agreement_id = factories.agreement_id(engine, slug)
    with UnitOfWork(engine) as uow:
        reminders.replan(uow, today=day, default_offsets=offsets, agreement_id=agreement_id)
        uow.commit()


def test_a_policy_change_replans_at_once(db_url: str, home: Path, engine: Engine, mou: str) -> None:
    schedule(engine, mou, [180, 90, 30, 7], date(2026, 10, 10))
    assert [r["due_on"] for r in reminders_of(db_url, home, mou, EXPIRES.isoformat())] == [
        "2026-10-16",
        "2026-12-15",
        "2027-01-07",
    ]  # the 180-day one fell due before that day's catch-up bound: never made
    shown = run(db_url, home, f"reminders policy mou --set 120,30,1 {DAY}").out
    assert shown.splitlines()[1].startswith("  1 reminder(s) planned, 2 withdrawn")
    listed = reminders_of(db_url, home, mou, EXPIRES.isoformat(), "--all")
    assert [(r["due_on"], r["status"]) for r in listed] == [
        ("2026-10-16", "cancelled"),
        ("2026-12-15", "pending"),
        ("2027-01-07", "cancelled"),
        ("2027-01-13", "pending"),
    ]
    # An agreement's own days win over the policy: the policy's change leaves it alone.
    run(db_url, home, f"reminders offsets {mou} --set 7 {DAY}")
    run(db_url, home, f"reminders policy mou --set 60 {DAY}")
    assert [r["due_on"] for r in reminders_of(db_url, home, mou, EXPIRES.isoformat())] == [
        "2027-01-07"
    ]


@pytest.mark.parametrize(
    ("catchup", "day", "expected"),
    [
        # The 30-day reminder is 23 days late on 7 January: past the default bound of 7, missed.
        ("7", "2027-01-07", {"2026-12-15": "missed", "2027-01-07": "sent"}),
        # A month's catch-up still sends it, saying what is true that day: 7 days left.
        ("30", "2027-01-07", {"2026-12-15": "sent", "2027-01-07": "sent"}),
        # No catch-up: a day late is too late.
        ("0", "2027-01-08", {"2026-12-15": "missed", "2027-01-07": "missed"}),
        ("7", "2027-01-08", {"2026-12-15": "missed", "2027-01-07": "sent"}),
    ],
)
def test_a_reminder_later_than_the_catchup_bound_is_missed_not_sent(
    db_url: str, home: Path, mou: str, catchup: str, day: str, expected: dict[str, str]
) -> None:
    run(db_url, home, f"reminders offsets {mou} --set 30,7 {DAY}")
    sent = run(db_url, home, f"reminders run --today {day}", reminder_catchup_days=catchup).out
    listed = reminders_of(db_url, home, mou, day, "--all")
    assert {r["due_on"]: r["status"] for r in listed} == expected
    missed = sum(status == "missed" for status in expected.values())
    assert f", {missed} missed, " in sent.splitlines()[0]
    left = (EXPIRES - date.fromisoformat(day)).days
    subjects = [m["Subject"] for m in mails(home) if m["Subject"].startswith("Renewal reminder")]
    assert subjects == [
        f"Renewal reminder: Exchange MoU expires in {left} days ({EXPIRES.isoformat()})"
    ] * (len(expected) - missed)
    status = run(db_url, home, f"outbox status --today {day} --json").json()
    assert status["notifications"]["missed"] == missed
    text = run(db_url, home, f"outbox status --today {day}").out
    assert f" {missed} missed, " in text


def test_a_new_default_is_followed_at_the_next_sweep(
    db_url: str, home: Path, engine: Engine, mou: str
) -> None:
    other = factories.agreement(engine, "Own days MoU", expires=EXPIRES)
    run(db_url, home, f"reminders offsets {other} --set 20 {DAY}")
    run(db_url, home, f"reminders run {DAY}")  # the first sweep: the default it planned with
    assert [r["due_on"] for r in reminders_of(db_url, home, mou, EXPIRES.isoformat())] == [
        "2026-12-15",
        "2027-01-07",
    ]
    out = run(db_url, home, f"reminders run {DAY}", reminder_offsets="[60,14,1]").out
    assert out.splitlines()[1] == "  the default reminder days changed: 4 reminder(s) re-planned"
    assert [r["due_on"] for r in reminders_of(db_url, home, mou, EXPIRES.isoformat())] == [
        "2026-12-31",
        "2027-01-13",
    ]  # the 60-day one fell due 16 days ago: past the catch-up bound, not made
    assert [r["due_on"] for r in reminders_of(db_url, home, other, EXPIRES.isoformat())] == [
        "2026-12-25"
    ]
    again = run(db_url, home, f"reminders run {DAY}", reminder_offsets="[60,14,1]").out
    assert "re-planned" not in again


def test_run_relays_a_renewal_its_notice_sent_and_the_old_terms_reminders_withdrawn(
    db_url: str, home: Path, mou: str
) -> None:
    run(db_url, home, f"reminders run {DAY}")  # the signing handled: this term's reminders
    assert [r["due_on"] for r in reminders_of(db_url, home, mou, "2031-12-31")] == [
        "2026-12-15",
        "2027-01-07",
    ]
    until = "--until 2032-01-14"
    run(db_url, home, f"agreements advance {mou} renew --on 2026-12-01 {until} {SIGN}")
    report = run(db_url, home, f"reminders run {DAY} --json").json()
    assert report["events_handled"] == 1
    [notice] = [o for o in report["outcomes"] if o["kind"] == "event_notice"]
    assert notice["status"] == "sent"
    assert [m["Subject"] for m in mails(home)][-1] == "Exchange MoU: renewed"
    listed = reminders_of(db_url, home, mou, "2031-12-31", "--all")
    assert [(r["due_on"], r["status"]) for r in listed] == [
        ("2026-12-15", "cancelled"),
        ("2027-01-07", "cancelled"),
        ("2031-07-18", "pending"),
        ("2031-10-16", "pending"),
        ("2031-12-15", "pending"),
    ]
