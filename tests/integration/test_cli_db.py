"""`accord db`, `accord seed` and failures of the environment, on SQLite and PostgreSQL.

A database nobody migrated yet, a wrong setting and an unreachable server each give one line;
the installed console script is run as a real process to show no traceback reaches a user.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from models import make_engine
from tests import factories
from tests.conftest import PG_ADMIN_URL
from tests.integration.test_bad_input import snapshot
from tests.integration.test_cli import Outcome, ok, run_cli
from tests.integration.test_seed import _counts

ACCORD = Path(sys.executable).with_name("accord")
NOT_READY = "accord: error: database not ready: run `accord db upgrade`\n"


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        (tmp_path / "blank.db").touch()  # an empty file is an empty SQLite database
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    name = f"accord_blank_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def failed(outcome: Outcome, code: int = 1) -> str:
    """The one stderr line of a failed command, after checking the failure's shape."""
    assert outcome.code == code, outcome
    assert "Traceback" not in outcome.err + outcome.out
    assert len(outcome.err.splitlines()) == 1, outcome.err
    return outcome.err


@pytest.mark.parametrize("command", ["agreements list", "agreements show 1", "tick", "board"])
def test_an_unmigrated_database_says_what_to_run(blank_url: str, command: str) -> None:
    assert failed(run_cli(blank_url, command)) == NOT_READY


def test_upgrade_downgrade_and_current(blank_url: str) -> None:
    assert ok(blank_url, "db current").out.startswith("none (empty database)")
    assert ok(blank_url, "db upgrade").out.endswith("(head)\n")
    assert ok(blank_url, "db current").out.endswith("(head)\n")
    assert ok(blank_url, "agreements list").out == "no agreements match\n"
    assert "cannot downgrade to 'nonsense'" in failed(run_cli(blank_url, "db downgrade nonsense"))
    assert ok(blank_url, "db current").out.endswith("(head)\n")
    ok(blank_url, "db downgrade base")
    assert ok(blank_url, "db current").out.startswith("none")
    assert failed(run_cli(blank_url, "agreements list")) == NOT_READY
    ok(blank_url, "db upgrade head")
    assert ok(blank_url, "agreements list --json").json() == []


def test_seed_reports_initiative_progress_and_twice_changes_nothing(
    engine: Engine, db_url: str
) -> None:
    first = ok(db_url, "seed --today 2026-11-22").out
    assert first.strip()
    progress = ok(db_url, "initiatives").out
    assert progress.startswith("Key Partnership Initiative (HUST): 3 of about 10 key partnership")
    [initiative] = ok(db_url, "initiatives --json").json()
    assert (initiative["signed"], initiative["target"], len(initiative["partners"])) == (3, 10, 3)
    before = snapshot(engine)
    ok(db_url, "seed --today 2026-11-22")
    assert snapshot(engine) == before


def test_a_malformed_seed_file_names_the_file_and_changes_nothing(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad-seed.toml"
    bad.write_text('[meta]\nschema = 1\n\n[[institutions]]\nslug = "x"\nname = \n')
    before = snapshot(engine)
    assert str(bad) in failed(run_cli(db_url, f"seed --file {bad}"))
    missing = tmp_path / "missing.toml"
    assert failed(run_cli(db_url, f"seed --file {missing}")).endswith(
        f"no seed file at {missing}\n"
    )
    assert snapshot(engine) == before


def test_a_bad_setting_is_named(db_url: str) -> None:
    line = failed(
        run_cli(db_url, "board", env={"ACCORD_DATABASE_URL": "mysql://nobody@localhost/x"})
    )
    assert line.startswith("accord: error: bad setting ACCORD_DATABASE_URL")


def test_an_unreachable_server_is_one_line(db_url: str) -> None:
    closed_port = "postgresql+psycopg://postgres@127.0.0.1:1/accord"
    line = failed(run_cli(db_url, "agreements list", env={"ACCORD_DATABASE_URL": closed_port}))
    assert line.startswith("accord: error: database unavailable: ")


def accord(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed `accord` console script as a separate process."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    return subprocess.run(
        [str(ACCORD), *args], env={**environ, **env}, capture_output=True, text=True, timeout=120
    )


def test_the_console_script_prints_one_line_and_no_traceback(db_url: str, tmp_path: Path) -> None:
    done = accord("agreements", "show", "no-such", ACCORD_DATABASE_URL=db_url)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "accord: error: no agreement 'no-such': see `accord agreements list`\n"

    # A home folder that is a file: not the user's typo, so it is reported as an internal error.
    home = tmp_path / "not-a-folder"
    home.write_text("")
    done = accord("board", ACCORD_HOME=str(home))
    assert done.returncode == 70
    assert done.stderr.startswith("accord: internal error: FileExistsError: ")
    assert done.stderr.endswith("(set ACCORD_DEBUG=1 for the traceback)\n")
    assert len(done.stderr.splitlines()) == 1
    debug = accord("board", ACCORD_HOME=str(home), ACCORD_DEBUG="1")
    assert debug.returncode == 70
    assert debug.stderr.startswith("Traceback (most recent call last):")


def test_a_downgrade_that_would_drop_rows_lists_them_and_asks_for_yes(blank_url: str) -> None:
    ok(blank_url, "db upgrade")
    engine = make_engine(blank_url)
    try:
        factories.institutions(engine)
        factories.active(engine)  # 1 agreement, 5 events, 5 outbox rows
        before = _counts(engine)
        refused = run_cli(blank_url, "db downgrade base")
        assert "refused: the downgrade would drop" in failed(refused)
        assert "run it again with --yes" in refused.err
        listed = refused.out.splitlines()
        assert listed[0] == "downgrade to base would drop:"
        assert ["table", "agreement_events", "(append-only", "history)", "5", "rows"] in [
            line.split() for line in listed
        ]
        assert ["table", "institutions", "2", "rows"] in [line.split() for line in listed]
        assert _counts(engine) == before
        assert ok(blank_url, "db current").out.endswith("(head)\n")

        # A partial downgrade names the columns it drops, with the rows that held them.
        partial = run_cli(blank_url, "db downgrade 0003")
        failed(partial)
        assert ["column", "outbox.handled_at", "5", "rows"] in [
            line.split() for line in partial.out.splitlines()
        ]
        assert _counts(engine) == before

        dropped = ok(blank_url, "db downgrade base --yes").out
        assert dropped.startswith("dropped:\n")
        assert dropped.endswith("database at none (empty database): run `accord db upgrade`\n")
    finally:
        engine.dispose()
    assert failed(run_cli(blank_url, "agreements list")) == NOT_READY


def test_a_downgrade_past_0011_names_the_notes_and_follow_ups_it_would_drop(
    blank_url: str,
) -> None:
    ok(blank_url, "db upgrade")
    engine = make_engine(blank_url)
    try:
        factories.institutions(engine)
        factories.contacts(engine)
        slug = factories.active(engine)
        ok(blank_url, f"agreements note {slug} 'a word' --actor ann")
        ok(blank_url, f"agreements follow-up {slug} x --due 2200-01-01 --owner coord")
        refused = run_cli(blank_url, "db downgrade 0010")
        failed(refused)
        listed = [line.split() for line in refused.out.splitlines()]
        assert ["table", "agreement_notes", "(append-only", "history)", "1", "row"] in listed
        assert ["table", "follow_ups", "1", "row"] in listed
        ok(blank_url, "db downgrade 0010 --yes")
        ok(blank_url, "db upgrade")
        assert ok(blank_url, f"agreements follow-ups {slug} --json").json() == []
        assert [e["kind"] for e in ok(blank_url, f"agreements history {slug} --json").json()] == [
            "event"
        ] * 5
    finally:
        engine.dispose()


def test_a_downgrade_of_an_empty_database_does_not_ask(blank_url: str) -> None:
    ok(blank_url, "db upgrade")
    done = ok(blank_url, "db downgrade base").out
    assert done.startswith("dropped:\n")
    assert "table agreement_events (append-only history)  0 rows" in done
    assert ok(blank_url, "db current").out.startswith("none")
