"""Property: whatever moves are tried, the stored state is the replay of the stored history."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from models import Agreement, AgreementEvent, AgreementTerm, OutboxMessage
from tests import factories
from tests.factories import TODAY
from workflow import lifecycle
from workflow.agreements.moves import SignatoryInput, advance
from workflow.agreements.tick import run_tick
from workflow.errors import AccordError
from workflow.lifecycle import Trigger
from workflow.uow import UnitOfWork

# "tick" stands for the calendar's own moves; "bogus" for a trigger nobody defined.
ANY_TRIGGER = [t.value for t in Trigger] + ["tick", "bogus"]
SIGNERS = [
    {},
    {"home": SignatoryInput("Home President"), "partner": SignatoryInput("Partner Head")},
    {"home": SignatoryInput("Home President"), "partner": SignatoryInput("Partner Head")},
    {"home": SignatoryInput("Home President")},
    {"home": SignatoryInput("Home President"), "partner": SignatoryInput("Partner Head")},
    {"HOME": SignatoryInput("A"), "PART": SignatoryInput("B"), "outsider": SignatoryInput("C")},
    {"home": SignatoryInput(" "), "PART": SignatoryInput("Partner Head")},
]
COMMENTS = [None, "", "  ", "agreed", "agreed", "agreed"]
# Triggers that take an agreement forward: drawn most often, so that sequences get deep.
FORWARD = {"review", "resubmit", "approve", "send_for_signature", "sign", "renew", "resume"}
_titles = itertools.count()


def pool(state: str, dice: int) -> list[str]:
    """Where to draw the next trigger from: mostly legal ones that take the agreement forward."""
    legal = lifecycle.legal_triggers(state)
    going = [t for t in legal if t in FORWARD]
    if dice < 6 and going:
        return going
    if dice < 9 and legal:
        return legal
    return ANY_TRIGGER


def stored(engine: Engine, slug: str) -> tuple[str, int, date]:
    """(state, version, date of the latest event) as committed."""
    with UnitOfWork(engine) as uow:
        row = uow.session.execute(
            select(Agreement.state, Agreement.version, AgreementEvent.at)
            .join(AgreementEvent, AgreementEvent.agreement_id == Agreement.id)
            .where(Agreement.slug == slug, AgreementEvent.seq == Agreement.version)
        ).one()
        return str(row.state), row.version, row.at.date()


def assert_history_explains_state(engine: Engine, slug: str) -> None:
    """The invariant: replayed events give the stored state, gap-free, one outbox row each."""
    with UnitOfWork(engine) as uow:
        agreement = uow.session.scalars(select(Agreement).where(Agreement.slug == slug)).one()
        events = uow.session.scalars(
            select(AgreementEvent)
            .where(AgreementEvent.agreement_id == agreement.id)
            .order_by(AgreementEvent.seq)
        ).all()
        outbox = uow.session.scalars(
            select(OutboxMessage.event_id).where(OutboxMessage.agreement_id == agreement.id)
        ).all()
        terms = uow.session.scalars(
            select(AgreementTerm.number).where(AgreementTerm.agreement_id == agreement.id)
        ).all()
        # Read inside the unit of work: leaving it rolls back, which expires the loaded rows.
        state, version, term_no = str(agreement.state), agreement.version, agreement.term_no
        history = [(e.trigger, e.from_state, e.to_state) for e in events]
        seqs, ids = [e.seq for e in events], [e.id for e in events]
    assert lifecycle.replay(history) == state
    assert seqs == list(range(1, version + 1))
    assert sorted(outbox, key=lambda i: i or 0) == ids
    signings = [t for t, _, _ in history if t in ("sign", "renew")]
    assert sorted(terms) == list(range(1, len(signings) + 1)) == list(range(1, term_no + 1))


def test_any_sequence_of_moves_matches_the_replayed_history(engine: Engine) -> None:
    factories.institutions(engine)
    factories.outsider(engine)

    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data(), signed=st.booleans(), length=st.integers(1, 16))
    def run(data: st.DataObject, signed: bool, length: int) -> None:
        # Half the walks start signed, so the later life (renewals, suspensions, lapses) is walked.
        title = f"Property {next(_titles)}"
        slug = factories.active(engine, title) if signed else factories.proposed(engine, title)
        for _ in range(length):
            state, version, last_day = stored(engine, slug)
            trigger = data.draw(st.sampled_from(pool(state, data.draw(st.integers(0, 9)))))
            gap = data.draw(
                st.none() | st.integers(0, 200) | st.integers(-30, 400), label="days after last"
            )
            on = None if gap is None else last_day + timedelta(days=gap)
            if trigger == "tick":
                run_tick(UnitOfWork(engine), min(on or TODAY, TODAY))
                assert stored(engine, slug)[1] in (version, version + 1)
                continue
            until_gap = data.draw(st.none() | st.integers(-60, 2000), label="until")
            expect = data.draw(st.sampled_from([None, None, version, version - 1]), label="expect")
            try:
                advance(
                    UnitOfWork(engine),
                    slug,
                    trigger,
                    actor=data.draw(st.sampled_from(["coordinator", "Dr. Li"])),
                    today=TODAY,
                    on=on,
                    comment=data.draw(st.sampled_from(COMMENTS)),
                    until=None if until_gap is None else (on or TODAY) + timedelta(days=until_gap),
                    signatories=data.draw(st.sampled_from(SIGNERS)),
                    expect_version=expect,
                )
            except AccordError:
                # A refusal writes nothing at all.
                assert stored(engine, slug)[1] == version
            else:
                assert stored(engine, slug)[1] == version + 1
        assert_history_explains_state(engine, slug)

    run()
