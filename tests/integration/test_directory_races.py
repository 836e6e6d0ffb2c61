"""Two edits of one version at once: the second to write is refused as stale, not lost.

PostgreSQL only: SQLite's BEGIN IMMEDIATE queues writers, so there both reads cannot precede
both writes. Here the order is forced by hand: B reads, A edits and commits, then B writes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from models import Institution, make_engine
from tests import factories
from workflow.directory import changes, institutions
from workflow.errors import StaleVersion
from workflow.uow import UnitOfWork


def test_an_edit_of_a_version_another_edit_has_just_replaced_is_refused(
    pg_only_url: str,
) -> None:
    engine = make_engine(pg_only_url)
    try:
        factories.institutions(engine)
        with UnitOfWork(engine) as late:
            read = institutions.find(late, "partner")  # B reads version 1 ...
            with UnitOfWork(engine) as first:  # ... A edits version 1 and commits ...
                institutions.edit(
                    first, ref="partner", expect_version=1, actor="Ann", values={"city": "Bonn"}
                )
                first.commit()
            with pytest.raises(StaleVersion, match="at version 2, not 1: Ann changed it"):
                changes.apply_edit(  # ... and B's write of what it read is refused
                    late,
                    model=Institution,
                    row=read,
                    label="institution partner",
                    values={"city": "Köln"},
                    expect_version=1,
                    actor="Bo",
                )
        with engine.connect() as conn:
            city, version = conn.execute(
                text("SELECT city, version FROM institutions WHERE slug = 'partner'")
            ).one()
            logged = conn.execute(text("SELECT actor FROM directory_changes")).scalars().all()
        assert (city, version, logged) == ("Bonn", 2, ["Ann"])
    finally:
        engine.dispose()
