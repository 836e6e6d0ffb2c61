"""The seeded USTB agreements (1979 with RWTH, 2014 with Tata Steel) are open-ended: no end date,
so no reminder is ever planned for one and the tick never expires them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from models import Agreement, Notification
from tests.integration.test_cli import ok
from workflow.agreements.tick import run_tick
from workflow.notices import handlers
from workflow.notices.reminders import materialize_due
from workflow.seeding.store import load_seed_file, seed
from workflow.uow import UnitOfWork

SEED = Path(__file__).resolve().parents[2] / "data" / "seed.toml"
DAY = date(2026, 11, 22)
OPEN_ENDED = ("ustb-rwth-1979", "ustb-tata-steel-2014")
OFFSETS = [180, 90, 30, 7]


def test_seeded_ustb_agreements_are_open_ended_without_reminders(
    engine: Engine, db_url: str
) -> None:
    seed(engine, load_seed_file(SEED), today=DAY)
    handlers.drain_outbox(engine, today=DAY, default_offsets=OFFSETS)
    for slug in OPEN_ENDED:
        shown = ok(db_url, f"agreements show {slug} --json").json()
        assert (shown["state"], shown["renewal_type"]) == ("active", "open_ended")
        assert (shown["expires_on"], shown["renewal_opens_on"], shown["notice_deadline"]) == (
            None,
            None,
            None,
        )
        assert shown["terms"][0]["expires_on"] is None
        assert "open-ended" in shown["assumptions"]["renewal_type_assumption"]
        assert "until_assumption" not in shown["assumptions"]
        assert shown["source"]["headline"]
    # The sweep of the last days of 2078 (when the old 2079-01-01 placeholder end fell due)
    # plans nothing for them, and neither does any tick up to 2079 expire them.
    with UnitOfWork(engine) as uow:
        materialize_due(uow, date(2078, 12, 31), default_offsets=OFFSETS, catchup_days=400)
        uow.commit()
    ids = {a["slug"]: a["id"] for a in ok(db_url, "agreements list --json").json()}
    with UnitOfWork(engine) as uow:
        planned = uow.session.scalars(
            select(Notification.agreement_id).where(Notification.kind == "renewal_reminder")
        ).all()
    # Reminders were planned (for the agreements that have an end date), none for these two.
    assert ids["hust-rwth-kpa"] in planned
    assert not {ids[slug] for slug in OPEN_ENDED} & set(planned)
    assert run_tick(UnitOfWork(engine), date(2079, 1, 2)).refused == []
    with UnitOfWork(engine) as uow:
        states = uow.session.scalars(
            select(Agreement.state).where(Agreement.slug.in_(OPEN_ENDED))
        ).all()
    assert [str(s) for s in states] == ["active", "active"]
