"""Reminders by renewal type, through the CLI, on SQLite and PostgreSQL: a fixed agreement's by
its end date, an auto-renewing one's by its notice deadline (withdrawn once notice is given), an
open-ended one's none, but a review every `review_months`."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from models import Agreement, table_of
from tests import factories
from tests.factories import notes
from tests.integration.test_cli_mail import mails
from tests.integration.test_reminder_plan import home as home
from tests.integration.test_reminder_plan import run
from workflow.notices import reminders
from workflow.uow import UnitOfWork

A = table_of(Agreement)
EXPIRES = date(2027, 6, 1)
NOTICE_DAYS = 60
DEADLINE = date(2027, 4, 2)  # EXPIRES minus 60 days
REMINDER_KINDS = ("renewal_reminder", "review_reminder")
DAY = "--today 2026-11-22"  # factories.TODAY: the signings are handled on it


@pytest.fixture
def slugs(engine: Engine) -> dict[str, str]:
    """A fixed, an auto-renewing and an open-ended MoU, all signed on factories.SIGNED."""
    factories.institutions(engine)
    factories.contacts(engine)
    return {
        "fixed": factories.agreement(engine, "Fixed MoU", expires=EXPIRES),
        "auto": factories.agreement(
            engine, "Auto MoU", expires=EXPIRES, renewal_type="auto", notice_days=NOTICE_DAYS
        ),
        "open": factories.agreement(engine, "Open MoU", expires=None, renewal_type="open_ended"),
    }


def listed(db_url: str, home: Path, slug: str, by: str, *flags: str) -> list[Any]:
    """`reminders due --today BY --json` rows of one agreement's reminders (renewal, review)."""
    rows = run(db_url, home, f"reminders due --today {by} --json {' '.join(flags)}").json()
    return [r for r in rows if r["subject"] == slug and r["kind"] in REMINDER_KINDS]


def column(engine: Engine, slug: str, name: str) -> Any:
    with UnitOfWork(engine) as uow:
        return uow.conn.execute(select(A.c[name]).where(A.c.slug == slug)).scalar_one()


def test_auto_renewing_reminders_fall_before_the_notice_deadline_and_name_it(
    db_url: str, home: Path, slugs: dict[str, str]
) -> None:
    run(db_url, home, f"reminders run {DAY}")  # the signings handled: the terms' reminders
    auto = listed(db_url, home, slugs["auto"], "2099-01-01")
    # 180 days before the deadline fell due before the catch-up bound: never made.
    assert [(r["kind"], r["due_on"]) for r in auto] == [
        ("renewal_reminder", (DEADLINE - timedelta(days=days)).isoformat()) for days in (90, 30, 7)
    ]
    # The fixed agreement keeps counting back from its end date.
    fixed = listed(db_url, home, slugs["fixed"], "2099-01-01")
    assert [r["due_on"] for r in fixed] == [
        (EXPIRES - timedelta(days=days)).isoformat() for days in (180, 90, 30, 7)
    ]
    words = run(db_url, home, "reminders due --today 2027-01-02").out
    assert "90 days before the notice deadline 2027-04-02 (ends 2027-06-01)" in words
    assert "180 days before the end date 2027-06-01" in words

    before = len(mails(home))
    report = run(db_url, home, "reminders run --today 2027-01-02 --json").json()
    [sent] = [
        o
        for o in report["outcomes"]
        if o["subject"] == slugs["auto"] and o["kind"] == "renewal_reminder"
    ]
    assert sent["status"] == "sent"
    [mail] = [m for m in mails(home)[before:] if m["Message-ID"] == sent["message_id"]]
    assert mail["Subject"] == (
        "Notice deadline: Auto MoU renews itself unless notice is given by 2027-04-02 (in 90 days)"
    )
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "The last day to give notice of non-renewal is 2 April 2027" in text
    assert "Days left:       90" in text
    assert (
        f"accord agreements advance {slugs['auto']} give_notice --on YYYY-MM-DD "
        "--party PARTY --comment TEXT"
    ) in text
    assert " renew --on" not in text


def test_notice_given_withdraws_the_pending_reminders(
    db_url: str, home: Path, slugs: dict[str, str]
) -> None:
    run(db_url, home, f"reminders run {DAY}")
    assert len(listed(db_url, home, slugs["auto"], "2099-01-01")) == 3
    comment = "--comment 'Partner gives notice by letter'"
    run(db_url, home, f"agreements advance {slugs['auto']} give_notice --on 2026-11-22 {comment}")
    run(db_url, home, f"reminders run {DAY}")  # the event handled: the term's reminders out
    assert listed(db_url, home, slugs["auto"], "2099-01-01") == []
    every = listed(db_url, home, slugs["auto"], "2099-01-01", "--all")
    assert [r["status"] for r in every] == ["cancelled"] * 3
    # Its days come and go: nothing is made again, nothing mailed.
    report = run(db_url, home, "reminders run --today 2027-03-26 --json").json()
    assert [o for o in report["outcomes"] if o["kind"] == "renewal_reminder"] == [
        o
        for o in report["outcomes"]
        if o["kind"] == "renewal_reminder" and o["subject"] != slugs["auto"]
    ]
    assert [r["status"] for r in listed(db_url, home, slugs["auto"], "2099-01-01", "--all")] == [
        "cancelled"
    ] * 3
    # The fixed agreement's reminders are untouched.
    assert len(listed(db_url, home, slugs["fixed"], "2099-01-01", "--all")) == 4


def test_an_open_ended_agreement_gets_no_renewal_reminders_but_a_review(
    db_url: str, home: Path, engine: Engine, slugs: dict[str, str]
) -> None:
    open_slug = slugs["open"]
    run(db_url, home, f"reminders run {DAY}")
    assert column(engine, open_slug, "expires_on") is None
    # Every 24 months from the signing day (2021-06-01): the next on or after today.
    assert column(engine, open_slug, "review_due_on") == date(2027, 6, 1)
    assert listed(db_url, home, open_slug, "2027-05-31") == []
    before = len(mails(home))
    report = run(db_url, home, "reminders run --today 2027-06-01 --json").json()
    assert report["reviews_created"] == 1
    [sent] = [o for o in report["outcomes"] if o["kind"] == "review_reminder"]
    assert (sent["subject"], sent["status"]) == (open_slug, "sent")
    [mail] = [m for m in mails(home)[before:] if m["Message-ID"] == sent["message_id"]]
    assert mail["Subject"] == "Review due: Open MoU (2027-06-01, every 24 months)"
    assert factories.COORDINATOR_EMAIL in str(mail["To"])
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "is due for its review today" in text
    assert "Next review: 2029-06-01" in text
    assert f"accord agreements edit {open_slug} --review-months N" in text
    # Rolled forward by review_months; the same day again makes nothing.
    assert column(engine, open_slug, "review_due_on") == date(2029, 6, 1)
    again = run(db_url, home, "reminders run --today 2027-06-01 --json").json()
    assert again["reviews_created"] == 0
    words = run(db_url, home, "reminders due --today 2027-06-01 --all").out
    assert "review due on 2027-06-01" in words


def test_an_agreement_that_ends_is_no_longer_reviewed(
    db_url: str, home: Path, engine: Engine, slugs: dict[str, str]
) -> None:
    open_slug = slugs["open"]
    run(db_url, home, f"reminders run {DAY}")
    # Its own cycle: every 12 months from the signing day.
    with UnitOfWork(engine) as uow:
        uow.conn.execute(update(A).where(A.c.slug == open_slug).values(review_months=12))
        uow.commit()
    run(db_url, home, f"reminders offsets {open_slug} --set 30 {DAY}")  # re-plans it
    assert column(engine, open_slug, "review_due_on") == date(2027, 6, 1)
    run(db_url, home, "reminders run --today 2027-06-01")
    assert column(engine, open_slug, "review_due_on") == date(2028, 6, 1)
    run(db_url, home, f"agreements advance {open_slug} terminate --comment done")
    run(db_url, home, "reminders run --today 2027-07-01")
    assert column(engine, open_slug, "review_due_on") is None
    run(db_url, home, "reminders run --today 2028-06-01")
    sent = listed(db_url, home, open_slug, "2099-01-01", "--all")
    assert [(r["kind"], r["due_on"], r["status"]) for r in sent] == [
        ("review_reminder", "2027-06-01", "sent")
    ]


def test_a_stray_end_date_on_an_open_ended_agreement_plans_no_renewal_reminder(
    engine: Engine, slugs: dict[str, str]
) -> None:
    """Imported data may carry a far end date (2078) on an open-ended agreement: no reminder
    is planned or made for it, however near that day comes."""
    open_id = factories.agreement_id(engine, slugs["open"])
    with UnitOfWork(engine) as uow:
        uow.conn.execute(update(A).where(A.c.id == open_id).values(expires_on=date(2078, 12, 31)))
        uow.commit()
    with UnitOfWork(engine) as uow:
        reminders.replan(
            uow, today=date(2026, 11, 22), default_offsets=[180, 30, 7], agreement_id=open_id
        )
        for day in (date(2078, 7, 4), date(2078, 12, 24), date(2078, 12, 31)):
            reminders.materialize_due(uow, day, default_offsets=[180, 30, 7, 0])
        uow.commit()
    assert [n for n in notes(engine, "renewal_reminder") if n.agreement_id == open_id] == []
    with UnitOfWork(engine) as uow:  # the same sweep does make the fixed agreement's
        made = reminders.materialize_due(uow, EXPIRES - timedelta(days=7), default_offsets=[7])
        uow.commit()
    assert made == 1
    fixed_id = factories.agreement_id(engine, slugs["fixed"])
    assert {n.agreement_id for n in notes(engine, "renewal_reminder")} == {fixed_id}


def test_a_replan_of_every_agreement_keeps_the_review_days(
    engine: Engine, slugs: dict[str, str]
) -> None:
    open_id = factories.agreement_id(engine, slugs["open"])
    with UnitOfWork(engine) as uow:
        reminders.replan(uow, today=date(2026, 11, 22), default_offsets=[30])
        uow.commit()
    assert column(engine, slugs["open"], "review_due_on") == date(2027, 6, 1)
    assert column(engine, slugs["fixed"], "review_due_on") is None
    assert [n for n in notes(engine, "renewal_reminder") if n.agreement_id == open_id] == []


def test_a_notice_reminder_no_longer_applies_once_its_deadline_or_type_changes(
    engine: Engine, slugs: dict[str, str]
) -> None:
    """Read at send time: a notice reminder made before the notice period (or the renewal type)
    changed is not mailed; one for the deadline in force is."""
    from workflow.notices.context import load_delivery
    from workflow.notices.query import fetch

    auto_id = factories.agreement_id(engine, slugs["auto"])
    today = DEADLINE - timedelta(days=90)
    with UnitOfWork(engine) as uow:
        reminders.replan(uow, today=today, default_offsets=[90], agreement_id=auto_id)
        uow.commit()
    [note] = [n for n in notes(engine, "renewal_reminder") if n.agreement_id == auto_id]
    assert note.dedupe_key == reminders.reminder_key(auto_id, EXPIRES, 90, DEADLINE)

    def applies() -> bool:
        with UnitOfWork(engine) as uow:
            rows = fetch(uow, note.id, lock=False)
            found = load_delivery(uow, rows, today=today, default_offsets=[90])
        if found is None:
            return False
        assert found.agreement is not None
        return found.agreement.notice_deadline == DEADLINE

    assert applies()
    for values in ({"notice_days": 30}, {"renewal_type": "fixed"}):
        with UnitOfWork(engine) as uow:
            uow.conn.execute(update(A).where(A.c.id == auto_id).values(**values))
            uow.commit()
        assert not applies()
        with UnitOfWork(engine) as uow:  # back as it was
            uow.conn.execute(
                update(A)
                .where(A.c.id == auto_id)
                .values(notice_days=NOTICE_DAYS, renewal_type="auto")
            )
            uow.commit()
        assert applies()


def test_an_edit_of_the_review_cycle_moves_the_next_review(
    db_url: str, home: Path, engine: Engine, slugs: dict[str, str]
) -> None:
    open_slug = slugs["open"]
    run(db_url, home, f"reminders run {DAY}")
    assert column(engine, open_slug, "review_due_on") == date(2027, 6, 1)
    version = column(engine, open_slug, "version")
    run(
        db_url,
        home,
        f"agreements edit {open_slug} --review-months 12 --expect-version {version} --actor Ann",
    )
    run(db_url, home, f"reminders run {DAY}")  # the edit's event handled: a fresh plan
    # Every 12 months from the signing day (2021-06-01): the next on or after 2026-11-22.
    assert column(engine, open_slug, "review_due_on") == date(2027, 6, 1)
    run(
        db_url,
        home,
        f"agreements edit {open_slug} --review-months 7 --expect-version {version + 1} --actor Ann",
    )
    run(db_url, home, f"reminders run {DAY}")
    # 2021-06-01 + 7-month steps: ..., 2026-02-01, 2026-09-01, 2027-04-01.
    assert column(engine, open_slug, "review_due_on") == date(2027, 4, 1)
