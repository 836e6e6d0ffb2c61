"""Replaying a history with edits: edits keep the state, and each change starts where the last
one of its field ended."""

from __future__ import annotations

from typing import Any

import pytest

from workflow.agreements.replay import replay_record
from workflow.lifecycle import replay


def entry(seq: int, trigger: str, source: str | None, dest: str, *changes: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "trigger": trigger,
        "from_state": source,
        "to_state": dest,
        "changes": [{"field": f, "before": b, "after": a} for f, b, a in changes],
    }


HISTORY = [
    entry(1, "propose", None, "proposed"),
    entry(2, "edit", "proposed", "proposed", ("title", "A", "B"), ("notice_days", None, 30)),
    entry(3, "review", "proposed", "under_review"),
    entry(4, "approve", "under_review", "approved"),
    entry(5, "edit", "approved", "approved", ("title", "B", "C")),
    entry(6, "revise", "approved", "under_review"),
]


def test_a_history_with_edits_replays_to_its_state_and_fields() -> None:
    replayed = replay_record(HISTORY)
    assert (replayed.state, replayed.fields) == ("under_review", {"title": "C", "notice_days": 30})


def test_an_edit_that_moves_the_state_breaks_the_history() -> None:
    with pytest.raises(ValueError, match="an edit keeps the state"):
        replay([("propose", None, "proposed"), ("edit", "proposed", "under_review")])
    with pytest.raises(ValueError, match="an edit keeps the state"):
        replay([("propose", None, "proposed"), ("edit", "approved", "approved")])
    with pytest.raises(ValueError, match="must start with propose"):
        replay([("edit", None, "proposed")])


def test_a_change_from_a_value_the_field_never_had_breaks_the_history() -> None:
    broken = [*HISTORY, entry(7, "edit", "under_review", "under_review", ("title", "B", "D"))]
    with pytest.raises(ValueError, match="version 7: title was 'C'"):
        replay_record(broken)
