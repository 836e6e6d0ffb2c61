"""What every move records besides the state: its event row, and its outbox row's payload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class NewEvent:
    """One event to append: `at` is when the move counts as made, `now` when it is recorded."""

    agreement_id: int
    seq: int
    at: datetime
    now: datetime
    actor: str
    trigger: str
    from_state: str | None
    to_state: str
    comment: str | None
    data: dict[str, Any]

    def row(self) -> dict[str, Any]:
        """The agreement_events row's columns."""
        return {
            "agreement_id": self.agreement_id,
            "seq": self.seq,
            "at": self.at,
            "recorded_at": self.now,
            "actor": self.actor,
            "trigger": self.trigger,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "comment": self.comment,
            "data": self.data,
        }

    def payload(self, event_id: int) -> dict[str, Any]:
        """Its outbox row's payload, once the event has its id."""
        return outbox_payload(
            event_id, self.agreement_id, self.trigger, self.from_state, self.to_state, self.at
        )


def outbox_payload(
    event_id: int,
    agreement_id: int,
    trigger: str,
    from_state: str | None,
    to_state: str,
    at: datetime,
) -> dict[str, Any]:
    """Ids and names only: the task re-reads the rows it acts on."""
    return {
        "event_id": event_id,
        "agreement_id": agreement_id,
        "trigger": trigger,
        "from_state": from_state,
        "to_state": to_state,
        "at": at.isoformat(),
    }
