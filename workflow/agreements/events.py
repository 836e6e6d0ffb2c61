"""What every move records besides the state: its outbox row's payload."""

from __future__ import annotations

from datetime import datetime
from typing import Any


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
