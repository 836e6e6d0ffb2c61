"""An agreement's record rebuilt from its history alone: the state from the moves, each edited
field from its changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workflow import lifecycle
from workflow.lifecycle import EDIT

# Fields a move sets too (signing and renewing set the end dates, a renewal starts a term with
# its own end): only edits set the others.
MOVED = frozenset({"expires_on", "renewal_opens_on", "term_expires_on"})


@dataclass(frozen=True)
class Replayed:
    """The state the history leads to, and the last value of every field an edit changed
    (for the end dates in MOVED, the value an edit last left, which a later move may change)."""

    state: str
    fields: dict[str, Any] = field(default_factory=dict)


def replay_record(history: Sequence[dict[str, Any]]) -> Replayed:
    """Replay `queries.history` entries: the machine checks the moves (`lifecycle.replay`), and
    each change must start from the value the previous change of its field left (ValueError)."""
    state = lifecycle.replay([(e["trigger"], e["from_state"], e["to_state"]) for e in history])
    values: dict[str, Any] = {}
    for entry in history:
        if entry["trigger"] != EDIT:
            continue
        for change in entry["changes"]:
            name = change["field"]
            if name in values and name not in MOVED and values[name] != change["before"]:
                raise ValueError(
                    f"history breaks at version {entry['seq']}: {name} was "
                    f"{values[name]!r}, but the edit changed it from {change['before']!r}"
                )
            values[name] = change["after"]
    return Replayed(state, values)
