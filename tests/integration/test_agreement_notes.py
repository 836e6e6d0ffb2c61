"""`accord agreements note | follow-up | follow-ups | done`, the timeline in `history` and the
board's follow-ups, on both databases (refusals: test_agreement_notes_refusals.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from tests import factories
from tests.integration.test_cli import ok
from workflow.agreements import followups, notes
from workflow.uow import UnitOfWork

SLUG = "home-part-exchange"
TODAY = datetime.now(UTC).date()  # the CLI's own today: `follow-up` refuses a day before it


def build_world(engine: Engine) -> None:
    """Agreement `Exchange` (active since 2021, version 5) and the people coord, partner-contact."""
    factories.institutions(engine)
    factories.contacts(engine)
    factories.agreement(engine, "Exchange", expires=date(2031, 6, 1))


@pytest.fixture
def world(engine: Engine) -> None:
    """See build_world."""
    build_world(engine)


def snapshot(engine: Engine) -> list[Any]:
    """What a refused command must not touch: agreements, events, notes, follow-ups, mail."""
    with engine.connect() as conn:
        return [
            tuple(row)
            for table in (
                "agreements",
                "agreement_events",
                "agreement_notes",
                "follow_ups",
                "notifications",
            )
            for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
        ]


def version(db_url: str) -> int:
    shown: int = ok(db_url, f"agreements show {SLUG} --json").json()["version"]
    return shown


@pytest.mark.usefixtures("world")
def test_a_note_is_in_the_timeline_and_leaves_the_version_alone(
    engine: Engine, db_url: str
) -> None:
    before = version(db_url)
    said = ok(db_url, f"agreements note {SLUG} 'Called Pat:\nannex next week' --actor ann")
    assert said.out == f"note 1 added to {SLUG}\n"
    assert version(db_url) == before
    # --expect-version held from before the note still holds.
    ok(db_url, f"agreements advance {SLUG} suspend --comment pause --expect-version {before}")
    history = ok(db_url, f"agreements history {SLUG} --json").json()
    [note] = [e for e in history if e["kind"] == "note"]
    assert (note["actor"], note["text"]) == ("ann", "Called Pat:\nannex next week")
    assert [e["kind"] for e in history][-2:] == ["note", "event"]
    # The table escapes the line break, so one entry is one line.
    lines = ok(db_url, f"agreements history {SLUG}").out.splitlines()
    assert any("ann" in line and "note" in line and "Called Pat:\\nannex" in line for line in lines)


@pytest.mark.usefixtures("world")
def test_notes_are_append_only_in_the_database(engine: Engine, db_url: str) -> None:
    ok(db_url, f"agreements note {SLUG} 'first word' --actor ann")
    for statement in (
        "UPDATE agreement_notes SET text = 'rewritten'",
        "DELETE FROM agreement_notes",
    ):
        with (
            pytest.raises(DBAPIError, match="agreement_notes is append-only"),
            engine.begin() as conn,
        ):
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT text FROM agreement_notes")).scalars().all() == [
            "first word"
        ]


@pytest.mark.usefixtures("world")
def test_follow_ups_are_set_listed_and_done(engine: Engine, db_url: str) -> None:
    due = date(TODAY.year + 1, 1, 15).isoformat()
    before = version(db_url)
    said = ok(
        db_url,
        f"agreements follow-up {SLUG} 'Chase the signed annex' --due {due} "
        "--owner partner-contact --actor ann",
    )
    assert said.out == f"follow-up 1 on {SLUG}: partner-contact by {due}\n"
    second = ok(
        db_url,
        f"agreements follow-up {SLUG} 'Book the visit' --due {TODAY} "
        "--owner coord --actor ann --json",
    ).json()
    assert (second["id"], second["owner"], second["status"]) == (2, "coord", "due today")
    assert version(db_url) == before

    listed = ok(db_url, f"agreements follow-ups {SLUG} --json").json()
    assert [(f["id"], f["due_on"], f["status"]) for f in listed] == [
        (2, TODAY.isoformat(), "due today"),
        (1, due, "open"),
    ]
    assert listed[1] | {"created_at": None} == {
        "id": 1,
        "agreement": SLUG,
        "due_on": due,
        "owner": "partner-contact",
        "owner_name": "Pat Ner",
        "text": "Chase the signed annex",
        "status": "open",
        "created_by": "ann",
        "created_at": None,
        "done_by": None,
        "done_at": None,
    }
    # Past its day an open follow-up is overdue.
    later = ok(db_url, f"agreements follow-ups --today {due[:4]}-02-01 --json").json()
    assert [f["status"] for f in later] == ["overdue", "overdue"]

    assert ok(db_url, "agreements done 2 --actor bo").out == f"follow-up 2 on {SLUG} done\n"
    assert [f["id"] for f in ok(db_url, "agreements follow-ups --open --json").json()] == [1]
    table = ok(db_url, "agreements follow-ups").out
    assert "done " in table
    assert "by bo" in table
    assert "Chase the signed annex" in ok(db_url, f"agreements follow-ups {SLUG} --open").out
    assert ok(db_url, "agreements follow-ups --open --today 2000-01-01").out.count("\n") == 2


@pytest.mark.usefixtures("world")
def test_the_history_is_one_timeline_in_time_order(engine: Engine, db_url: str) -> None:
    """Notes and follow-ups fall between the events by their time; events keep their fields."""
    with UnitOfWork(engine) as uow:
        # factories.TO_ACTIVE: review 2021-02-01, approve 03-01, send_for_signature 04-01.
        notes.add_note(
            uow, SLUG, "draft looks fine", actor="ann", now=datetime(2021, 3, 15, 10, tzinfo=UTC)
        )
        made = followups.add(
            uow,
            SLUG,
            due_on=date(2021, 5, 1),
            owner="coord",
            text="get signatures",
            actor="ann",
            today=date(2021, 2, 10),
            now=datetime(2021, 2, 10, 9, tzinfo=UTC),
        )
        followups.done(
            uow,
            made["id"],
            actor="cora",
            today=date(2021, 6, 1),
            now=datetime(2021, 6, 1, 12, tzinfo=UTC),
        )
        uow.commit()
    history = ok(db_url, f"agreements history {SLUG} --json").json()
    assert [(e["kind"], e.get("trigger") or e.get("action"), e["at"][:10]) for e in history] == [
        ("event", "propose", "2021-01-04"),
        ("event", "review", "2021-02-01"),
        ("follow_up", "set", "2021-02-10"),
        ("event", "approve", "2021-03-01"),
        ("note", None, "2021-03-15"),
        ("event", "send_for_signature", "2021-04-01"),
        # Signed at midnight, done at noon the same day.
        ("event", "sign", "2021-06-01"),
        ("follow_up", "done", "2021-06-01"),
    ]
    events = [e for e in history if e["kind"] == "event"]
    assert all(
        e.keys()
        == {
            "kind",
            "seq",
            "at",
            "recorded_at",
            "actor",
            "trigger",
            "from_state",
            "to_state",
            "comment",
            "data",
            "changes",  # an edit's (field, before, after); empty for a move
        }
        for e in events
    )
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    done = history[-1]
    assert (done["id"], done["actor"], done["owner"], done["due_on"]) == (
        made["id"],
        "cora",
        "coord",
        "2021-05-01",
    )
    lines = ok(db_url, f"agreements history {SLUG}").out.splitlines()
    assert [line.split()[2] for line in lines] == [
        "propose",
        "review",
        "follow-up",
        "approve",
        "note",
        "send_for_signature",
        "sign",
        "done",
    ]
    assert "due 2021-05-01 for coord" in lines[2]


@pytest.mark.usefixtures("world")
def test_the_board_lists_open_follow_ups_and_marks_the_overdue(db_url: str) -> None:
    ok(db_url, f"agreements follow-up {SLUG} 'Book the visit' --due {TODAY} --owner coord")
    ok(db_url, f"agreements follow-up {SLUG} 'Old business' --due {TODAY} --owner coord")
    ok(db_url, f"agreements follow-up {SLUG} 'Later' --due {TODAY.year + 1}-03-01 --owner coord")
    ok(db_url, "agreements done 2")
    later = date(TODAY.year + 1, 1, 1).isoformat()
    board = ok(db_url, f"board --today {later}").out
    section = board.split("Follow-ups open")[1].split("\nInitiatives")[0]
    lines = [line for line in section.splitlines()[1:] if line.strip()]
    assert len(lines) == 2
    assert lines[0].split()[:2] == ["1", SLUG]
    assert "OVERDUE" in lines[0]
    assert "Book the visit" in lines[0]
    assert "OVERDUE" not in lines[1]
    assert "Later" in lines[1]
    assert "Old business" not in board
    today_board = ok(db_url, "board").out
    assert "due today" in today_board
    assert "OVERDUE" not in today_board


@pytest.mark.usefixtures("world")
def test_the_board_says_none_without_open_follow_ups(db_url: str) -> None:
    board = ok(db_url, "board").out
    assert "Follow-ups open (`accord agreements done ID` when done)\n  none\n" in board
