"""The move path on both databases: one move writes state, event and outbox together."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from models import Agreement, AgreementEvent, OutboxMessage
from tests import factories
from workflow.agreements.moves import advance
from workflow.uow import UnitOfWork


def test_sign_records_state_event_and_outbox(engine: Engine) -> None:
    factories.institutions(engine)
    slug = factories.active(engine)
    with UnitOfWork(engine) as uow:
        agreement = uow.session.scalars(select(Agreement).where(Agreement.slug == slug)).one()
        assert agreement.state == "active"
        assert agreement.version == 5
        assert uow.session.scalar(select(func.count()).select_from(AgreementEvent)) == 5
        assert uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == 5
    result = advance(
        UnitOfWork(engine), slug, "suspend", actor="t", today=factories.TODAY, comment="audit"
    )
    assert (result.from_state, result.to_state, result.version) == ("active", "suspended", 6)
