"""Property: whatever moves and edits are tried, the stored agreement is its replayed history."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from models import Agreement
from tests import factories
from tests.factories import TODAY
from tests.integration.test_property import (
    SIGNERS,
    assert_history_explains_state,
    pool,
    stored,
)
from workflow.agreements import queries
from workflow.agreements.edits import Edit, edit_agreement
from workflow.agreements.moves import advance
from workflow.agreements.replay import MOVED, replay_record
from workflow.errors import AccordError
from workflow.uow import UnitOfWork

_titles = itertools.count()
EDITS = st.builds(
    Edit,
    title=st.sampled_from([None, None, "Alpha", "Beta", "  "]),
    coordinator=st.sampled_from([None, None, "coord", "partner-contact", "", "nobody"]),
    unit=st.sampled_from([None, None, "intl-office", ""]),
    notice_days=st.sampled_from([None, None, 30, 90, -1]),
    term_months=st.sampled_from([None, None, 12, 36, 0]),
    renewal_type=st.sampled_from([None, None, "fixed", "auto", "open_ended", "weekly"]),
    review_months=st.sampled_from([None, None, 6, 24]),
    summary=st.sampled_from([None, None, "first", "second", ""]),
)


def stored_fields(engine: Engine, slug: str) -> dict[str, Any]:
    """The edited fields as the change lists spell them (slugs for the coordinator and unit)."""
    with Session(engine) as session:
        a = session.scalars(
            select(Agreement)
            .options(selectinload(Agreement.coordinator), selectinload(Agreement.owning_unit))
            .where(Agreement.slug == slug)
        ).one()
        return {
            "title": a.title,
            "coordinator": a.coordinator.slug if a.coordinator else None,
            "unit": a.owning_unit.slug if a.owning_unit else None,
            "notice_days": a.notice_days,
            "term_months": a.term_months,
            "renewal_type": str(a.renewal_type),
            "review_months": a.review_months,
            "summary": a.summary,
        }


def test_moves_and_edits_match_the_replayed_record(engine: Engine) -> None:
    factories.institutions(engine)
    factories.outsider(engine)
    factories.contacts(engine)

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data(), signed=st.booleans(), length=st.integers(1, 14))
    def run(data: st.DataObject, signed: bool, length: int) -> None:
        title = f"Edited {next(_titles)}"
        slug = factories.agreement(
            engine, title, expires=TODAY + timedelta(days=400) if signed else None
        )
        for _ in range(length):
            state, version, last_day = stored(engine, slug)
            expect = data.draw(st.sampled_from([version, version, version, version - 1]))
            try:
                if data.draw(st.booleans(), label="edit?"):
                    result = edit_agreement(
                        UnitOfWork(engine),
                        slug,
                        data.draw(EDITS),
                        actor="editor",
                        expect_version=expect,
                        today=TODAY,
                        correction=data.draw(st.booleans(), label="correction"),
                    )
                    grew = 0 if not result.changes else 2 if result.revised else 1
                else:
                    gap = data.draw(st.none() | st.integers(0, 200), label="days after last")
                    advance(
                        UnitOfWork(engine),
                        slug,
                        data.draw(st.sampled_from(pool(state, data.draw(st.integers(0, 9))))),
                        actor="mover",
                        today=TODAY,
                        on=None if gap is None else min(last_day + timedelta(days=gap), TODAY),
                        comment=data.draw(st.sampled_from([None, "agreed"])),
                        signatories=data.draw(st.sampled_from(SIGNERS)),
                        expect_version=expect,
                    )
                    grew = 1
            except AccordError:
                assert stored(engine, slug)[1] == version  # a refusal writes nothing at all
            else:
                assert stored(engine, slug)[1] == version + grew
        assert_history_explains_state(engine, slug)
        with Session(engine) as session:
            history = queries.history(session, slug)
        replayed = replay_record(history)
        now = stored_fields(engine, slug)
        assert replayed.state == stored(engine, slug)[0]
        assert {k: v for k, v in replayed.fields.items() if k not in MOVED} == {
            k: now[k] for k in replayed.fields if k not in MOVED
        }
        # Approved content is never edited in place: each such edit is followed by its revise.
        for entry, following in itertools.pairwise(history):
            if entry["trigger"] == "edit" and entry["to_state"] in (
                "approved",
                "awaiting_signature",
            ):
                substantive = {c["field"] for c in entry["changes"]} & {
                    "title",
                    "term_months",
                    "renewal_type",
                    "review_months",
                    "notice_days",
                }
                assert (following["trigger"] == "revise") == bool(substantive)

    run()
