"""The README's main job, end to end on the embedded defaults: no server of any kind.

`accord db upgrade` and `accord seed` through the CLI's main(), then the real `accord worker`
(Celery prefork) and `accord beat` as processes, on a SQLite database and kombu's SQLAlchemy
broker on a SQLite file, both under a temporary ACCORD_HOME; mail goes to .eml files there.
The test parses what arrived: a renewal reminder, an event notice and an invitation's .ics.

Self-contained: the fixtures here do not use tests/e2e/conftest.py's Redis/SMTP stack.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, TypeVar

import pytest
from icalendar import Calendar
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from cli.main import main
from models.tables import Notification

T = TypeVar("T")
ACCORD = Path(sys.executable).with_name("accord")
WAIT = 180.0  # seconds: worker start-up on a loaded two-core machine included
STOP = 30.0


@dataclass
class Embedded:
    """One ACCORD_HOME with its environment (no ACCORD_* from outside leaks in)."""

    home: Path
    env: dict[str, str]

    @property
    def mail(self) -> Path:
        return self.home / "mail"

    def cli(self, command: str) -> str:
        """`accord COMMAND` in this process through main(); it must succeed."""
        overrides: dict[str, str | None] = {k: None for k in os.environ if k.startswith("ACCORD_")}
        overrides |= {k: v for k, v in self.env.items() if k.startswith("ACCORD_")}
        with CliRunner().isolation(env=overrides) as (out, err, _):
            code = main(shlex.split(command))
            sys.stdout.flush()
            sys.stderr.flush()
            stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
        assert (code, stderr) == (0, ""), (command, code, stderr)
        return stdout


@pytest.fixture
def embedded(tmp_path: Path) -> Embedded:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(
        ACCORD_HOME=str(tmp_path / "home"),
        ACCORD_SWEEP_INTERVAL="1",
        ACCORD_RELAY_INTERVAL="1",
        PYTHONUNBUFFERED="1",
    )
    return Embedded(tmp_path / "home", env)


class Background:
    """An `accord worker` or `accord beat` process, in its own process group, logging to a file."""

    def __init__(self, embedded: Embedded, args: list[str], name: str) -> None:
        self.log = embedded.home.parent / f"{name}.log"
        self.name = name
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(ACCORD), *args],
                env=embedded.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def tail(self, lines: int = 25) -> str:
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {self.name} ({self.log}):\n" + "\n".join(text)

    def stop(self) -> int | None:
        """SIGTERM (Celery's warm shutdown), bounded; SIGKILL the group if it hangs."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                return self.proc.wait(timeout=STOP)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=STOP)
                return None
        return self.proc.returncode


@pytest.fixture
def celery_processes(embedded: Embedded) -> Iterator[Callable[[], list[Background]]]:
    """Starts the worker and beat on demand; whatever was started is stopped at the end."""
    started: list[Background] = []

    def start() -> list[Background]:
        started.append(Background(embedded, ["worker", "--concurrency", "2"], "worker"))
        started.append(Background(embedded, ["beat"], "beat"))
        return started

    yield start
    for process in reversed(started):
        process.stop()


def wait_for(check: Callable[[], T | None], what: str, processes: list[Background]) -> T:
    """Poll `check` until it returns something, at most WAIT seconds; fail with the logs."""
    deadline = time.monotonic() + WAIT
    while True:
        found = check()
        if found:
            return found
        dead = [p for p in processes if p.proc.poll() is not None]
        if dead or time.monotonic() > deadline:
            why = f"{dead[0].name} exited" if dead else f"not within {WAIT:.0f} s"
            pytest.fail(f"{what}: {why}\n" + "\n".join(p.tail() for p in processes))
        time.sleep(0.5)


def read_mail(folder: Path) -> list[EmailMessage]:
    parser = BytesParser(policy=policy.default)
    found = []
    for path in sorted(folder.glob("*.eml")):
        with path.open("rb") as fh:
            msg = parser.parse(fh)
        assert isinstance(msg, EmailMessage)
        found.append(msg)
    return found


def by_subject(mails: list[EmailMessage], start: str) -> EmailMessage | None:
    return next((m for m in mails if str(m["Subject"]).startswith(start)), None)


def vevent(msg: EmailMessage) -> tuple[str, Any]:
    part = next(p for p in msg.walk() if p.get_filename() == "invite.ics")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    cal = Calendar.from_ical(payload)
    return str(cal["METHOD"]), next(c for c in cal.walk() if c.name == "VEVENT")


def test_the_embedded_worker_and_beat_mail_reminders_notices_and_invitations(
    embedded: Embedded, celery_processes: Callable[[], list[Background]]
) -> None:
    today = datetime.now(UTC).date()  # the worker's sweep runs as of the real day

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    assert embedded.cli("db upgrade").endswith("(head)\n")
    assert "8 agreements" in embedded.cli("seed")
    # Dated relative to today, so something is due whatever day the test runs: an agreement
    # ending in 30 days (its 30-day reminder is due today) and a meeting in 20 days.
    new = "agreements new --home hust --partner heidelberg --kind mou --title 'E2E Exchange MoU'"
    created = embedded.cli(
        f"{new} --unit hust-oia --coordinator chen-jie --proposed-on {day(-40)} --json"
    )
    slug = json.loads(created)["slug"]
    for trigger, offset in (("review", -30), ("approve", -20), ("send_for_signature", -10)):
        embedded.cli(f"agreements advance {slug} {trigger} --on {day(offset)}")
    sign = f"--on {day(-5)} --until {day(30)} --signatory 'hust=You Zheng' "
    embedded.cli(f"agreements advance {slug} sign {sign} --signatory 'heidelberg=M. Weller'")
    meeting = "meetings schedule hust-rwth --title 'E2E partnership meeting' --location Aachen"
    embedded.cli(f"{meeting} --at {day(20)}T09:00Z")

    processes = celery_processes()

    def arrived() -> tuple[EmailMessage, EmailMessage, EmailMessage] | None:
        mails = read_mail(embedded.mail)
        reminder = by_subject(mails, "Renewal reminder: E2E Exchange MoU")
        # Seeded history mails no notice; the first tick's catch-up does (window or lapse).
        kpa = "HUST-RWTH Key Partnership Agreement: "
        notice = by_subject(mails, kpa + "renewal window opened") or by_subject(
            mails, kpa + "expired"
        )
        invitation = by_subject(mails, "Invitation: E2E partnership meeting")
        return (reminder, notice, invitation) if reminder and notice and invitation else None

    reminder, notice, invitation = wait_for(arrived, "the .eml files", processes)

    # The reminder: both sides' contacts and the owning unit; the expiry and the days left.
    assert set(str(reminder["To"]).split(", ")) == {
        "chen.jie@hust.example.org",
        "oia@hust.example.org",
        "michael.kirschfink@heidelberg.example.org",
    }
    assert day(30) in str(reminder["Subject"])
    text = reminder.get_body(preferencelist=("plain",))
    assert text is not None
    assert "Heidelberg University" in text.get_content()
    engine = create_engine(f"sqlite:///{embedded.home / 'accord.db'}")
    with engine.connect() as conn:
        stored = conn.execute(
            select(Notification.message_id).where(
                Notification.kind == "renewal_reminder", Notification.status == "sent"
            )
        ).scalars()
        assert str(reminder["Message-ID"]) in set(stored)
    engine.dispose()

    # An event notice from the first tick, relayed through the outbox and the broker.
    assert "uwe-kai.schroeder@rwth.example.org" in str(notice["To"])

    # The invitation: an RFC 5545 REQUEST with a stable UID, SEQUENCE 0, both contacts invited.
    method, event = vevent(invitation)
    assert method == "REQUEST"
    assert str(event["UID"]).startswith("accord-meeting-hust-rwth-")
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == datetime.combine(
        date.fromisoformat(day(20)), datetime.min.time(), tzinfo=UTC
    ) + timedelta(hours=9)
    attendees = {str(a).removeprefix("mailto:") for a in event.get("ATTENDEE")}
    assert attendees == {"chen.jie@hust.example.org", "uwe-kai.schroeder@rwth.example.org"}
    assert str(event["LOCATION"]) == "Aachen"

    # Both processes stop cleanly on SIGTERM, and nothing was mailed twice.
    assert "concurrency: 2 (prefork)" in processes[0].log.read_text()
    codes = [p.stop() for p in reversed(processes)]
    assert codes == [0, 0], "\n".join(p.tail() for p in processes)
    ids = [str(m["Message-ID"]) for m in read_mail(embedded.mail)]
    assert len(ids) == len(set(ids))
