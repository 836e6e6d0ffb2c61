"""The agreement lifecycle: states, triggers, guards and the one shared `transitions` machine.

This module imports nothing of Accord's, so it can be unit-tested in microseconds and drawn as a
diagram. It is the single source of truth for which move is legal from which state.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from transitions import Machine, MachineError


class State(enum.StrEnum):
    """Where an agreement stands."""

    PROPOSED = "proposed"
    UNDER_REVIEW = "under_review"
    NEGOTIATING = "negotiating"
    APPROVED = "approved"
    AWAITING_SIGNATURE = "awaiting_signature"
    ACTIVE = "active"
    RENEWAL_DUE = "renewal_due"
    RENEWED = "renewed"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


class Trigger(enum.StrEnum):
    """What moves an agreement from one state to another."""

    REVIEW = "review"
    REQUEST_CHANGES = "request_changes"
    RESUBMIT = "resubmit"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    SEND_FOR_SIGNATURE = "send_for_signature"
    SIGN = "sign"
    OPEN_RENEWAL = "open_renewal"
    RENEW = "renew"
    EXPIRE = "expire"
    SUSPEND = "suspend"
    RESUME = "resume"
    TERMINATE = "terminate"


INITIAL = State.PROPOSED
# The pseudo-trigger recorded as the first event of every agreement (from no state to `proposed`).
PROPOSE = "propose"

IN_FORCE = frozenset({State.ACTIVE, State.RENEWAL_DUE, State.RENEWED})
TERMINAL = frozenset({State.EXPIRED, State.TERMINATED, State.WITHDRAWN, State.REJECTED})
# Triggers that `tick` fires as actor `system` when the calendar says so.
TIME_DRIVEN = frozenset({Trigger.OPEN_RENEWAL, Trigger.EXPIRE})


@dataclass
class Party:
    """One institution that is party to an agreement."""

    id: int
    name: str


@dataclass
class Subject:
    """What the machine and its guards see of an agreement: a snapshot, not the ORM row."""

    state: str
    parties: list[Party] = field(default_factory=list)
    proposed_on: date | None = None
    signed_on: date | None = None
    expires_on: date | None = None
    term_no: int = 0
    term_months: int | None = None
    refusals: list[str] = field(default_factory=list)


@dataclass
class Move:
    """The request to fire one trigger, with what the guards need to judge it."""

    trigger: str
    today: date
    on: date | None = None
    comment: str | None = None
    until: date | None = None
    # party institution id -> signatory's name
    signatories: Mapping[int, str] = field(default_factory=dict)

    @property
    def effective_date(self) -> date:
        """The day the move takes effect: `on` when given, else today."""
        return self.on or self.today


Guard = Callable[[Subject, Move], "str | None"]


def _needs_comment(what: str) -> Guard:
    def guard(subject: Subject, move: Move) -> str | None:
        if move.comment and move.comment.strip():
            return None
        return f"{what}: give it with --comment"

    guard.__name__ = f"needs_comment_{what.replace(' ', '_')}"
    return guard


def _missing_signatories(subject: Subject, move: Move) -> list[str]:
    return [p.name for p in subject.parties if not (move.signatories.get(p.id) or "").strip()]


def term_end(subject: Subject, move: Move) -> date | None:
    """The end of the term a sign/renew move would start: explicit, or from the term length."""
    if move.until is not None:
        return move.until
    if subject.term_months:
        return add_months(move.effective_date, subject.term_months)
    return None


def can_sign(subject: Subject, move: Move) -> str | None:
    """Signing needs a date, a signatory for every party and an end date after the signing."""
    problems: list[str] = []
    if move.on is None:
        problems.append("a signing date (--on)")
    missing = _missing_signatories(subject, move)
    if missing:
        problems.append("a signatory for " + ", ".join(missing) + " (--signatory PARTY=NAME)")
    if problems:
        return "signing needs " + " and ".join(problems)
    assert move.on is not None
    if move.on > move.today:
        return f"the signing date {move.on.isoformat()} is in the future"
    if subject.proposed_on and move.on < subject.proposed_on:
        return (
            f"the signing date {move.on.isoformat()} is before the proposal "
            f"({subject.proposed_on.isoformat()})"
        )
    until = term_end(subject, move)
    if until is None:
        return "signing needs an end date (--until) or a term length on the agreement"
    if until <= move.on:
        return (
            f"the term must end after it is signed ({until.isoformat()} <= {move.on.isoformat()})"
        )
    return None


def can_renew(subject: Subject, move: Move) -> str | None:
    """Renewal needs what signing needs, and the new term must end after the current one."""
    reason = can_sign(subject, move)
    if reason:
        return reason.replace("signing needs", "renewal needs", 1)
    until = term_end(subject, move)
    assert until is not None
    if subject.expires_on and until <= subject.expires_on:
        return (
            f"the renewed term must end after the current one ({until.isoformat()} <= "
            f"{subject.expires_on.isoformat()})"
        )
    if subject.signed_on and move.on and move.on < subject.signed_on:
        return (
            f"the renewal date {move.on.isoformat()} is before the current term was signed "
            f"({subject.signed_on.isoformat()})"
        )
    return None


def has_expiry(subject: Subject, move: Move) -> str | None:
    """A renewal window only exists for an agreement with an end date."""
    if subject.expires_on is None:
        return "the agreement has no end date, so it has no renewal window"
    return None


def has_lapsed(subject: Subject, move: Move) -> str | None:
    """Expiry is the calendar's call: only on or after the end date."""
    if subject.expires_on is None:
        return "the agreement has no end date; end it with terminate instead"
    if move.effective_date < subject.expires_on:
        return (
            f"the agreement is in force until {subject.expires_on.isoformat()}; "
            "end it early with terminate"
        )
    return None


def was_renewed(subject: Subject, move: Move) -> bool:
    """Routing for resume: back to `renewed` when the agreement is on a later term."""
    return subject.term_no > 1


GUARDS: dict[str, Guard] = {
    Trigger.REQUEST_CHANGES: _needs_comment("say what must change"),
    Trigger.REJECT: _needs_comment("say why it is rejected"),
    Trigger.SUSPEND: _needs_comment("say why it is suspended"),
    Trigger.TERMINATE: _needs_comment("say why it is terminated"),
    Trigger.SIGN: can_sign,
    Trigger.RENEW: can_renew,
    Trigger.OPEN_RENEWAL: has_expiry,
    Trigger.EXPIRE: has_lapsed,
}

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
    (T.RENEW, [S.ACTIVE, S.RENEWAL_DUE, S.RENEWED], S.RENEWED, None),
    (T.EXPIRE, [S.ACTIVE, S.RENEWAL_DUE, S.RENEWED, S.SUSPENDED], S.EXPIRED, None),
    (T.SUSPEND, [S.ACTIVE, S.RENEWAL_DUE, S.RENEWED], S.SUSPENDED, None),
    (T.RESUME, [S.SUSPENDED], S.RENEWED, was_renewed),
    (T.RESUME, [S.SUSPENDED], S.ACTIVE, None),
    (T.TERMINATE, [S.ACTIVE, S.RENEWAL_DUE, S.RENEWED, S.SUSPENDED], S.TERMINATED, None),
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
    """
    state: str | None = None
    for index, (trigger, source, dest) in enumerate(steps):
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


def add_months(day: date, months: int) -> date:
    """`day` plus whole months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {day}")  # pragma: no cover


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
