"""`accord` processes released together at a barrier: every writer ends cleanly, on both databases.

Each command runs in its own process (spawned, so nothing is shared but the database), calls the
same `main()` the console script calls, and waits at a barrier just before it, so the commands
overlap for real instead of by luck of timing.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import shlex
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from cli.main import main
from models import Agreement, Base
from tests import factories
from tests.conftest import PG_ADMIN_URL
from tests.integration.test_cli import Outcome, ok
from tests.integration.test_seed import _counts

SEED_DAY = "2026-11-22"


def _one_process(url: str, args: list[str], barrier: Barrier, results: Any, index: int) -> None:
    """A child: wait for the others, run `accord ARGS` once, report its exit code and output."""
    os.environ["ACCORD_DATABASE_URL"] = url
    os.environ.pop("ACCORD_DEBUG", None)
    out, err = io.StringIO(), io.StringIO()
    barrier.wait(timeout=120)
    with redirect_stdout(out), redirect_stderr(err):
        code = main(args)
    results.put((index, code, out.getvalue(), err.getvalue()))


def released_together(url: str, commands: list[str]) -> list[Outcome]:
    """Run every command in a process of its own, all released at once; their outcomes in order."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(commands)), ctx.Queue()
    processes = [
        ctx.Process(target=_one_process, args=(url, shlex.split(c), barrier, results, i))
        for i, c in enumerate(commands)
    ]
    for process in processes:
        process.start()
    try:
        found = [results.get(timeout=180) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=60)
    assert all(p.exitcode == 0 for p in processes), [p.exitcode for p in processes]
    by_index = {index: Outcome(code, out, err) for index, code, out, err in found}
    return [by_index[i] for i in range(len(commands))]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"accord_race_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_two_upgrades_at_once_both_end_cleanly(fresh_url: str) -> None:
    first, second = released_together(fresh_url, ["db upgrade", "db upgrade"])
    assert (first.code, first.err, second.code, second.err) == (0, "", 0, ""), (first, second)
    # One of them migrated; the other waited for it and found nothing left to do.
    said = sorted(o.out for o in (first, second))
    assert said[0].startswith("database at "), said
    assert said[0].endswith("(head)\n"), said
    assert said[1].startswith("nothing to do: database at "), said
    assert ok(fresh_url, "db current").out.endswith("(head)\n")


def test_two_seeds_at_once_store_everything_once(engine: Engine, db_url: str) -> None:
    seeds = released_together(db_url, [f"seed --today {SEED_DAY}"] * 2)
    assert [(o.code, o.err) for o in seeds] == [(0, "")] * 2, seeds
    said = sorted(o.out for o in seeds)
    assert said[0].startswith("created 5 sources"), said
    assert said[1].startswith("nothing to do: unchanged 5 sources"), said
    once = _counts(engine)
    ok(db_url, f"seed --today {SEED_DAY}")
    assert _counts(engine) == once
    assert set(once) == {t.name for t in Base.metadata.sorted_tables}


def test_five_proposals_with_one_title_take_the_next_free_slugs(
    engine: Engine, db_url: str
) -> None:
    factories.institutions(engine)
    new = "agreements new --home home --partner partner --kind mou --title 'Joint lab'"
    outcomes = released_together(db_url, [new] * 5)
    assert [(o.code, o.err) for o in outcomes] == [(0, "")] * 5, outcomes
    base = "home-part-joint-lab"
    expected = {base, *(f"{base}-{n}" for n in range(2, 6))}
    assert {o.out.split(":")[0] for o in outcomes} == expected
    with engine.connect() as conn:
        assert set(conn.scalars(select(Agreement.slug))) == expected
