"""Seeding on both databases: everything lands once, histories replay, dates decide the states."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from models import (
    Agreement,
    AgreementEvent,
    AgreementTerm,
    Base,
    Initiative,
    Institution,
    InstitutionKind,
    Partnership,
)
from workflow import lifecycle
from workflow.agreements.proposals import Proposal, propose
from workflow.agreements.tick import run_tick
from workflow.errors import InvalidInput
from workflow.lifecycle import State, Trigger
from workflow.seeding.schema import AgreementEntry, SeedFile
from workflow.seeding.store import KINDS, load_seed_file, seed
from workflow.uow import UnitOfWork

SEED = Path(__file__).resolve().parents[2] / "data" / "seed.toml"
DAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def data() -> SeedFile:
    return load_seed_file(SEED)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def _agreements(engine: Engine) -> dict[str, tuple[int, int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Agreement.slug, Agreement.id, Agreement.version, Agreement.state)
        )
        return {slug: (id_, version, str(state)) for slug, id_, version, state in rows}


def expected_state(entry: AgreementEntry, day: date) -> str:
    """Where the file's dates put an agreement on `day`, worked out from the file alone."""
    state, until = lifecycle.INITIAL.value, None
    for step in entry.history:
        (state,) = lifecycle.destinations(state, step.trigger)
        if step.trigger in (Trigger.SIGN, Trigger.RENEW):
            term = entry.term_months or 0
            until = step.until or lifecycle.add_months(step.on, term)
            if entry.renewal_type == lifecycle.RenewalType.OPEN_ENDED:
                until = None  # no end date: in force until terminated
    if state not in lifecycle.IN_FORCE or until is None:
        return state
    if until <= day:
        return State.EXPIRED.value
    if until - timedelta(days=entry.renewal_window_days) <= day:
        return State.RENEWAL_DUE.value
    return state


def test_seeding_stores_every_entry_of_the_file(engine: Engine, data: SeedFile) -> None:
    report = seed(engine, data, today=DAY)
    in_file = {kind: len(getattr(data, kind)) for kind in KINDS}
    assert report.created == in_file
    assert report.unchanged == dict.fromkeys(KINDS, 0)
    moves = sum(len(a.history) for a in data.agreements)
    assert report.moves == moves
    counts = _counts(engine)
    assert {kind: counts[kind] for kind in KINDS} == in_file
    # Each agreement: its proposal and one event per history step, each with its outbox row.
    assert counts["agreement_events"] == counts["outbox"] == len(data.agreements) + moves
    assert counts["agreement_terms"] == sum(
        1 for a in data.agreements for s in a.history if s.trigger in ("sign", "renew")
    )
    assert "8 agreements" in str(report)
    assert report.as_dict()["moves"] == moves


def test_seeding_twice_changes_nothing(engine: Engine, data: SeedFile) -> None:
    seed(engine, data, today=DAY)
    before = (_counts(engine), _agreements(engine))
    again = seed(engine, data, today=DAY)
    assert (_counts(engine), _agreements(engine)) == before
    assert sum(again.created.values()) == again.moves == 0
    assert again.unchanged == {kind: len(getattr(data, kind)) for kind in KINDS}
    assert str(again).startswith("nothing to do: unchanged 5 sources")


def _zones(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(select(Institution.slug, Institution.time_zone))
        return {row.slug: row.time_zone for row in rows}


def test_seeding_again_fills_in_time_zones_the_rows_lack_and_keeps_those_set(
    engine: Engine, data: SeedFile
) -> None:
    seed(engine, data, today=DAY)
    assert _zones(engine) == {i.slug: i.time_zone for i in data.institutions}
    with engine.begin() as conn:
        # A database seeded before institutions had a time zone (migration 0005 leaves NULL),
        # where somebody has since set one by hand: that one is theirs to keep.
        conn.execute(update(Institution).values(time_zone=None))
        conn.execute(
            update(Institution).where(Institution.slug == "qmul").values(time_zone="Europe/Dublin")
        )
    before = (_counts(engine), _agreements(engine))

    again = seed(engine, data, today=DAY)
    n = len(data.institutions) - 1
    # The one set by hand is kept, and reported as differing from the file.
    assert (again.filled["institutions"], again.unchanged["institutions"]) == (n, 0)
    assert f"; filled in the missing time zone of {n} institutions; 1 entry differs" in str(again)
    assert "institutions qmul time_zone: 'Europe/Dublin' stored" in str(again)
    assert again.as_dict()["filled"]["institutions"] == n
    expected = {i.slug: i.time_zone for i in data.institutions} | {"qmul": "Europe/Dublin"}
    assert _zones(engine) == expected
    assert (_counts(engine), _agreements(engine)) == before

    third = seed(engine, data, today=DAY)
    assert set(third.filled.values()) == {0}
    assert "filled" not in str(third)


@pytest.mark.parametrize(
    "day", [DAY, datetime.now(UTC).date()], ids=["pinned-day", "real-today-utc"]
)
def test_after_a_tick_every_agreement_stands_where_its_dates_put_it(
    engine: Engine, data: SeedFile, day: date
) -> None:
    seed(engine, data, today=day)
    run_tick(UnitOfWork(engine), day)
    states = {slug: state for slug, (_, _, state) in _agreements(engine).items()}
    assert states == {a.slug: expected_state(a, day) for a in data.agreements}
    if day == DAY:
        assert states["hust-itmo-kpa"] == states["hust-qmul-kpa"] == "expired"
        assert states["hust-rwth-kpa"] == states["hust-rwth-mou"] == "renewal_due"
        assert states["hust-heidelberg-clinical-training"] == "approved"
        assert states["ustb-rwth-1979"] == "active"


def test_the_stored_state_is_the_replay_of_the_event_history(
    engine: Engine, data: SeedFile
) -> None:
    seed(engine, data, today=DAY)
    run_tick(UnitOfWork(engine), DAY)
    with engine.connect() as conn:
        for slug, (agreement_id, version, state) in _agreements(engine).items():
            steps = conn.execute(
                select(AgreementEvent.trigger, AgreementEvent.from_state, AgreementEvent.to_state)
                .where(AgreementEvent.agreement_id == agreement_id)
                .order_by(AgreementEvent.seq)
            ).all()
            assert len(steps) == version, slug
            assert lifecycle.replay([(t, f, to) for t, f, to in steps]) == state, slug


def test_a_renewal_keeps_both_terms_with_their_signatories(engine: Engine, data: SeedFile) -> None:
    seed(engine, data, today=DAY)
    with UnitOfWork(engine) as uow:
        mou = uow.session.scalars(select(Agreement).where(Agreement.slug == "hust-rwth-mou")).one()
        terms: list[Any] = [
            (
                t.number,
                t.signed_on,
                t.expires_on,
                sorted(s.name for s in t.signatories),
                sum(s.person_id is not None for s in t.signatories),
            )
            for t in uow.session.scalars(
                select(AgreementTerm).where(AgreementTerm.agreement_id == mou.id)
            )
        ]
        assert sorted(terms) == [
            (
                1,
                date(2017, 1, 16),
                date(2022, 1, 16),
                ["HUST representative (not named)", "RWTH representative (not named)"],
                0,
            ),
            (2, date(2022, 1, 14), date(2027, 1, 14), ["Ulrich Rüdiger", "You Zheng"], 2),
        ]
        assert (mou.term_no, mou.signed_on, mou.expires_on) == (
            2,
            date(2022, 1, 14),
            date(2027, 1, 14),
        )
        assert mou.assumptions["source"]["published"] == "2022-01-26"
        assert "term_assumption" in mou.assumptions


def test_the_key_partnership_initiative_has_its_target_and_agreements(
    engine: Engine, data: SeedFile
) -> None:
    seed(engine, data, today=DAY)
    with UnitOfWork(engine) as uow:
        initiative = uow.session.scalars(select(Initiative)).one()
        linked = uow.session.scalars(
            select(Agreement.slug).where(Agreement.initiative_id == initiative.id)
        ).all()
        assert (initiative.slug, initiative.target) == ("hust-key-partnership-initiative", 10)
    assert sorted(linked) == ["hust-itmo-kpa", "hust-qmul-kpa", "hust-rwth-kpa"]


def test_a_history_the_machine_refuses_leaves_the_database_empty(
    engine: Engine, data: SeedFile
) -> None:
    broken = data.model_copy(deep=True).attach(data.origin, data.text)
    # The MoU's renewal turned into a second signing: legal on paper, refused by the machine
    # only after four agreements (and their reference data) were written in the transaction.
    broken.agreements[3].history[4].trigger = Trigger.SIGN
    lines = (data.text or "").splitlines()
    mou = lines.index('slug = "hust-rwth-mou"')
    line = next(n for n in range(mou, len(lines)) if lines[n].strip() == 'trigger = "renew"') + 1
    with pytest.raises(InvalidInput) as raised:
        seed(engine, broken, today=DAY)
    assert str(raised.value).startswith(
        f"{SEED}:{line}: agreements[3] 'hust-rwth-mou' history[4] trigger: cannot sign from active"
    )
    assert set(_counts(engine).values()) == {0}


def test_a_history_past_the_seeding_day_is_refused_and_nothing_is_stored(
    engine: Engine, data: SeedFile
) -> None:
    lines = (data.text or "").splitlines()
    line = lines.index("  on = 2021-06-15") + 1  # the Queen Mary agreement's first step
    with pytest.raises(InvalidInput) as raised:
        seed(engine, data, today=date(2021, 6, 10))
    assert str(raised.value).startswith(
        f"{SEED}:{line}: agreements[1] 'hust-qmul-kpa' history[0] on: the date 2021-06-15 is in"
    )
    assert set(_counts(engine).values()) == {0}


def test_a_partnership_proposed_before_seeding_is_reused(engine: Engine, data: SeedFile) -> None:
    with UnitOfWork(engine) as uow:
        for slug, name, short, country in [
            ("hust", "Huazhong University of Science and Technology", "HUST", "CN"),
            ("qmul", "Queen Mary University of London", "Queen Mary", "GB"),
        ]:
            uow.session.add(
                Institution(
                    slug=slug,
                    name=name,
                    short_name=short,
                    kind=InstitutionKind.UNIVERSITY,
                    country=country,
                )
            )
        uow.session.flush()
        early = Proposal("hust", "qmul", "mou", "Earlier memorandum", date(2020, 1, 6), "t", DAY)
        propose(uow, early)
        uow.commit()
    report = seed(engine, data, today=DAY)
    # The two were there without a time zone: the file's zones fill them in. The partnership
    # lacks what the file says of it (since when, the summary): reported, not overwritten.
    assert (report.filled["institutions"], report.unchanged["partnerships"]) == (2, 0)
    assert ("partnerships", "hust-queen-mary", "since") in {
        (d.kind, d.slug, d.field) for d in report.differ
    }
    with UnitOfWork(engine) as uow:
        kpa = uow.session.scalars(select(Agreement).where(Agreement.slug == "hust-qmul-kpa")).one()
        assert kpa.partnership.slug == "hust-queen-mary"
        assert len(uow.session.scalars(select(Partnership)).all()) == len(data.partnerships)
