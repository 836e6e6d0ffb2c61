"""Each move a coordinator hears of by mail (sign, renew, open_renewal, expire) queues one notice
when its event is handled, and that notice is mailed: leaving any of them out of the notice
triggers fails here, on both databases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import Engine

from notify.backends import FileMailer
from tasks.delivering import deliver
from tests import factories
from tests.factories import COORDINATOR_EMAIL, MAIL_FROM, SIGNATORIES, TODAY, UNIT_EMAIL, notes
from workflow.agreements.moves import advance
from workflow.agreements.tick import run_tick
from workflow.notices import handlers
from workflow.settings import Settings
from workflow.uow import UnitOfWork

TITLE = "Exchange"
EXPIRES = date(2027, 6, 1)
OPENS = EXPIRES - timedelta(days=180)  # the default renewal window
Move = Callable[[Engine, str], tuple[int, date]]


def signed(engine: Engine, slug: str) -> tuple[int, date]:
    return factories.last_event_id(engine, slug, "sign"), TODAY


def renewed(engine: Engine, slug: str) -> tuple[int, date]:
    move = advance(
        UnitOfWork(engine), slug, "renew", actor="t", today=TODAY, on=TODAY,
        until=date(2029, 6, 1), signatories=SIGNATORIES,
    )  # fmt: skip
    return move.event_id, TODAY


def ticked(trigger: str, day: date) -> Move:
    def move(engine: Engine, slug: str) -> tuple[int, date]:
        run_tick(UnitOfWork(engine), day)
        return factories.last_event_id(engine, slug, trigger), day

    return move


MOVES: dict[str, Move] = {
    "sign": signed,
    "renew": renewed,
    "open_renewal": ticked("open_renewal", OPENS),
    "expire": ticked("expire", EXPIRES),
}


def eml(folder: Path) -> list[EmailMessage]:
    """The .eml files written under `folder`, parsed."""
    found = []
    for path in sorted(folder.glob("*.eml")):
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(msg, EmailMessage)
        found.append(msg)
    return found


@pytest.mark.parametrize("trigger", sorted(MOVES))
def test_the_move_queues_one_notice_and_it_is_mailed(
    engine: Engine, tmp_path: Path, trigger: str
) -> None:
    factories.institutions(engine)
    factories.contacts(engine)
    slug = factories.agreement(engine, TITLE, expires=EXPIRES)
    event_id, day = MOVES[trigger](engine, slug)
    now = datetime.combine(day, time(8), tzinfo=UTC)

    with UnitOfWork(engine) as uow:
        done = handlers.handle_event(uow, event_id, today=day, default_offsets=[7], now=now)
        uow.commit()
    assert done.notices == [f"event_notice:{event_id}"]
    [notice] = notes(engine, "event_notice")
    assert (notice.payload["trigger"], notice.due_on, notice.status) == (trigger, day, "pending")
    assert notice.agreement_id == factories.agreement_id(engine, slug)

    folder = tmp_path / "mail"
    settings = Settings(home=tmp_path, mail_from=MAIL_FROM)
    outcome = deliver(engine, notice.id, FileMailer(folder), settings, today=day, now=now)
    assert outcome.status == "sent"
    [msg] = eml(folder)
    assert msg["Message-ID"] == outcome.message_id == notes(engine, "event_notice")[0].message_id
    assert TITLE in str(msg["Subject"])
    assert {a.addr_spec for a in msg["To"].addresses} == {COORDINATOR_EMAIL, UNIT_EMAIL}


def test_the_notice_triggers_are_exactly_the_four_the_readme_names() -> None:
    """A new trigger mailing notices needs its own case above."""
    assert set(handlers.NOTICE_TRIGGERS) == set(MOVES)
