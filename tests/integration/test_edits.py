"""`accord agreements edit`: fields edited as entries in the history, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import text

from models import Agreement, AgreementEvent, Institution, Notification, Unit
from tests import factories
from tests.factories import TODAY
from tests.integration.test_cli import Outcome, ok, run_cli
from workflow.agreements.edits import Edit, edit_agreement
from workflow.agreements.moves import advance
from workflow.agreements.replay import replay_record
from workflow.errors import InvalidInput
from workflow.notices import handlers
from workflow.uow import UnitOfWork


def refused(db_url: str, command: str) -> str:
    """A command that must fail with exit 1 and one line on stderr; that line."""
    outcome = run_cli(db_url, command)
    assert outcome.code == 1, outcome
    assert len(outcome.err.splitlines()) == 1, outcome.err
    assert "Traceback" not in outcome.err + outcome.out
    return outcome.err


def edited(db_url: str, slug: str, options: str, version: int) -> Outcome:
    return ok(db_url, f"agreements edit {slug} {options} --expect-version {version} --actor ed")


@pytest.fixture
def slug(engine: Engine) -> str:
    """An agreement in `proposed` (version 1) with coordinator `coord` and unit `intl-office`."""
    factories.institutions(engine)
    factories.contacts(engine)
    return factories.agreement(engine, "Old title", expires=None)


def row(engine: Engine, slug: str) -> Agreement:
    with UnitOfWork(engine) as uow:
        found = uow.session.scalars(select(Agreement).where(Agreement.slug == slug)).one()
        uow.session.expunge(found)
        return found


def test_an_edit_is_one_entry_in_the_history(engine: Engine, db_url: str, slug: str) -> None:
    out = edited(
        db_url,
        slug,
        "--title 'New title' --coordinator partner-contact --notice-days 90 --term-months 36 "
        "--renewal-type auto --summary 'Exchange of students'",
        1,
    ).out
    assert out.splitlines() == [
        f"{slug}: edited title: Old title → New title",
        f"{slug}: edited coordinator: coord → partner-contact",
        f"{slug}: edited notice_days: (none) → 90",
        f"{slug}: edited term_months: (none) → 36",
        f"{slug}: edited renewal_type: fixed → auto",
        f"{slug}: edited summary: (none) → Exchange of students",
        f"{slug}: version 2",
    ]
    after = row(engine, slug)
    assert (after.title, after.notice_days, after.term_months, after.version) == (
        "New title",
        90,
        36,
        2,
    )
    assert (str(after.renewal_type), after.summary, str(after.state)) == (
        "auto",
        "Exchange of students",
        "proposed",
    )
    history = ok(db_url, f"agreements history {slug} --json").json()
    assert [(e["seq"], e["trigger"], e["from_state"], e["to_state"]) for e in history] == [
        (1, "propose", None, "proposed"),
        (2, "edit", "proposed", "proposed"),
    ]
    assert history[0]["changes"] == []
    assert history[1]["actor"] == "ed"
    assert history[1]["changes"][0] == {
        "field": "title",
        "before": "Old title",
        "after": "New title",
    }
    assert history[1]["data"] == {"changes": history[1]["changes"]}
    shown = ok(db_url, f"agreements history {slug}").out.splitlines()
    assert shown[1].split()[2:5] == ["edit", "proposed", "->"]
    assert shown[1].endswith("edited title: Old title → New title")
    assert shown[2].strip() == "edited coordinator: coord → partner-contact"
    assert len(shown) == 1 + 6
    replayed = replay_record(history)
    assert (replayed.state, replayed.fields["title"], replayed.fields["notice_days"]) == (
        "proposed",
        "New title",
        90,
    )
    data = ok(db_url, f"agreements show {slug} --json").json()
    assert (data["coordinator"], data["renewal_type"], data["summary"]) == (
        "Pat Ner",
        "auto",
        "Exchange of students",
    )


def test_the_json_contract_of_an_edit(engine: Engine, db_url: str, slug: str) -> None:
    data = edited(db_url, slug, "--unit '' --review-months 12 --json", 1).json()
    assert data.keys() == {
        "agreement_id",
        "slug",
        "state",
        "version",
        "changes",
        "event_id",
        "revised",
        "agreement",
    }
    assert (data["slug"], data["state"], data["version"], data["revised"]) == (
        slug,
        "proposed",
        2,
        False,
    )
    assert data["changes"] == [
        {"field": "unit", "before": "intl-office", "after": None},
        {"field": "review_months", "before": None, "after": 12},
    ]
    assert (data["agreement"]["owning_unit"], data["agreement"]["review_months"]) == (None, 12)
    assert data["agreement"]["approved_hash"] is None
    assert len(data["agreement"]["content_hash"]) == 64


def test_an_edit_that_changes_nothing_writes_nothing(
    engine: Engine, db_url: str, slug: str
) -> None:
    before = factories.snapshot(engine, slug)
    out = edited(db_url, slug, "--title 'Old title' --coordinator 'Cora Ord'", 1).out
    assert out == f"{slug}: nothing changed, version 1\n"
    assert factories.snapshot(engine, slug) == before


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ("--coordinator nobody", "no person 'nobody'"),
        ("--unit no-such-unit", "no unit 'no-such-unit'"),
        ("--notice-days -5", "notice period (days) must be from 1"),
        ("--term-months 0", "term (months) must be from 1"),
        ("--review-months -1", "review interval (months) must be from 1"),
        ("--title '   '", "the title is empty"),
        ("--renewal-type weekly", "unknown renewal type 'weekly'"),
        ("--title 'A' --unit partner-office", "belongs to neither party"),
        ("", "nothing to edit"),
        ("--summary 'a\x1bb'", "control characters"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    engine: Engine, db_url: str, slug: str, options: str, says: str
) -> None:
    factories.outsider(engine)
    with UnitOfWork(engine) as uow:  # a unit of an institution that is no party
        outsider = uow.session.scalars(select(Institution).where(Institution.slug == "outsider"))
        uow.session.add(
            Unit(slug="partner-office", institution_id=outsider.one().id, name="PO", kind="office")
        )
        uow.commit()
    before = factories.snapshot(engine, slug)
    said = refused(db_url, f"agreements edit {slug} {options} --expect-version 1")
    assert says in said
    assert factories.snapshot(engine, slug) == before
    assert row(engine, slug).title == "Old title"


def test_a_stale_version_is_refused_naming_who_changed_it(
    engine: Engine, db_url: str, slug: str
) -> None:
    advance(UnitOfWork(engine), slug, "review", actor="Dr. Li", today=TODAY)
    before = factories.snapshot(engine, slug)
    said = refused(db_url, f"agreements edit {slug} --title 'Late' --expect-version 1")
    assert f"{slug} is at version 2, not 1: Dr. Li made it under_review (review)" in said
    assert factories.snapshot(engine, slug) == before
    # An edit moves the version like a move: a move expecting the old version is refused.
    edited(db_url, slug, "--title 'On time'", 2)
    said = refused(db_url, f"agreements advance {slug} approve --expect-version 2")
    assert "at version 3, not 2: ed made it under_review (edit)" in said


@pytest.mark.parametrize("where", ["approved", "awaiting_signature"])
def test_approved_content_changed_goes_back_to_review(
    engine: Engine, db_url: str, slug: str, where: str
) -> None:
    for trigger in ["review", "approve", "send_for_signature"][: 2 if where == "approved" else 3]:
        advance(UnitOfWork(engine), slug, trigger, actor="tester", today=TODAY)
    version = row(engine, slug).version
    approved = ok(db_url, f"agreements show {slug} --json").json()
    assert approved["approved_hash"] == approved["content_hash"]
    assert "(matches the content now)" in ok(db_url, f"agreements show {slug}").out

    out = edited(db_url, slug, "--term-months 24", version).out
    assert f"{slug}: changed after approval: back to under_review" in out
    history = ok(db_url, f"agreements history {slug} --json").json()
    assert [(e["trigger"], e["from_state"], e["to_state"], e["actor"]) for e in history[-2:]] == [
        ("edit", where, where, "ed"),
        ("revise", where, "under_review", "ed"),
    ]
    assert history[-1]["comment"] == "changed after approval"
    assert history[-1]["seq"] == version + 2 == row(engine, slug).version
    shown = ok(db_url, f"agreements show {slug} --json").json()
    assert shown["state"] == "under_review"
    assert shown["approved_hash"] == approved["approved_hash"] != shown["content_hash"]
    text_out = ok(db_url, f"agreements show {slug}").out
    assert f"differs: the content now is {shown['content_hash'][:12]}" in text_out
    # A new approval binds to the content as it is now.
    advance(UnitOfWork(engine), slug, "approve", actor="tester", today=TODAY)
    again = ok(db_url, f"agreements show {slug} --json").json()
    assert again["approved_hash"] == again["content_hash"] == shown["content_hash"]


def test_who_coordinates_is_not_approved_content(engine: Engine, db_url: str, slug: str) -> None:
    for trigger in ("review", "approve"):
        advance(UnitOfWork(engine), slug, trigger, actor="tester", today=TODAY)
    out = edited(db_url, slug, "--summary 'Notes' --coordinator '' --unit ''", 3).out
    assert "changed after approval" not in out
    shown = ok(db_url, f"agreements show {slug} --json").json()
    assert (shown["state"], shown["version"]) == ("approved", 4)
    assert shown["approved_hash"] == shown["content_hash"]


def test_what_was_signed_changes_only_by_a_move(engine: Engine, db_url: str) -> None:
    factories.institutions(engine)
    slug = factories.active(engine)
    before = factories.snapshot(engine, slug)
    for options in ("--term-months 24", "--renewal-type auto", "--notice-days 30"):
        said = refused(db_url, f"agreements edit {slug} {options} --title X --expect-version 5")
        assert f"{slug} is signed: its {options[2:].split()[0].replace('-', '_')}" in said
    assert factories.snapshot(engine, slug) == before
    edited(db_url, slug, "--title 'Renamed' --summary 'Signed in 2021'", 5)
    assert row(engine, slug).title == "Renamed"


def test_a_correction_to_open_ended_clears_the_end_dates(engine: Engine) -> None:
    factories.institutions(engine)
    slug = factories.active(engine)
    before = row(engine, slug)
    assert before.expires_on is not None
    result = edit_agreement(
        UnitOfWork(engine),
        slug,
        Edit(renewal_type="open-ended", review_months=24),
        actor="seed",
        expect_version=5,
        today=TODAY,
        correction=True,
    )
    assert result.changes == [
        {"field": "renewal_type", "before": "fixed", "after": "open_ended"},
        {"field": "review_months", "before": None, "after": 24},
        {"field": "expires_on", "before": before.expires_on.isoformat(), "after": None},
        {
            "field": "renewal_opens_on",
            "before": before.renewal_opens_on.isoformat() if before.renewal_opens_on else None,
            "after": None,
        },
        # The signed term's end goes too: an open-ended term has none.
        {"field": "term_expires_on", "before": before.expires_on.isoformat(), "after": None},
    ]
    with engine.connect() as conn:
        ends = (
            conn.execute(
                text(
                    "SELECT t.expires_on FROM agreement_terms t"
                    " JOIN agreements a ON a.id = t.agreement_id WHERE a.slug = :s"
                ),
                {"s": slug},
            )
            .scalars()
            .all()
        )
    assert ends == [None]
    after = row(engine, slug)
    assert (after.expires_on, after.renewal_opens_on, str(after.renewal_type)) == (
        None,
        None,
        "open_ended",
    )
    with pytest.raises(InvalidInput, match="is signed"):
        edit_agreement(
            UnitOfWork(engine), slug, Edit(term_months=12), actor="x", expect_version=6, today=TODAY
        )


def test_edits_mail_nobody(engine: Engine, slug: str) -> None:
    result = edit_agreement(
        UnitOfWork(engine), slug, Edit(title="Quiet"), actor="ed", expect_version=1, today=TODAY
    )
    assert result.event_id is not None
    with UnitOfWork(engine) as uow:
        done = handlers.handle_event(uow, result.event_id, today=TODAY, default_offsets=(30,))
        uow.commit()
    assert (done.scheduled, done.cancelled, done.notices) == (0, 0, [])
    with UnitOfWork(engine) as uow:
        assert uow.session.scalars(select(Notification)).all() == []


def test_the_history_of_edits_is_append_only(engine: Engine, slug: str) -> None:
    edit_agreement(
        UnitOfWork(engine), slug, Edit(title="Kept"), actor="ed", expect_version=1, today=TODAY
    )
    before = factories.snapshot(engine, slug)
    for statement in (
        "UPDATE agreement_events SET data = '{}' WHERE trigger = 'edit'",
        "UPDATE agreement_events SET actor = 'someone else' WHERE trigger = 'edit'",
        "DELETE FROM agreement_events WHERE trigger = 'edit'",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert factories.snapshot(engine, slug) == before
    with UnitOfWork(engine) as uow:
        data = uow.session.scalars(
            select(AgreementEvent.data).where(AgreementEvent.trigger == "edit")
        ).one()
    assert data == {"changes": [{"field": "title", "before": "Old title", "after": "Kept"}]}
