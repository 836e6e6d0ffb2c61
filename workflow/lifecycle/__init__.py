"""The agreement lifecycle: states, triggers, guards and the one shared `transitions` machine.

This package imports nothing of Accord's, so it can be unit-tested in microseconds and drawn as a
diagram. It is the single source of truth for which move is legal from which state.

states: the vocabulary; guards: what a move needs; machine: the one machine and firing it.
"""

from workflow.lifecycle.guards import (
    GUARDS,
    Guard,
    add_months,
    can_give_notice,
    can_renew,
    can_sign,
    has_expiry,
    has_lapsed,
    notice_deadline,
    term_end,
    term_start,
    was_renewed,
)
from workflow.lifecycle.machine import (
    MACHINE,
    TRANSITIONS,
    IllegalMove,
    Verdict,
    destinations,
    fire,
    judge,
    legal_triggers,
    mermaid,
    replay,
)
from workflow.lifecycle.states import (
    EDIT,
    IN_FORCE,
    INITIAL,
    PROPOSE,
    TERMINAL,
    TIME_DRIVEN,
    Move,
    Party,
    RenewalType,
    State,
    Subject,
    Trigger,
)

__all__ = [
    "EDIT",
    "GUARDS",
    "INITIAL",
    "IN_FORCE",
    "MACHINE",
    "PROPOSE",
    "TERMINAL",
    "TIME_DRIVEN",
    "TRANSITIONS",
    "Guard",
    "IllegalMove",
    "Move",
    "Party",
    "RenewalType",
    "State",
    "Subject",
    "Trigger",
    "Verdict",
    "add_months",
    "can_give_notice",
    "can_renew",
    "can_sign",
    "destinations",
    "fire",
    "has_expiry",
    "has_lapsed",
    "judge",
    "legal_triggers",
    "mermaid",
    "notice_deadline",
    "replay",
    "term_end",
    "term_start",
    "was_renewed",
]
