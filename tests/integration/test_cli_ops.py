"""`accord outbox status`, `accord dead-letters list|replay` and the worker/beat command lines.

The worker and beat themselves run as real processes in tests/e2e/ (scripts/demo.sh, compose's
services); in-process, `accord worker` is only ever called with a bad setting (it would exec
Celery), and `accord beat` runs here only as a process of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from cli.ops import celery_argv
from models import Agreement, Person
from tests import factories
from tests.e2e.services import wait_for
from tests.integration.test_cli import run_cli
from tests.integration.test_cli_mail import TODAY, accord, mails, ok, refused, state
from workflow.settings import Settings
from workflow.uow import UnitOfWork

DAY = factories.TODAY
NOT_READY = "accord: error: database not ready: run `accord db upgrade`\n"
EMPTY_NOTIFICATIONS = {
    "pending": 0,
    "sent": 0,
    "cancelled": 0,
    "missed": 0,
    "dead": 0,
    "due": 0,
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_worker_and_beat_command_lines(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    base = [sys.executable, "-m", "celery", "-A", "tasks.app"]
    assert celery_argv("worker", [], settings) == [*base, "worker", "-Q", "accord", "-l", "INFO"]
    schedule = str((tmp_path / "celerybeat-schedule").resolve())
    assert celery_argv("beat", [], settings) == [*base, "beat", "-s", schedule, "-l", "INFO"]
    # What the user gives wins, and goes to Celery unchanged.
    mine = ["--queues=other", "--loglevel", "DEBUG", "-c", "1", "--pool", "solo"]
    assert celery_argv("worker", mine, settings) == [*base, "worker", *mine]
    assert celery_argv("beat", ["-sfile", "-lDEBUG"], settings) == [
        *base,
        "beat",
        "-sfile",
        "-lDEBUG",
    ]


@pytest.mark.parametrize("program", ["worker", "beat", "worker -c 2"])
def test_worker_and_beat_refuse_a_bad_setting_in_one_line(tmp_path: Path, program: str) -> None:
    # A bad value is named before Celery is exec'd (Celery would print a traceback instead).
    env: dict[str, str | None] = {"ACCORD_HOME": str(tmp_path), "ACCORD_SWEEP_INTERVAL": "often"}
    outcome = run_cli(f"sqlite:///{tmp_path / 'accord.db'}", program, env)
    assert outcome.code == 1, outcome
    assert outcome.err.startswith("accord: error: bad setting ACCORD_SWEEP_INTERVAL:")
    assert len(outcome.err.splitlines()) == 1


def _beat(tmp_path: Path, home: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """`accord beat` as a process (it execs Celery), on server-style URLs: nothing but beat
    itself makes ACCORD_HOME then, as under compose."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(
        ACCORD_HOME=str(home),
        ACCORD_DATABASE_URL=f"sqlite:///{tmp_path / 'accord.db'}",
        ACCORD_BROKER_URL=f"sqla+sqlite:///{tmp_path / 'broker.db'}",
    )
    log = tmp_path / "beat.log"
    with log.open("wb") as out:
        accord_bin = Path(sys.executable).with_name("accord")
        return subprocess.Popen([str(accord_bin), "beat"], env=env, stdout=out, stderr=out), log


def test_beat_makes_its_schedule_folder(tmp_path: Path) -> None:
    home = tmp_path / "not" / "yet" / "here"
    beat, log = _beat(tmp_path, home)
    try:
        wait_for(
            lambda: list(home.glob("celerybeat-schedule*")) or beat.poll() is not None,
            60, "beat's schedule file",
        )  # fmt: skip
        assert beat.poll() is None, log.read_text()
    finally:
        beat.terminate()
        beat.wait(timeout=30)


def test_beat_says_when_its_schedule_folder_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    beat, log = _beat(tmp_path, blocker / "home")
    assert beat.wait(timeout=60) == 1, log.read_text()
    err = log.read_text()
    assert err.startswith("accord: error: beat keeps its schedule file in ACCORD_HOME"), err
    assert "set ACCORD_HOME to a folder it may write, or pass -s FILE" in err
    assert len(err.splitlines()) == 1


def _status(db_url: str, home: Path, extra: str = "") -> Any:
    return ok(db_url, home, f"outbox status {TODAY} --json {extra}").json()


def test_outbox_status_counts_outbox_rows_notifications_and_the_broker(
    engine: Engine, db_url: str, home: Path
) -> None:
    fresh = _status(db_url, home)
    assert fresh == {
        "today": DAY.isoformat(),
        "outbox": {
            "pending": 0,
            "retrying": 0,
            "dispatched": 0,
            "oldest_pending_at": None,
            "last_error": None,
        },
        "notifications": EMPTY_NOTIFICATIONS,
        "dead_letters": 0,
        # The embedded broker (a SQLite file under ACCORD_HOME), asked for real.
        "broker": {"queue": "accord", "waiting": 0, "error": None},
    }
    factories.institutions(engine)
    factories.contacts(engine)
    factories.agreement(engine, "Exchange MoU", expires=DAY + timedelta(days=30))
    ok(db_url, home, f"tick {TODAY}")  # one move (open_renewal)

    after = _status(db_url, home)
    # propose, review, approve, send_for_signature, sign and the tick's open_renewal: no
    # worker ran, so every one of their outbox rows still waits for the relay.
    assert after["outbox"]["pending"] == 6
    assert after["outbox"]["dispatched"] == 0
    assert after["outbox"]["oldest_pending_at"] is not None
    assert after["notifications"] == EMPTY_NOTIFICATIONS
    lines = ok(db_url, home, f"outbox status {TODAY}").out.splitlines()
    assert lines[0].startswith("outbox:        6 pending (0 retrying, oldest from ")
    assert lines[0].endswith("), 0 dispatched")

    # `reminders run` handles them here: the term's reminders, two notices (signed, window
    # opened) and the 30-day reminder sent; the 7-day one waits.
    ok(db_url, home, f"reminders run {TODAY}")
    done = _status(db_url, home)
    assert (done["outbox"]["pending"], done["outbox"]["dispatched"]) == (0, 6)
    assert done["notifications"] == {**EMPTY_NOTIFICATIONS, "pending": 1, "sent": 3}
    lines = ok(db_url, home, f"outbox status {TODAY}").out.splitlines()
    assert lines == [
        "outbox:        0 pending (0 retrying), 6 dispatched",
        "notifications: 1 pending (0 due by 2026-11-22), 3 sent, 0 cancelled, 0 missed, 0 dead",
        "dead letters:  0 not replayed",
        "broker:        0 message(s) waiting in queue accord",
    ]


def test_outbox_status_still_answers_when_the_broker_is_down(db_url: str, home: Path) -> None:
    env: dict[str, str | None] = {
        "ACCORD_HOME": str(home),
        "ACCORD_BROKER_URL": "redis://127.0.0.1:1/0",
    }
    outcome = run_cli(db_url, "outbox status --json", env)
    assert (outcome.code, outcome.err) == (0, ""), outcome
    broker = outcome.json()["broker"]
    assert broker["waiting"] is None
    assert "127.0.0.1:1" in broker["error"]
    human = run_cli(db_url, "outbox status", env)
    assert human.out.splitlines()[-1].startswith("broker:        unreachable (")


def test_outbox_status_asks_a_real_redis(db_url: str, home: Path) -> None:
    env: dict[str, str | None] = {
        "ACCORD_HOME": str(home),
        "ACCORD_BROKER_URL": "redis://127.0.0.1:6379/15",
    }
    outcome = run_cli(db_url, "outbox status --json", env)
    assert (outcome.code, outcome.err) == (0, ""), outcome
    assert outcome.json()["broker"] == {"queue": "accord", "waiting": 0, "error": None}


def test_a_dead_letter_is_listed_replayed_and_then_sent(
    engine: Engine, db_url: str, home: Path
) -> None:
    factories.institutions(engine)
    factories.contacts(engine)
    slug = factories.agreement(
        engine, "Nobody's MoU", expires=DAY + timedelta(days=30), coordinator=None, unit=None
    )
    assert ok(db_url, home, "dead-letters list").out == "no dead letters waiting for a replay\n"

    # The reminder and the two notices (signed, window opened): nobody to send them to.
    outcomes = ok(db_url, home, f"reminders run {TODAY} --json").json()["outcomes"]
    assert {(o["status"], o["error"]) for o in outcomes} == {
        ("dead", "no recipient has an e-mail address")
    }
    [outcome] = [o for o in outcomes if o["kind"] == "renewal_reminder"]
    [dead] = [
        d
        for d in ok(db_url, home, "dead-letters list --json").json()
        if d["kind"] == "renewal_reminder"
    ]
    assert {k: dead[k] for k in ("task", "kind", "error", "attempts", "replayed_at")} == {
        "task": "send_notification",
        "kind": "renewal_reminder",
        "error": "no recipient has an e-mail address",
        "attempts": 1,
        "replayed_at": None,
    }
    assert dead["notification_id"] == outcome["id"]
    assert _status(db_url, home)["dead_letters"] == 3
    lines = ok(db_url, home, "dead-letters list").out.splitlines()
    assert lines[0].split() == [
        "ID",
        "FAILED",
        "KIND",
        "NOTIFICATION",
        "ATTEMPTS",
        "REPLAYED",
        "ERROR",
    ]
    [cells] = [line.split()[3:7] for line in lines[1:] if line.split()[4] == str(outcome["id"])]
    assert cells == ["renewal_reminder", str(outcome["id"]), "1", "-"]

    # Ops fix the data (the agreement gets a coordinator), then replay.
    with UnitOfWork(engine) as uow:
        row = uow.session.scalars(select(Agreement).where(Agreement.slug == slug)).one()
        row.coordinator_id = uow.session.scalars(
            select(Person.id).where(Person.slug == "coord")
        ).one()
        uow.commit()
    replayed = ok(db_url, home, f"dead-letters replay {dead['id']}").out
    assert replayed.startswith(
        f"dead letter {dead['id']} replayed: notification {outcome['id']} is pending again"
    )
    waiting = ok(db_url, home, "dead-letters list --json").json()
    assert [d["kind"] for d in waiting] == ["event_notice", "event_notice"]
    [again] = [
        d
        for d in ok(db_url, home, "dead-letters list --all --json").json()
        if d["id"] == dead["id"]
    ]
    assert (again["replay_count"], again["replayed_at"] is not None) == (1, True)

    [sent] = ok(db_url, home, f"reminders run {TODAY} --json").json()["outcomes"]
    assert (sent["id"], sent["status"]) == (outcome["id"], "sent")
    [msg] = mails(home)
    assert msg["To"] == factories.COORDINATOR_EMAIL
    assert _status(db_url, home)["dead_letters"] == 2

    before = state(engine)
    assert "was replayed at" in refused(db_url, home, f"dead-letters replay {dead['id']}")
    assert "no dead letter 999" in refused(db_url, home, "dead-letters replay 999")
    assert "Invalid value for 'ID'" in refused(db_url, home, "dead-letters replay last", 2)
    assert state(engine) == before


def test_a_failed_send_is_reported_on_stdout_only_by_the_real_command(
    engine: Engine, db_url: str, home: Path
) -> None:
    # The installed console script, as a real process: no log line or traceback on stderr.
    factories.institutions(engine)
    factories.agreement(
        engine, "Nobody's MoU", expires=DAY + timedelta(days=30), coordinator=None, unit=None
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env |= {"ACCORD_DATABASE_URL": db_url, "ACCORD_HOME": str(home)}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("accord")), "reminders", "run", "--today", str(DAY)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    # The reminder and the notices of the signing and the window opened: nobody to send to.
    assert done.stdout.splitlines()[-1] == "0 sent, 0 skipped, 0 retry, 3 dead"


@pytest.mark.parametrize(
    "command",
    ["outbox status", "dead-letters list", "reminders due", "reminders run", "meetings list"],
)
def test_an_unmigrated_database_says_what_to_run(tmp_path: Path, command: str) -> None:
    (tmp_path / "blank.db").touch()  # an empty SQLite database (no file at all: no database)
    outcome = accord(f"sqlite:///{tmp_path / 'blank.db'}", tmp_path / "home", command)
    assert (outcome.code, outcome.err) == (1, NOT_READY)
