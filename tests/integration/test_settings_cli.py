"""Settings the `accord` command reads, each set to a value other than its default through the
environment, as a user would, and seen to change what the command does, on both databases.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests import factories
from tests.integration.test_cli import Outcome, bring_to_signature, run_cli

DAY = factories.TODAY  # 2026-11-22; the HUST-style January meeting is 54 days later
SIGN = "--on 2021-06-01 --signatory home=Ada --signatory partner=Bo"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """ACCORD_HOME: mail goes to files under it (no SMTP host)."""
    return tmp_path / "home"


def accord(db_url: str, home: Path, command: str, **settings: str) -> Outcome:
    """`accord COMMAND` with these ACCORD_* settings (and mail to files); it must succeed."""
    env: dict[str, str | None] = {
        "ACCORD_HOME": str(home),
        "ACCORD_MAIL_FROM": factories.MAIL_FROM,
        "ACCORD_SMTP_HOST": None,
        "ACCORD_MAIL_DIR": None,
        "ACCORD_BROKER_URL": None,
        "ACCORD_REMINDER_OFFSETS": None,
        "ACCORD_MEETING_LEAD_DAYS": None,
        "ACCORD_RENEWAL_WINDOW_DAYS": None,
    }
    env.update(settings)
    outcome = run_cli(db_url, command, env)
    assert (outcome.code, outcome.err) == (0, ""), outcome
    return outcome


def run(db_url: str, home: Path, **settings: str) -> dict[str, Any]:
    """`accord reminders run --today DAY --json`: one sweep, sending inline."""
    report: dict[str, Any] = accord(
        db_url, home, f"reminders run --today {DAY} --json", **settings
    ).json()
    return report


def test_renewal_window_days_sets_when_a_new_agreements_window_opens(
    engine: Engine, db_url: str, home: Path
) -> None:
    factories.institutions(engine)
    new = "agreements new --home home --partner partner --kind mou --title Window --term-months 60"
    dated = f"{new} --proposed-on 2021-01-04 --json"
    made = accord(db_url, home, dated, ACCORD_RENEWAL_WINDOW_DAYS="30")
    slug = made.json()["slug"]
    bring_to_signature(db_url, slug)
    accord(db_url, home, f"agreements advance {slug} sign {SIGN}")
    shown = accord(db_url, home, f"agreements show {slug} --json").json()
    # Expires 2026-06-01; with the default 180 days the window would have opened in December.
    assert (shown["expires_on"], shown["renewal_opens_on"]) == ("2026-06-01", "2026-05-02")
    assert accord(db_url, home, "tick --today 2026-05-01 --json").json()["total"] == 0
    opened = accord(db_url, home, "tick --today 2026-05-02 --json").json()
    assert opened["moved"] == {"open_renewal": [slug]}


def test_meeting_lead_days_sets_how_far_ahead_the_sweep_schedules(
    engine: Engine, db_url: str, home: Path
) -> None:
    factories.institutions(engine)
    factories.contacts(engine)
    factories.meeting_partnership(engine, month=1)  # 15 January 2027, 54 days after DAY
    assert run(db_url, home, ACCORD_MEETING_LEAD_DAYS="53")["meetings_scheduled"] == 0
    report = run(db_url, home, ACCORD_MEETING_LEAD_DAYS="54")
    assert report["meetings_scheduled"] == 1
    assert [o["kind"] for o in report["outcomes"]] == ["meeting_invitation"]


def test_reminder_offsets_set_the_days_reminders_fall_due(
    engine: Engine, db_url: str, home: Path
) -> None:
    factories.institutions(engine)
    factories.contacts(engine)
    slug = factories.agreement(engine, "Offsets", expires=DAY + timedelta(days=45))
    first = run(db_url, home)  # 45 is none of 180, 90, 30, 7: nothing is due today
    assert [o for o in first["outcomes"] if o["kind"] == "renewal_reminder"] == []
    # The next run follows the new default at once: the 45-day reminder is due, and sent.
    report = run(db_url, home, ACCORD_REMINDER_OFFSETS="[45]")
    sent = [o for o in report["outcomes"] if o["kind"] == "renewal_reminder"]
    assert [(o["subject"], o["status"]) for o in sent] == [(slug, "sent")]
    [row] = [n for n in factories.notes(engine, "renewal_reminder") if n.status == "sent"]
    assert row.dedupe_key.endswith(":45")


def test_mail_dir_is_where_the_file_backend_writes(
    engine: Engine, db_url: str, home: Path, tmp_path: Path
) -> None:
    factories.institutions(engine)
    factories.contacts(engine)
    factories.agreement(engine, "Files", expires=DAY + timedelta(days=30))
    out = tmp_path / "outgoing"
    report = run(db_url, home, ACCORD_MAIL_DIR=str(out))
    sent = [o for o in report["outcomes"] if o["status"] == "sent"]
    written = {path.read_text() for path in out.glob("*.eml")}
    assert len(sent) == len(written) >= 2  # the signing's notice and the 30-day reminder
    for outcome in sent:
        assert sum(outcome["message_id"] in text for text in written) == 1
    assert not (home / "mail").exists()
