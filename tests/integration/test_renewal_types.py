"""Renewal types on both databases: auto renews itself at its end date unless notice was given,
open-ended never ends, fixed ends unless renewed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, select

from models import AgreementEvent, AgreementTerm, Notification, Signatory
from tests import factories
from tests.factories import PROPOSED, SIGNATORIES, TO_ACTIVE, TODAY
from tests.integration.test_cli import ok, run_cli
from workflow.agreements.moves import advance
from workflow.agreements.proposals import Proposal, propose
from workflow.agreements.tick import TickReport, run_tick
from workflow.errors import MoveRefused
from workflow.notices import handlers
from workflow.uow import UnitOfWork

# Signed 2021-06-01 for 60 months: in force until 2026-06-01; notice by 2026-03-03.
SIGNED = date(2021, 6, 1)
ENDS = date(2026, 6, 1)


def make(
    engine: Engine,
    title: str,
    renewal_type: str,
    *,
    term_months: int | None = 60,
    notice_days: int | None = 90,
    until: date | None = None,
    signed: date = SIGNED,
) -> str:
    """An agreement of `renewal_type` signed on `signed`, through the real use cases."""
    with UnitOfWork(engine) as uow:
        slug = propose(
            uow,
            Proposal(
                home="home",
                partner="partner",
                kind="mou",
                title=title,
                proposed_on=PROPOSED,
                actor="tester",
                today=TODAY,
                term_months=term_months,
                notice_days=notice_days,
                renewal_type=renewal_type,
            ),
        ).slug
        uow.commit()
    for trigger, on in TO_ACTIVE:
        advance(UnitOfWork(engine), slug, trigger, actor="tester", today=TODAY, on=on)
    advance(
        UnitOfWork(engine),
        slug,
        "sign",
        actor="tester",
        today=TODAY,
        on=signed,
        until=until,
        signatories=SIGNATORIES,
    )
    return slug


def tick(engine: Engine, today: date, dry_run: bool = False) -> TickReport:
    report = run_tick(UnitOfWork(engine), today, dry_run=dry_run)
    assert (report.refused, report.skipped_stale) == ([], 0)
    return report


def moved(report: TickReport) -> dict[str, list[str]]:
    return {trigger: sorted(slugs) for trigger, slugs in report.moved.items() if slugs}


def terms(engine: Engine, slug: str) -> list[tuple[int, date, date, date | None, list[str]]]:
    """(number, signed_on, effective_on, expires_on, [signatory (assumption)]) per term."""
    agreement_id = factories.agreement_id(engine, slug)
    with UnitOfWork(engine) as uow:
        rows = uow.session.scalars(
            select(AgreementTerm)
            .where(AgreementTerm.agreement_id == agreement_id)
            .order_by(AgreementTerm.number)
        ).all()
        return [
            (
                t.number,
                t.signed_on,
                t.effective_on,
                t.expires_on,
                [f"{s.name} ({s.assumption})" for s in t.signatories],
            )
            for t in rows
        ]


@pytest.fixture
def parties(engine: Engine) -> None:
    factories.institutions(engine)


@pytest.mark.usefixtures("parties")
def test_auto_renews_at_its_end_date_as_system_for_the_same_term(engine: Engine) -> None:
    slug = make(engine, "Auto", "auto")
    fixed = make(engine, "Fixed", "fixed")
    # No renewal window opens for an auto-renewing agreement; the fixed one's does.
    assert moved(tick(engine, date(2026, 1, 1))) == {"open_renewal": [fixed]}
    before = factories.snapshot(engine, slug)
    assert tick(engine, date(2026, 5, 31)).total == 0

    report = tick(engine, ENDS)
    assert moved(report) == {"expire": [fixed], "renew": [slug]}
    after = factories.snapshot(engine, slug)
    assert (after.state, after.version) == ("renewed", before.version + 1)
    assert after.events[:-1] == before.events
    assert after.events[-1] == (
        before.version + 1,
        "renew",
        "active",
        "renewed",
        "system",
        datetime(2026, 6, 1, tzinfo=UTC),
    )
    assert after.outbox[-1][1] == "agreement.renew"
    assert len(after.outbox) == len(after.events)
    # Another 60 months, from the day after the first term ended.
    assert (after.expires_on, after.renewal_opens_on) == (date(2031, 6, 2), date(2030, 12, 4))
    carried = ["Home President (renewed automatically)", "Partner Head (renewed automatically)"]
    assert terms(engine, slug) == [
        (1, SIGNED, SIGNED, ENDS, ["Home President (None)", "Partner Head (None)"]),
        (2, ENDS, date(2026, 6, 2), date(2031, 6, 2), carried),
    ]
    with UnitOfWork(engine) as uow:
        event = uow.session.scalars(
            select(AgreementEvent).where(AgreementEvent.trigger == "renew")
        ).one()
        term_event = uow.session.scalars(
            select(AgreementTerm.event_id).where(AgreementTerm.number == 2)
        ).one()
        assert event.data == {
            "tick": "2026-06-01",
            "automatic": True,
            "effective": "2026-06-02",
            "until": "2031-06-02",
        }
        assert term_event == event.id
    # A second tick for the day changes nothing.
    assert tick(engine, ENDS).total == 0
    assert factories.snapshot(engine, slug) == after


@pytest.mark.usefixtures("parties")
def test_auto_without_term_length_renews_for_the_length_of_the_term_ending(
    engine: Engine,
) -> None:
    # 2021-06-01 to 2024-06-01: 36 months.
    months = make(engine, "Months", "auto", term_months=None, until=date(2024, 6, 1))
    # 2021-06-01 to 2022-06-11: 375 days, not a whole number of months.
    days = make(engine, "Days", "auto", term_months=None, until=date(2022, 6, 11))
    tick(engine, date(2022, 6, 11))
    assert terms(engine, days)[-1][1:4] == (date(2022, 6, 11), date(2022, 6, 12), date(2023, 6, 22))
    tick(engine, date(2024, 6, 1))
    assert terms(engine, months)[-1][1:4] == (date(2024, 6, 1), date(2024, 6, 2), date(2027, 6, 2))


@pytest.mark.usefixtures("parties")
def test_a_late_tick_renews_term_after_term_until_today(engine: Engine) -> None:
    slug = make(engine, "Short", "auto", term_months=12, signed=date(2022, 1, 10))
    report = tick(engine, date(2025, 3, 1))
    assert report.moved["renew"] == [slug, slug, slug]
    ends = [t[3] for t in terms(engine, slug)]
    assert ends == [date(2023, 1, 10), date(2024, 1, 11), date(2025, 1, 12), date(2026, 1, 13)]
    assert factories.snapshot(engine, slug).state == "renewed"
    assert tick(engine, date(2025, 3, 1)).total == 0


@pytest.mark.usefixtures("parties")
def test_dry_run_reports_the_renewal_and_writes_nothing(engine: Engine) -> None:
    slug = make(engine, "Auto", "auto")
    before = factories.snapshot(engine, slug)
    assert moved(tick(engine, ENDS, dry_run=True)) == {"renew": [slug]}
    assert factories.snapshot(engine, slug) == before


@pytest.mark.usefixtures("parties")
def test_notice_given_expires_at_the_end_date_instead(engine: Engine, db_url: str) -> None:
    slug = make(engine, "Auto", "auto")
    out = ok(
        db_url,
        f"agreements advance {slug} give_notice --on 2026-03-01 --party part "
        "--comment 'the faculty ends the exchange' --actor clerk",
    )
    assert out.out.strip().startswith(f"{slug}: active -> notice_given (give_notice)")
    with UnitOfWork(engine) as uow:
        data = uow.session.scalars(
            select(AgreementEvent.data).where(AgreementEvent.trigger == "give_notice")
        ).one()
    assert data == {"party": "PART", "via": "cli"}  # given with `agreements advance`
    assert tick(engine, date(2026, 5, 31)).total == 0
    assert moved(tick(engine, ENDS)) == {"expire": [slug]}
    after = factories.snapshot(engine, slug)
    assert after.state == "expired"
    assert after.events[-1][1:5] == ("expire", "notice_given", "expired", "system")
    assert len(terms(engine, slug)) == 1


@pytest.mark.usefixtures("parties")
@pytest.mark.parametrize(
    ("kind", "extra", "message"),
    [
        (
            "fixed",
            "--on 2026-03-01 --comment 'we stop'",
            "only an auto-renewing agreement takes notice of non-renewal",
        ),
        (
            "auto",
            "--on 2026-03-04 --comment 'we stop'",
            "the last day to give notice was 2026-03-03",
        ),
        ("auto", "--on 2026-03-01", "say which party gives notice and why"),
        (
            "auto",
            "--on 2026-03-01 --comment 'we stop' --party outsider",
            "'outsider' is not a party",
        ),
        (
            "open_ended",
            "--on 2026-03-01 --comment 'we stop'",
            "does not renew; end it with terminate",
        ),
    ],
)
def test_give_notice_refused_in_one_line_changing_nothing(
    engine: Engine, db_url: str, kind: str, extra: str, message: str
) -> None:
    slug = make(engine, "Refused", kind, until=None)
    before = factories.snapshot(engine, slug)
    outcome = run_cli(db_url, f"agreements advance {slug} give_notice {extra}")
    assert outcome.code != 0
    assert message in outcome.err
    assert len(outcome.err.strip().splitlines()) == 1, outcome.err
    assert factories.snapshot(engine, slug) == before


@pytest.mark.usefixtures("parties")
def test_open_ended_signs_without_end_and_never_expires(engine: Engine) -> None:
    slug = make(engine, "Open", "open_ended", term_months=None)
    after = factories.snapshot(engine, slug)
    assert (after.state, after.expires_on, after.renewal_opens_on) == ("active", None, None)
    assert terms(engine, slug)[0][3] is None
    assert tick(engine, date(2079, 1, 2)).total == 0
    assert factories.snapshot(engine, slug) == after
    with pytest.raises(MoveRefused, match="open-ended agreement has no term to renew"):
        advance(
            UnitOfWork(engine),
            slug,
            "renew",
            actor="t",
            today=TODAY,
            on=TODAY,
            signatories=SIGNATORIES,
        )
    with pytest.raises(MoveRefused, match="no end date, so it has no renewal window"):
        advance(UnitOfWork(engine), slug, "open_renewal", actor="t", today=TODAY)


@pytest.mark.usefixtures("parties")
def test_json_carries_renewal_type_notice_deadline_and_review(db_url: str, engine: Engine) -> None:
    auto = make(engine, "Auto", "auto")
    fixed = make(engine, "Fixed", "fixed")
    shown = ok(db_url, f"agreements show {auto} --json").json()
    assert (shown["renewal_type"], shown["notice_deadline"], shown["review_due_on"]) == (
        "auto",
        "2026-03-03",
        None,
    )
    listed = {a["slug"]: a for a in ok(db_url, "agreements list --json").json()}
    assert listed[auto]["notice_deadline"] == "2026-03-03"
    assert (listed[fixed]["renewal_type"], listed[fixed]["notice_deadline"]) == ("fixed", None)
    text = ok(db_url, f"agreements show {auto}").out
    assert re.search(r"renewal type:\s+auto\n", text), text
    assert re.search(r"notice by:\s+2026-03-03\n", text), text


def test_signatory_rows_are_only_written_for_renewed_terms(engine: Engine) -> None:
    """Guard against the carry copying signatories of other agreements' terms."""
    factories.institutions(engine)
    first = make(engine, "First", "auto")
    make(engine, "Second", "fixed")
    tick(engine, ENDS)
    with UnitOfWork(engine) as uow:
        carried = uow.session.scalars(
            select(Signatory.name).where(Signatory.assumption == "renewed automatically")
        ).all()
    assert sorted(carried) == ["Home President", "Partner Head"]
    assert len(terms(engine, first)) == 2


@pytest.mark.usefixtures("parties")
def test_an_automatic_renewal_replans_the_reminders_for_the_new_term(engine: Engine) -> None:
    slug = make(engine, "Auto", "auto")
    tick(engine, ENDS)
    handlers.drain_outbox(engine, today=ENDS, default_offsets=[180, 30])
    agreement_id = factories.agreement_id(engine, slug)
    with UnitOfWork(engine) as uow:
        pending = uow.session.scalars(
            select(Notification.due_on).where(
                Notification.agreement_id == agreement_id,
                Notification.kind == "renewal_reminder",
                Notification.status == "pending",
            )
        ).all()
    # Reminders before the new term's notice deadline (2031-06-02 less 90 days: 2031-03-04),
    # none left for the old one.
    assert sorted(pending) == [date(2030, 9, 5), date(2031, 2, 2)]
