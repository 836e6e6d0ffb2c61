"""One move through the service on both databases: all of it is written, or none of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError, StatementError

from models import AgreementEvent, AgreementTerm
from tests import factories
from tests.factories import SIGNED, TODAY
from workflow.agreements.moves import SignatoryInput, advance, apply_move
from workflow.errors import AccordError, InvalidInput, MoveRefused, NotFound, StaleVersion
from workflow.uow import UnitOfWork

RENEWED_ON = date(2026, 3, 1)
RENEWERS = {"HOME": SignatoryInput("New President"), "part": SignatoryInput("New Head")}


@pytest.fixture
def slug(engine: Engine) -> str:
    """An active agreement at version 5, signed 2021-06-01 for 60 months."""
    factories.institutions(engine)
    return factories.active(engine)


def untouched_columns(engine: Engine) -> tuple[object, ...]:
    """The agreement's columns that no move may change."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text("SELECT id, slug, title, kind, proposed_on, created_at FROM agreements")
            ).one()
        )


def test_one_move_writes_state_event_and_outbox_together(engine: Engine, slug: str) -> None:
    before = factories.snapshot(engine, slug)
    fixed = untouched_columns(engine)
    result = advance(
        UnitOfWork(engine),
        slug,
        "suspend",
        actor="Dr. Li",
        today=TODAY,
        on=date(2024, 1, 15),
        comment="audit pending",
    )
    after = factories.snapshot(engine, slug)
    assert (result.from_state, result.to_state, result.version) == ("active", "suspended", 6)
    assert (after.state, after.version) == ("suspended", 6)
    assert after.events[:-1] == before.events
    assert after.events[-1] == (
        6,
        "suspend",
        "active",
        "suspended",
        "Dr. Li",
        datetime(2024, 1, 15, tzinfo=UTC),
    )
    assert after.outbox[:-1] == before.outbox
    assert after.outbox[-1] == (result.event_id, "agreement.suspend")
    assert untouched_columns(engine) == fixed
    # Without --on, the move is timed when it is made; the numeric id finds the agreement too.
    now = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    advance(UnitOfWork(engine), str(result.agreement_id), "resume", actor="t", today=TODAY, now=now)
    resumed = factories.snapshot(engine, slug)
    assert resumed.events[-1][1:] == ("resume", "suspended", "active", "t", now)
    assert len(resumed.outbox) == len(resumed.events) == 7


def _abandon_a_move(engine: Engine, slug: str) -> None:
    with UnitOfWork(engine) as uow:
        apply_move(uow, slug, "suspend", actor="t", today=TODAY, comment="audit")
        # The move is really in the transaction before it is abandoned.
        state = uow.conn.execute(text("SELECT state FROM agreements")).scalar_one()
        assert state == "suspended"
        raise RuntimeError("crash before commit")


def test_error_before_commit_rolls_the_move_back(engine: Engine, slug: str) -> None:
    before = factories.snapshot(engine, slug)
    with pytest.raises(RuntimeError, match="crash before commit"):
        _abandon_a_move(engine, slug)
    assert factories.snapshot(engine, slug) == before


def test_event_insert_failing_after_the_update_changes_nothing(engine: Engine, slug: str) -> None:
    before = factories.snapshot(engine, slug)
    # Unserialisable event data: the UPDATE has run when the event INSERT fails.
    with pytest.raises((StatementError, TypeError), match="not JSON serializable"):
        advance(
            UnitOfWork(engine),
            slug,
            "suspend",
            actor="t",
            today=TODAY,
            comment="audit",
            data={"bad": object()},
        )
    assert factories.snapshot(engine, slug) == before


@pytest.fixture
def broken_outbox(engine: Engine) -> Iterator[None]:
    """An outbox that refuses every insert, as a full disk or a lost constraint would."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:
            conn.execute(
                text(
                    "CREATE FUNCTION test_outbox_down() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'outbox is down'; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER test_outbox_down BEFORE INSERT ON outbox "
                    "FOR EACH ROW EXECUTE FUNCTION test_outbox_down()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER test_outbox_down BEFORE INSERT ON outbox "
                    "BEGIN SELECT RAISE(ABORT, 'outbox is down'); END"
                )
            )
    yield
    # The PostgreSQL database outlives this test (SQLite's file does not): leave it clean.
    with engine.begin() as conn:
        if postgres:
            conn.execute(text("DROP TRIGGER test_outbox_down ON outbox"))
            conn.execute(text("DROP FUNCTION test_outbox_down()"))
        else:
            conn.execute(text("DROP TRIGGER test_outbox_down"))


def test_outbox_insert_failing_changes_nothing(
    engine: Engine, slug: str, broken_outbox: None
) -> None:
    before = factories.snapshot(engine, slug)
    with pytest.raises(DBAPIError, match="outbox is down"):
        advance(UnitOfWork(engine), slug, "suspend", actor="t", today=TODAY, comment="audit")
    assert factories.snapshot(engine, slug) == before


def test_signatory_insert_failing_rolls_back_the_whole_renewal(engine: Engine, slug: str) -> None:
    before = factories.snapshot(engine, slug)
    # No such person: the signatories INSERT, the move's last statement, breaks a foreign key.
    ghost = {**RENEWERS, "PART": SignatoryInput("Ghost", person_id=999_999)}
    with pytest.raises(DBAPIError, match=r"(?i)foreign key"):
        advance(
            UnitOfWork(engine),
            slug,
            "renew",
            actor="t",
            today=TODAY,
            on=RENEWED_ON,
            signatories=ghost,
        )
    assert factories.snapshot(engine, slug) == before


def test_stale_version_is_refused_naming_who_and_when(engine: Engine, slug: str) -> None:
    advance(UnitOfWork(engine), slug, "suspend", actor="Dr. Li", today=TODAY, comment="audit")
    before = factories.snapshot(engine, slug)
    with pytest.raises(StaleVersion) as info:
        advance(
            UnitOfWork(engine),
            slug,
            "terminate",
            actor="Ms. Wang",
            today=TODAY,
            comment="ended",
            expect_version=5,
        )
    message = str(info.value)
    assert "version 6, not 5" in message
    assert "Dr. Li made it suspended (suspend)" in message
    assert re.search(r" at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", message), message
    assert factories.snapshot(engine, slug) == before
    # The current version is accepted.
    result = advance(
        UnitOfWork(engine),
        slug,
        "terminate",
        actor="Ms. Wang",
        today=TODAY,
        comment="ended",
        expect_version=6,
    )
    assert result.version == 7


@pytest.mark.parametrize(
    ("trigger", "kwargs", "error", "message"),
    [
        ("approve", {}, MoveRefused, "legal from active: open_renewal, renew, give_notice, expire"),
        ("bogus", {}, MoveRefused, "unknown trigger"),
        ("suspend", {"comment": " "}, MoveRefused, "say why it is suspended"),
        ("suspend", {"comment": "x", "actor": " "}, InvalidInput, "an actor is required"),
        (
            "renew",
            {"on": RENEWED_ON, "signatories": {"home": SignatoryInput("New President")}},
            MoveRefused,
            "renewal needs a signatory for Partner University",
        ),
        (
            "suspend",
            {"comment": "audit", "on": date(2021, 5, 31)},
            InvalidInput,
            r"2021-05-31 is before the last recorded move \(sign on 2021-06-01\)",
        ),
        (
            "suspend",
            {"comment": "audit", "on": date(2026, 11, 23)},
            InvalidInput,
            "2026-11-23 is in the future",
        ),
    ],
    ids=["illegal", "unknown", "guard", "actor", "signatory", "before-last", "future"],
)
def test_refused_moves_write_nothing(
    engine: Engine,
    slug: str,
    trigger: str,
    kwargs: dict[str, object],
    error: type[AccordError],
    message: str,
) -> None:
    before = factories.snapshot(engine, slug)
    arguments: dict[str, object] = {"actor": "t", "today": TODAY, **kwargs}
    with pytest.raises(error, match=message):
        advance(UnitOfWork(engine), slug, trigger, **arguments)
    assert factories.snapshot(engine, slug) == before


def test_on_date_of_the_last_move_is_accepted(engine: Engine, slug: str) -> None:
    advance(UnitOfWork(engine), slug, "suspend", actor="t", today=TODAY, on=SIGNED, comment="x")
    assert factories.snapshot(engine, slug).state == "suspended"


def test_unknown_ref_is_not_found(engine: Engine, slug: str) -> None:
    for ref in ("no-such-agreement", "424242", 424242):
        with pytest.raises(NotFound, match="no agreement"):
            advance(UnitOfWork(engine), ref, "suspend", actor="t", today=TODAY, comment="x")


def test_event_table_is_append_only(engine: Engine, slug: str) -> None:
    before = factories.snapshot(engine, slug)
    for statement in (
        "UPDATE agreement_events SET comment = 'rewritten'",
        "UPDATE agreement_events SET to_state = 'terminated' WHERE seq = 5",
        "DELETE FROM agreement_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert factories.snapshot(engine, slug) == before


def test_sign_creates_the_first_term_with_its_signatories(engine: Engine, slug: str) -> None:
    after = factories.snapshot(engine, slug)
    assert after.terms == ((1, SIGNED, date(2026, 6, 1), ("Home President", "Partner Head")),)
    assert (after.expires_on, after.renewal_opens_on) == (date(2026, 6, 1), date(2025, 12, 3))
    assert after.events[-1][1:4] == ("sign", "awaiting_signature", "active")
    with UnitOfWork(engine) as uow:
        data = uow.session.scalars(
            select(AgreementEvent.data).where(AgreementEvent.trigger == "sign")
        ).one()
    assert data == {
        "signatories": {"HOME": "Home President", "PART": "Partner Head"},
        "until": "2026-06-01",
    }


def test_renewal_adds_a_term_and_keeps_the_first_intact(engine: Engine, slug: str) -> None:
    first = factories.snapshot(engine, slug).terms
    result = advance(
        UnitOfWork(engine),
        slug,
        "renew",
        actor="t",
        today=TODAY,
        on=RENEWED_ON,
        signatories=RENEWERS,
    )
    after = factories.snapshot(engine, slug)
    assert (result.to_state, after.state) == ("renewed", "renewed")
    assert after.terms[0] == first[0]
    # Signed early (2026-03-01), the new term takes effect the day after the old one ends
    # (2026-06-01) and runs its 60 months from then: the two terms do not overlap.
    assert after.terms[1] == (2, RENEWED_ON, date(2031, 6, 2), ("New President", "New Head"))
    assert (after.expires_on, after.renewal_opens_on) == (date(2031, 6, 2), date(2030, 12, 4))
    with UnitOfWork(engine) as uow:
        terms = uow.session.scalars(select(AgreementTerm).order_by(AgreementTerm.number)).all()
        assert terms[1].event_id == result.event_id
        assert (terms[1].signed_on, terms[1].effective_on) == (RENEWED_ON, date(2026, 6, 2))
        assert terms[0].expires_on == date(2026, 6, 1)
        assert [s.institution.slug for s in terms[0].signatories] == ["home", "partner"]
        assert [s.institution.slug for s in terms[1].signatories] == ["home", "partner"]
    # On a later term, resume after a suspension goes back to renewed, not active.
    advance(UnitOfWork(engine), slug, "suspend", actor="t", today=TODAY, comment="audit")
    assert advance(UnitOfWork(engine), slug, "resume", actor="t", today=TODAY).to_state == (
        "renewed"
    )


def test_renewal_effective_date_can_be_given(engine: Engine, slug: str) -> None:
    advance(
        UnitOfWork(engine),
        slug,
        "renew",
        actor="t",
        today=TODAY,
        on=RENEWED_ON,
        effective=date(2026, 4, 1),
        signatories=RENEWERS,
    )
    after = factories.snapshot(engine, slug)
    assert after.terms[1][:3] == (2, RENEWED_ON, date(2031, 4, 1))
    with UnitOfWork(engine) as uow:
        effective_on = uow.session.scalars(
            select(AgreementTerm.effective_on).where(AgreementTerm.number == 2)
        ).one()
        data = uow.session.scalars(
            select(AgreementEvent.data).where(AgreementEvent.trigger == "renew")
        ).one()
    assert effective_on == date(2026, 4, 1)
    assert (data["effective"], data["until"]) == ("2026-04-01", "2031-04-01")


def test_effective_date_only_for_renew(engine: Engine, slug: str) -> None:
    before = factories.snapshot(engine, slug)
    with pytest.raises(InvalidInput, match=r"^--effective applies to renew, not 'suspend'$"):
        advance(
            UnitOfWork(engine),
            slug,
            "suspend",
            actor="t",
            today=TODAY,
            comment="audit",
            effective=date(2026, 4, 1),
        )
    assert factories.snapshot(engine, slug) == before


def test_signatory_for_a_non_party_is_refused(engine: Engine, slug: str) -> None:
    factories.outsider(engine)
    before = factories.snapshot(engine, slug)
    with pytest.raises(InvalidInput, match=r"'outsider' is not a party .*HOME, PART"):
        advance(
            UnitOfWork(engine),
            slug,
            "renew",
            actor="t",
            today=TODAY,
            on=RENEWED_ON,
            signatories={**RENEWERS, "outsider": SignatoryInput("Stranger")},
        )
    assert factories.snapshot(engine, slug) == before
