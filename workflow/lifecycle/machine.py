"""The one shared `transitions` machine: which move is legal from which state, and firing it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from transitions import Machine, MachineError

from workflow.lifecycle.guards import (
    GUARDS,
    Guard,
    was_renewed,
)
from workflow.lifecycle.states import (
    EDIT,
    INITIAL,
    PROPOSE,
    TERMINAL,
    Move,
    State,
    Subject,
    Trigger,
)

S, T = State, Trigger


_PRE_SIGNATURE = [S.PROPOSED, S.UNDER_REVIEW, S.NEGOTIATING, S.APPROVED, S.AWAITING_SIGNATURE]


# (trigger, sources, dest[, routing condition]) — the whole lifecycle as data.
TRANSITIONS: list[tuple[Trigger, list[State], State, Callable[[Subject, Move], bool] | None]] = [
    (T.REVIEW, [S.PROPOSED], S.UNDER_REVIEW, None),
    (T.REQUEST_CHANGES, [S.UNDER_REVIEW, S.AWAITING_SIGNATURE], S.NEGOTIATING, None),
    (T.RESUBMIT, [S.NEGOTIATING], S.UNDER_REVIEW, None),
    (T.APPROVE, [S.UNDER_REVIEW], S.APPROVED, None),
    (T.REJECT, [S.UNDER_REVIEW], S.REJECTED, None),
    (T.WITHDRAW, _PRE_SIGNATURE, S.WITHDRAWN, None),
    (T.SEND_FOR_SIGNATURE, [S.APPROVED], S.AWAITING_SIGNATURE, None),
    (T.SIGN, [S.AWAITING_SIGNATURE], S.ACTIVE, None),
    (T.OPEN_RENEWAL, [S.ACTIVE, S.RENEWED], S.RENEWAL_DUE, None),
    # A renewal signed after notice was given supersedes the notice.
    (T.RENEW, [S.ACTIVE, S.RENEWAL_DUE, S.RENEWED, S.NOTICE_GIVEN], S.RENEWED, None),
    (T.GIVE_NOTICE, [S.ACTIVE, S.RENEWAL_DUE, S.RENEWED], S.NOTICE_GIVEN, None),
    (T.EXPIRE, [S.ACTIVE, S.RENEWAL_DUE, S.RENEWED, S.NOTICE_GIVEN, S.SUSPENDED], S.EXPIRED, None),
    (T.SUSPEND, [S.ACTIVE, S.RENEWAL_DUE, S.RENEWED], S.SUSPENDED, None),
    (T.RESUME, [S.SUSPENDED], S.RENEWED, was_renewed),
    (T.RESUME, [S.SUSPENDED], S.ACTIVE, None),
    (
        T.TERMINATE,
        [S.ACTIVE, S.RENEWAL_DUE, S.RENEWED, S.NOTICE_GIVEN, S.SUSPENDED],
        S.TERMINATED,
        None,
    ),
    # Approved content changed before signing: back to review (edits fire it, with the reason).
    (T.REVISE, [S.APPROVED, S.AWAITING_SIGNATURE], S.UNDER_REVIEW, None),
]


def _guard_condition(guard: Guard) -> Callable[[Any], bool]:
    def condition(event_data: Any) -> bool:
        subject: Subject = event_data.model
        reason = guard(subject, event_data.kwargs["move"])
        if reason:
            subject.refusals.append(reason)
            return False
        return True

    return condition


def _routing_condition(route: Callable[[Subject, Move], bool]) -> Callable[[Any], bool]:
    def condition(event_data: Any) -> bool:
        return route(event_data.model, event_data.kwargs["move"])

    return condition


def _build_machine() -> Machine:
    spec: list[dict[str, Any]] = []
    for trigger, sources, dest, route in TRANSITIONS:
        conditions: list[Callable[[Any], bool]] = []
        if route is not None:
            conditions.append(_routing_condition(route))
        if trigger in GUARDS:
            conditions.append(_guard_condition(GUARDS[trigger]))
        spec.append(
            {
                "trigger": trigger.value,
                "source": [s.value for s in sources],
                "dest": dest.value,
                "conditions": conditions,
            }
        )
    return Machine(
        model=None,
        states=[s.value for s in State],
        transitions=spec,
        initial=INITIAL.value,
        auto_transitions=False,
        send_event=True,
    )


# ONE machine for the whole workflow; triggers are fired against small Subject snapshots.
MACHINE: Machine = _build_machine()


class IllegalMove(Exception):
    """A trigger that is not legal from the current state, or refused by its guard."""

    def __init__(self, state: str, trigger: str, legal: list[str], reason: str | None = None):
        self.state, self.trigger, self.legal, self.reason = state, trigger, legal, reason
        legal_text = ", ".join(legal) if legal else "none (this state is final)"
        if reason:
            msg = f"cannot {trigger}: {reason} (legal from {state}: {legal_text})"
        else:
            msg = f"cannot {trigger} from {state}; legal from {state}: {legal_text}"
        super().__init__(msg)


def legal_triggers(state: str) -> list[str]:
    """The triggers the machine accepts from `state`, in lifecycle order (guards not judged)."""
    return list(MACHINE.get_triggers(str(state)))


def fire(subject: Subject, move: Move) -> str:
    """Fire `move.trigger` on `subject`; return the new state or raise IllegalMove."""
    # transitions reads an Enum member by its *name*; the machine's states are the plain values.
    state = subject.state = str(subject.state)
    event = MACHINE.events.get(move.trigger)
    subject.refusals = []
    if event is None:
        raise IllegalMove(state, move.trigger, legal_triggers(state), "unknown trigger")
    try:
        moved = event.trigger(subject, move=move)
    except MachineError:
        raise IllegalMove(state, move.trigger, legal_triggers(state)) from None
    if not moved:
        reason = "; ".join(subject.refusals) or "refused by its guard"
        raise IllegalMove(state, move.trigger, legal_triggers(state), reason)
    return str(subject.state)


@dataclass(frozen=True)
class Verdict:
    """Whether a trigger would pass from a subject's state now, and where it would lead."""

    trigger: str
    allowed: bool
    dest: str | None
    reason: str | None


def judge(subject: Subject, move: Move) -> Verdict:
    """Dry-run `move` against a copy of `subject`; nothing is changed."""
    trial = copy.copy(subject)
    trial.refusals = []
    try:
        dest = fire(trial, move)
    except IllegalMove as exc:
        return Verdict(move.trigger, False, None, exc.reason or "not legal from this state")
    return Verdict(move.trigger, True, dest, None)


def replay(steps: list[tuple[str, str | None, str]]) -> str:
    """Check a history of (trigger, from, to) against the machine; return the final state.

    Guards are not re-judged (they depended on the data of the day); the machine's graph is.
    An edit is a record entry, not a move: it must leave the state as it found it.
    """
    state: str | None = None
    for index, (trigger, source, dest) in enumerate(steps):
        if trigger == EDIT and index > 0:
            if source != state or dest != state:
                raise ValueError(f"an edit keeps the state: {source} -> {dest}, state was {state}")
            continue
        if (trigger == PROPOSE) != (index == 0):
            raise ValueError(f"history must start with {PROPOSE}, and only once")
        if trigger == PROPOSE:
            if source is not None or dest != INITIAL:
                raise ValueError(f"history must start with {PROPOSE} into {INITIAL.value}")
        else:
            if source != state:
                raise ValueError(f"history breaks: {trigger} from {source}, but state was {state}")
            targets = destinations(str(source), trigger)
            if dest not in targets:
                raise ValueError(f"{trigger} cannot lead from {source} to {dest}")
        state = dest
    if state is None:
        raise ValueError("empty history")
    return state


def destinations(state: str, trigger: str) -> list[str]:
    """Every state `trigger` can lead to from `state` (several when routing decides)."""
    event = MACHINE.events.get(trigger)
    if event is None:
        return []
    return [t.dest for t in event.transitions.get(state, []) if t.dest is not None]


def mermaid() -> str:
    """The lifecycle as a Mermaid state diagram, generated from the machine itself."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL.value}"]
    seen: set[tuple[str, str, str]] = set()
    for trigger in Trigger:
        for source, transitions in MACHINE.events[trigger.value].transitions.items():
            for transition in transitions:
                key = (source, str(transition.dest), trigger.value)
                if key not in seen:
                    seen.add(key)
                    lines.append(f"    {source} --> {transition.dest}: {trigger.value}")
    for state in State:
        if state in TERMINAL:
            lines.append(f"    {state.value} --> [*]")
    return "\n".join(lines) + "\n"
