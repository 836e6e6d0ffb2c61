"""Renewal reminders as rows, on both databases: due once, caught up, overridden, concurrent."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from tests import factories, overlap
from tests.factories import notes
from workflow.agreements.moves import advance
from workflow.errors import InvalidInput
from workflow.notices import reminders
from workflow.uow import UnitOfWork

NOW = datetime(2026, 11, 22, 8, tzinfo=UTC)
EXPIRES = date(2027, 6, 1)
OFFSETS = (180, 90, 30, 7)


def due(days: int, expires: date = EXPIRES) -> date:
    """The day the reminder `days` before `expires` falls due."""
    return expires - timedelta(days=days)


def materialize(
    engine: Engine,
    today: date,
    *,
    catchup: int = 7,
    before_commit: Callable[[], None] = lambda: None,
) -> int:
    """One committed materialize_due; `before_commit` runs inside its transaction."""
    with UnitOfWork(engine) as uow:
        created = reminders.materialize_due(
            uow, today, default_offsets=OFFSETS, catchup_days=catchup, now=NOW
        )
        before_commit()
        uow.commit()
    return created


def made(engine: Engine) -> set[tuple[int | None, str, date]]:
    """(agreement id, key, due day) of every renewal reminder row."""
    return {(n.agreement_id, n.dedupe_key, n.due_on) for n in notes(engine, "renewal_reminder")}


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    """Agreement ids by role: in force on EXPIRES, a day later, and not in force."""
    factories.institutions(engine)
    factories.contacts(engine)
    slugs = {
        "due": factories.agreement(engine, "Due", expires=EXPIRES),
        "later": factories.agreement(engine, "Later", expires=EXPIRES + timedelta(days=1)),
        "suspended": factories.agreement(engine, "Suspended", expires=EXPIRES),
        "terminated": factories.agreement(engine, "Terminated", expires=EXPIRES),
        "proposed": factories.agreement(engine, "Proposed", expires=None),
    }
    for role, trigger in (("suspended", "suspend"), ("terminated", "terminate")):
        advance(
            UnitOfWork(engine), slugs[role], trigger, actor="t", today=factories.TODAY, comment="x"
        )
    return {role: factories.agreement_id(engine, slug) for role, slug in slugs.items()}


@pytest.fixture
def due_id(engine: Engine) -> int:
    """One agreement in force until EXPIRES (slug `home-part-due`); its id."""
    factories.institutions(engine)
    factories.contacts(engine)
    return factories.agreement_id(engine, factories.agreement(engine, "Due", expires=EXPIRES))


def test_the_offset_that_fell_due_is_created_once_for_agreements_in_force(
    engine: Engine, world: dict[str, int]
) -> None:
    assert materialize(engine, due(180) - timedelta(days=1)) == 0
    assert materialize(engine, due(180)) == 1
    expected = {(world["due"], reminders.reminder_key(world["due"], EXPIRES, 180), due(180))}
    assert made(engine) == expected
    assert reminders.reminder_key(7, EXPIRES, 180) == "renewal_reminder:7:2027-06-01:180"
    # The same day again, and twice more: nothing new.
    assert materialize(engine, due(180)) == 0
    assert materialize(engine, due(180)) == 0
    assert made(engine) == expected
    # The next day the later agreement's reminder falls due, and only that one.
    assert materialize(engine, due(180) + timedelta(days=1)) == 1
    later = EXPIRES + timedelta(days=1)
    key = reminders.reminder_key(world["later"], later, 180)
    expected.add((world["later"], key, due(180, later)))
    assert made(engine) == expected
    # Every offset in turn, for both agreements in force; never the suspended or terminated.
    for days in (90, 30, 7):
        assert materialize(engine, due(days)) == 1
        assert materialize(engine, due(days) + timedelta(days=1)) == 1
    rows = notes(engine, "renewal_reminder")
    assert len(rows) == 8
    assert {n.agreement_id for n in rows} == {world["due"], world["later"]}
    assert {n.status for n in rows} == {"pending"}
    assert {n.dedupe_key.rsplit(":", 1)[1] for n in rows} == {"180", "90", "30", "7"}


def test_two_sweeps_at_once_create_each_reminder_once(engine: Engine, due_id: int) -> None:
    for n in range(3):
        factories.agreement(engine, f"More {n}", expires=EXPIRES)
    first_in, second_in = threading.Event(), threading.Event()

    def first() -> int:
        def hold() -> None:  # its four rows inserted, not yet committed
            first_in.set()
            overlap.wait(second_in, "the second sweep")
            if engine.dialect.name == "postgresql":
                # The other sweep's inserts meet these uncommitted rows and wait for them.
                overlap.blocked_on_a_lock(engine)

        return materialize(engine, due(180), before_commit=hold)

    def second() -> int:
        overlap.wait(first_in, "the first sweep")
        second_in.set()  # on SQLite its BEGIN IMMEDIATE queues behind the first
        return materialize(engine, due(180))

    assert overlap.together(first, second) == [4, 0]
    rows = notes(engine, "renewal_reminder")
    assert len(rows) == len({n.dedupe_key for n in rows}) == 4


def test_a_missed_sweep_catches_up_within_catchup_days_only(
    engine: Engine, world: dict[str, int]
) -> None:
    # Down since before both fell due: "due" fell due 7 days ago, "later" 6 days ago...
    day = due(180) + timedelta(days=7)
    assert materialize(engine, day, catchup=7) == 2
    factories.agreement(engine, "Missed", expires=EXPIRES - timedelta(days=1))
    # ...and one that fell due 8 days ago stays missed: no burst of stale mail.
    assert materialize(engine, day, catchup=7) == 0
    assert {key.rsplit(":", 1)[1] for _, key, _ in made(engine)} == {"180"}
    # A wider catch-up window reaches it.
    assert materialize(engine, day, catchup=8) == 1
    assert len(made(engine)) == 3


def test_kind_policies_and_agreement_offsets_override_the_default(engine: Engine) -> None:
    factories.institutions(engine)
    factories.contacts(engine)
    day = date(2027, 1, 1)

    def make(title: str, kind: str, days: int, own: list[int] | None = None) -> int:
        slug = factories.agreement(engine, title, kind=kind, expires=day + timedelta(days=days))
        if own is not None:
            factories.set_reminder_offsets(engine, slug, own)
        return factories.agreement_id(engine, slug)

    factories.set_policy(engine, "mou", [120, 14])
    ids = {
        "policy": make("Policy", "mou", 120),
        "policy-not-default": make("Not default", "mou", 90),
        "default": make("Default", "student_exchange", 90),
        "own": make("Own", "mou", 45, [45]),
        "own-over-policy": make("Own over", "mou", 90, [90]),
        "own-not-policy": make("Own not", "mou", 120, [45]),
    }
    assert materialize(engine, day) == 4
    got = {(agreement, key.rsplit(":", 1)[1]) for agreement, key, _ in made(engine)}
    assert got == {
        (ids["policy"], "120"),
        (ids["default"], "90"),
        (ids["own"], "45"),
        (ids["own-over-policy"], "90"),
    }
    with UnitOfWork(engine) as uow:
        assert reminders.offsets_for(uow, ids["policy"], OFFSETS) == [120, 14]
        assert reminders.offsets_for(uow, ids["default"], OFFSETS) == [180, 90, 30, 7]
        assert reminders.offsets_for(uow, ids["own"], OFFSETS) == [45]


def replan(engine: Engine, agreement_id: int, today: date) -> reminders.Replanned:
    """One committed re-plan of one agreement, as the handler of its signing makes it."""
    with UnitOfWork(engine) as uow:
        done = reminders.replan(
            uow, today=today, default_offsets=OFFSETS, agreement_id=agreement_id, now=NOW
        )
        uow.commit()
    return done


def test_a_replan_makes_the_term_ahead_and_the_sweep_adds_nothing(
    engine: Engine, due_id: int
) -> None:
    # Past the 180- and 90-day reminders (beyond catch-up): only the two still ahead.
    assert replan(engine, due_id, due(90) + timedelta(days=8)) == reminders.Replanned(created=2)
    assert {n.due_on for n in notes(engine)} == {due(30), due(7)}
    assert replan(engine, due_id, due(180) - timedelta(days=30)).created == 2  # the rest, once
    assert replan(engine, due_id, due(180) - timedelta(days=30)) == reminders.Replanned()
    assert sorted(n.due_on for n in notes(engine)) == [due(d) for d in OFFSETS]
    assert materialize(engine, due(30)) == 0
    assert len(notes(engine)) == 4


def test_a_replan_keeps_the_current_terms_reminders_and_withdraws_the_rest(
    engine: Engine, due_id: int
) -> None:
    slug, renewed_until, day = "home-part-due", date(2029, 6, 1), due(200)
    assert replan(engine, due_id, day) == reminders.Replanned(created=4)
    advance(
        UnitOfWork(engine), slug, "renew", actor="t", today=day, on=day, until=renewed_until,
        signatories=factories.SIGNATORIES,
    )  # fmt: skip
    assert replan(engine, due_id, day) == reminders.Replanned(created=4, cancelled=4)
    by_key = {n.dedupe_key: n.status for n in notes(engine)}
    assert by_key == {
        **{reminders.reminder_key(due_id, EXPIRES, d): "cancelled" for d in OFFSETS},
        **{reminders.reminder_key(due_id, renewed_until, d): "pending" for d in OFFSETS},
    }
    assert replan(engine, due_id, day) == reminders.Replanned()
    advance(UnitOfWork(engine), slug, "suspend", actor="t", today=day, comment="x")
    assert replan(engine, due_id, day) == reminders.Replanned(cancelled=4)
    assert {n.status for n in notes(engine)} == {"cancelled"}


def test_a_new_term_ending_where_an_old_reminder_fell_is_still_reminded(
    engine: Engine, due_id: int
) -> None:
    """The old term's 90-day reminder and the new term's 180-day one fall on the same day."""
    slug, agreement = "home-part-due", due_id
    assert materialize(engine, due(90)) == 1  # the old term's, sent or not
    new_end = EXPIRES + timedelta(days=90)
    advance(
        UnitOfWork(engine),
        slug,
        "renew",
        actor="t",
        today=factories.TODAY,
        on=factories.TODAY,
        until=new_end,
        signatories=factories.SIGNATORIES,
    )
    assert due(180, new_end) == due(90)
    assert materialize(engine, due(90)) == 1
    assert reminders.reminder_key(agreement, new_end, 180) in {k for _, k, _ in made(engine)}


@pytest.mark.parametrize("bad", [[], [-1], [5000], ["7"]])
def test_offsets_out_of_range_are_refused(bad: list[object]) -> None:
    with pytest.raises(InvalidInput, match="reminder offsets"):
        reminders.normalise_offsets(bad)  # type: ignore[arg-type]
    assert reminders.normalise_offsets([7, 180, 7, 0]) == [180, 7, 0]
