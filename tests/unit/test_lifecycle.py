"""The lifecycle machine alone: every (state, trigger) pair, every guard's reason, no I/O."""

from __future__ import annotations

import copy
import re
from datetime import date

import pytest

from workflow import lifecycle
from workflow.lifecycle import (
    MACHINE,
    IllegalMove,
    Move,
    Party,
    RenewalType,
    State,
    Subject,
    Trigger,
    add_months,
    fire,
    judge,
    mermaid,
    replay,
)

S, T = State, Trigger
TODAY = date(2026, 11, 22)
PROPOSED = date(2021, 1, 4)
SIGNED = date(2021, 6, 1)
EXPIRES = date(2026, 6, 1)
HOME, PARTNER = Party(1, "Home University"), Party(2, "Partner University")
BOTH_SIGN = {1: "Home President", 2: "Partner Head"}

# Written out by hand, not derived from the machine: a change to the lifecycle must change this.
EXPECTED: dict[State, dict[Trigger, State]] = {
    S.PROPOSED: {T.REVIEW: S.UNDER_REVIEW, T.WITHDRAW: S.WITHDRAWN},
    S.UNDER_REVIEW: {
        T.REQUEST_CHANGES: S.NEGOTIATING,
        T.APPROVE: S.APPROVED,
        T.REJECT: S.REJECTED,
        T.WITHDRAW: S.WITHDRAWN,
    },
    S.NEGOTIATING: {T.RESUBMIT: S.UNDER_REVIEW, T.WITHDRAW: S.WITHDRAWN},
    S.APPROVED: {
        T.SEND_FOR_SIGNATURE: S.AWAITING_SIGNATURE,
        T.WITHDRAW: S.WITHDRAWN,
        T.REVISE: S.UNDER_REVIEW,
    },
    S.AWAITING_SIGNATURE: {
        T.REQUEST_CHANGES: S.NEGOTIATING,
        T.SIGN: S.ACTIVE,
        T.WITHDRAW: S.WITHDRAWN,
        T.REVISE: S.UNDER_REVIEW,
    },
    S.ACTIVE: {
        T.OPEN_RENEWAL: S.RENEWAL_DUE,
        T.RENEW: S.RENEWED,
        T.GIVE_NOTICE: S.NOTICE_GIVEN,
        T.EXPIRE: S.EXPIRED,
        T.SUSPEND: S.SUSPENDED,
        T.TERMINATE: S.TERMINATED,
    },
    S.RENEWAL_DUE: {
        T.RENEW: S.RENEWED,
        T.GIVE_NOTICE: S.NOTICE_GIVEN,
        T.EXPIRE: S.EXPIRED,
        T.SUSPEND: S.SUSPENDED,
        T.TERMINATE: S.TERMINATED,
    },
    S.RENEWED: {
        T.OPEN_RENEWAL: S.RENEWAL_DUE,
        T.RENEW: S.RENEWED,
        T.GIVE_NOTICE: S.NOTICE_GIVEN,
        T.EXPIRE: S.EXPIRED,
        T.SUSPEND: S.SUSPENDED,
        T.TERMINATE: S.TERMINATED,
    },
    # Notice of non-renewal: in force until the end date; a signed renewal supersedes it.
    S.NOTICE_GIVEN: {T.RENEW: S.RENEWED, T.EXPIRE: S.EXPIRED, T.TERMINATE: S.TERMINATED},
    # term_no 1 below, so resume routes back to active.
    S.SUSPENDED: {T.EXPIRE: S.EXPIRED, T.RESUME: S.ACTIVE, T.TERMINATE: S.TERMINATED},
    S.EXPIRED: {},
    S.TERMINATED: {},
    S.WITHDRAWN: {},
    S.REJECTED: {},
}


def subject(state: State, **overrides: object) -> Subject:
    """A signed-looking agreement in `state` whose data satisfies every guard."""
    base = Subject(
        state=state.value,
        parties=[HOME, PARTNER],
        proposed_on=PROPOSED,
        signed_on=SIGNED,
        expires_on=EXPIRES,
        term_no=1,
        term_months=60,
        # Auto-renewing, so notice of non-renewal is possible until 90 days before the end.
        renewal_type=RenewalType.AUTO,
        notice_days=90,
    )
    for name, value in overrides.items():
        setattr(base, name, value)
    return base


def satisfying(trigger: Trigger) -> Move:
    """A move that every guard of `trigger` accepts against `subject(...)`."""
    on = {
        T.SIGN: date(2021, 6, 1),
        T.RENEW: date(2026, 3, 1),
        T.EXPIRE: EXPIRES,
        T.GIVE_NOTICE: date(2026, 3, 3),
    }.get(trigger)
    return Move(
        trigger=trigger.value,
        today=TODAY,
        on=on,
        comment="because the committee said so",
        signatories=BOTH_SIGN,
    )


def reason_of(subj: Subject, move: Move) -> str:
    """The guard's refusal reason for `move` (the move must be refused)."""
    with pytest.raises(IllegalMove) as info:
        fire(subj, move)
    assert info.value.reason is not None
    return info.value.reason


def test_expected_table_covers_every_state() -> None:
    assert set(EXPECTED) == set(State)


@pytest.mark.parametrize("trigger", list(Trigger), ids=str)
@pytest.mark.parametrize("state", list(State), ids=str)
def test_every_state_trigger_pair(state: State, trigger: Trigger) -> None:
    subj = subject(state)
    legal = EXPECTED[state]
    if trigger in legal:
        assert fire(subj, satisfying(trigger)) == legal[trigger]
        assert subj.state == legal[trigger]
        return
    with pytest.raises(IllegalMove) as info:
        fire(subj, satisfying(trigger))
    assert subj.state == state.value
    # Not legal at all: no guard was asked, so there is no guard's reason.
    assert info.value.reason is None
    assert info.value.legal == [t.value for t in Trigger if t in legal]
    message = str(info.value)
    assert f"cannot {trigger.value}" in message
    for name in legal:
        assert name.value in message
    if not legal:
        assert "final" in message


@pytest.mark.parametrize("state", list(State), ids=str)
def test_legal_triggers_match_the_table(state: State) -> None:
    assert lifecycle.legal_triggers(state) == [t.value for t in Trigger if t in EXPECTED[state]]


def test_unknown_trigger_is_illegal_and_names_the_legal_ones() -> None:
    with pytest.raises(IllegalMove, match=r"unknown trigger.*review, withdraw"):
        fire(subject(S.PROPOSED), Move(trigger="bogus", today=TODAY))


def test_enum_state_on_the_subject_is_read_by_value() -> None:
    subj = subject(S.PROPOSED)
    subj.state = S.PROPOSED
    assert fire(subj, Move(trigger=T.REVIEW, today=TODAY)) == S.UNDER_REVIEW


@pytest.mark.parametrize(
    ("state", "trigger", "what"),
    [
        (S.UNDER_REVIEW, T.REQUEST_CHANGES, "say what must change"),
        (S.AWAITING_SIGNATURE, T.REQUEST_CHANGES, "say what must change"),
        (S.UNDER_REVIEW, T.REJECT, "say why it is rejected"),
        (S.ACTIVE, T.SUSPEND, "say why it is suspended"),
        (S.SUSPENDED, T.TERMINATE, "say why it is terminated"),
    ],
)
@pytest.mark.parametrize("comment", [None, "", "   "])
def test_comment_required_triggers(
    state: State, trigger: Trigger, what: str, comment: str | None
) -> None:
    subj = subject(state)
    reason = reason_of(subj, Move(trigger=trigger.value, today=TODAY, comment=comment))
    assert reason == f"{what}: give it with --comment"
    assert subj.state == state.value


def test_guard_refusal_message_names_reason_and_legal_triggers() -> None:
    with pytest.raises(IllegalMove) as info:
        fire(subject(S.ACTIVE), Move(trigger="suspend", today=TODAY))
    assert str(info.value) == (
        "cannot suspend: say why it is suspended: give it with --comment "
        "(legal from active: open_renewal, renew, give_notice, expire, suspend, terminate)"
    )


def sign(**overrides: object) -> Move:
    """A signing move, valid unless overridden."""
    move = Move(trigger="sign", today=TODAY, on=SIGNED, signatories=BOTH_SIGN)
    for name, value in overrides.items():
        setattr(move, name, value)
    return move


def unsigned(**overrides: object) -> Subject:
    """An agreement awaiting signature: no term yet."""
    return subject(S.AWAITING_SIGNATURE, signed_on=None, expires_on=None, term_no=0, **overrides)


def test_sign_needs_a_date() -> None:
    assert reason_of(unsigned(), sign(on=None)) == "signing needs a signing date (--on)"


def test_sign_needs_a_signatory_and_names_the_party() -> None:
    reason = reason_of(unsigned(), sign(signatories={1: "Home President", 2: "  "}))
    assert reason == "signing needs a signatory for Partner University (--signatory PARTY=NAME)"


def test_sign_names_every_missing_thing_at_once() -> None:
    reason = reason_of(unsigned(), sign(on=None, signatories={}))
    assert reason == (
        "signing needs a signing date (--on) and a signatory for Home University, "
        "Partner University (--signatory PARTY=NAME)"
    )


def test_sign_refuses_a_future_date() -> None:
    reason = reason_of(unsigned(), sign(on=date(2026, 11, 23)))
    assert reason == "the signing date 2026-11-23 is in the future"


def test_sign_refuses_a_date_before_the_proposal() -> None:
    reason = reason_of(unsigned(), sign(on=date(2021, 1, 3)))
    assert reason == "the signing date 2021-01-03 is before the proposal (2021-01-04)"


@pytest.mark.parametrize("until", [SIGNED, date(2021, 5, 31)])
def test_sign_refuses_a_term_that_ends_before_it_starts(until: date) -> None:
    reason = reason_of(unsigned(), sign(until=until))
    assert reason == f"the term must end after it is signed ({until.isoformat()} <= 2021-06-01)"


def test_sign_needs_an_end_date_or_a_term_length() -> None:
    reason = reason_of(unsigned(term_months=None), sign())
    assert reason == "signing needs an end date (--until) or a term length on the agreement"


def test_sign_with_explicit_until_and_no_term_length_passes() -> None:
    subj = unsigned(term_months=None)
    assert fire(subj, sign(until=date(2023, 6, 1))) == S.ACTIVE


def test_sign_on_the_proposal_day_passes() -> None:
    assert fire(unsigned(), sign(on=PROPOSED)) == S.ACTIVE


def test_term_end_counts_months_from_the_signing_date() -> None:
    assert lifecycle.term_end(unsigned(), sign()) == date(2026, 6, 1)
    assert lifecycle.term_end(unsigned(), sign(until=date(2030, 1, 1))) == date(2030, 1, 1)
    assert lifecycle.term_end(unsigned(term_months=None), sign()) is None


def renew(**overrides: object) -> Move:
    """A renewal move, valid against `subject(S.RENEWAL_DUE)` unless overridden."""
    move = Move(trigger="renew", today=TODAY, on=date(2026, 3, 1), signatories=BOTH_SIGN)
    for name, value in overrides.items():
        setattr(move, name, value)
    return move


@pytest.mark.parametrize("until", [EXPIRES, date(2026, 5, 1)])
def test_renew_must_end_after_the_current_term(until: date) -> None:
    reason = reason_of(subject(S.RENEWAL_DUE), renew(until=until))
    assert reason == (
        f"the renewed term must end after the current one ({until.isoformat()} <= 2026-06-01)"
    )


def test_renew_reports_missing_things_as_renewal() -> None:
    reason = reason_of(subject(S.RENEWAL_DUE), renew(on=None, signatories={2: "Partner Head"}))
    assert reason == (
        "renewal needs a signing date (--on) and a signatory for Home University "
        "(--signatory PARTY=NAME)"
    )


def test_renew_refuses_a_date_before_the_current_signing() -> None:
    reason = reason_of(subject(S.RENEWAL_DUE), renew(on=date(2021, 5, 1), until=date(2031, 1, 1)))
    assert (
        reason == "the renewal date 2021-05-01 is before the current term was signed (2021-06-01)"
    )


def test_open_renewal_needs_an_end_date() -> None:
    reason = reason_of(
        subject(S.ACTIVE, expires_on=None), Move(trigger="open_renewal", today=TODAY)
    )
    assert reason == "the agreement has no end date, so it has no renewal window"


def test_expire_refuses_before_the_end_date() -> None:
    reason = reason_of(subject(S.ACTIVE), Move(trigger="expire", today=TODAY, on=date(2026, 5, 31)))
    assert reason == "the agreement is in force until 2026-06-01; end it early with terminate"


def test_expire_without_an_end_date_points_to_terminate() -> None:
    reason = reason_of(subject(S.SUSPENDED, expires_on=None), Move(trigger="expire", today=TODAY))
    assert reason == "the agreement has no end date; end it with terminate instead"


def test_expire_without_on_uses_today() -> None:
    assert fire(subject(S.RENEWED), Move(trigger="expire", today=TODAY)) == S.EXPIRED
    late = subject(S.RENEWED, expires_on=date(2027, 1, 1))
    assert reason_of(late, Move(trigger="expire", today=TODAY)).startswith(
        "the agreement is in force until 2027-01-01"
    )


@pytest.mark.parametrize(("term_no", "dest"), [(1, S.ACTIVE), (2, S.RENEWED), (5, S.RENEWED)])
def test_resume_routes_by_term(term_no: int, dest: State) -> None:
    assert fire(subject(S.SUSPENDED, term_no=term_no), Move("resume", TODAY)) == dest


def test_judge_allows_without_changing_the_subject() -> None:
    subj = subject(S.ACTIVE)
    subj.refusals = ["left over"]
    before = copy.deepcopy(subj)
    verdict = judge(subj, Move("suspend", TODAY, comment="audit"))
    assert verdict == lifecycle.Verdict("suspend", True, S.SUSPENDED, None)
    assert subj == before


def test_judge_refuses_without_changing_the_subject() -> None:
    subj = subject(S.ACTIVE)
    before = copy.deepcopy(subj)
    verdict = judge(subj, Move("suspend", TODAY))
    assert not verdict.allowed
    assert verdict.dest is None
    assert verdict.reason == "say why it is suspended: give it with --comment"
    illegal = judge(subj, Move("approve", TODAY))
    assert (illegal.allowed, illegal.reason) == (False, "not legal from this state")
    assert subj == before


HISTORY: list[tuple[str, str | None, str]] = [
    ("propose", None, "proposed"),
    ("review", "proposed", "under_review"),
    ("request_changes", "under_review", "negotiating"),
    ("resubmit", "negotiating", "under_review"),
    ("approve", "under_review", "approved"),
    ("send_for_signature", "approved", "awaiting_signature"),
    ("sign", "awaiting_signature", "active"),
    ("open_renewal", "active", "renewal_due"),
    ("renew", "renewal_due", "renewed"),
    ("suspend", "renewed", "suspended"),
    ("resume", "suspended", "renewed"),
    ("expire", "renewed", "expired"),
]


def test_replay_accepts_a_legal_history() -> None:
    assert replay(HISTORY) == "expired"
    assert replay(HISTORY[:1]) == "proposed"
    assert replay(HISTORY[:7]) == "active"


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([], "empty history"),
        ([("review", None, "under_review")], "history must start with propose, and only once"),
        ([("propose", None, "active")], "must start with propose into proposed"),
        ([("propose", "proposed", "proposed")], "must start with propose"),
        (
            [("propose", None, "proposed"), ("approve", "proposed", "approved")],
            "approve cannot lead from proposed to approved",
        ),
        (
            [("propose", None, "proposed"), ("review", "under_review", "approved")],
            "history breaks: review from under_review, but state was proposed",
        ),
        (
            [("propose", None, "proposed"), ("review", "proposed", "negotiating")],
            "review cannot lead from proposed to negotiating",
        ),
        ([*HISTORY[:3], ("bogus", "negotiating", "active")], "bogus cannot lead"),
    ],
)
def test_replay_rejects_a_broken_history(
    history: list[tuple[str, str | None, str]], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        replay(history)


def test_replay_rejects_a_second_proposal_in_the_middle() -> None:
    # A history that restarts mid-way is broken: the agreement would silently jump back to proposed.
    with pytest.raises(ValueError, match="propose"):
        replay([*HISTORY[:7], ("propose", None, "proposed")])


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2021, 1, 31), 1, date(2021, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2021, 3, 31), 1, date(2021, 4, 30)),
        (date(2021, 6, 1), 60, date(2026, 6, 1)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2021, 11, 15), 2, date(2022, 1, 15)),
        (date(2021, 12, 31), 0, date(2021, 12, 31)),
        (date(2021, 3, 31), -1, date(2021, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_mermaid_draws_every_transition() -> None:
    diagram = mermaid()
    assert diagram.startswith("stateDiagram-v2\n    [*] --> proposed\n")
    lines = set(diagram.splitlines())
    drawn = 0
    for source, moves in EXPECTED.items():
        for trigger, dest in moves.items():
            assert f"    {source} --> {dest}: {trigger}" in lines
            drawn += 1
    # resume from suspended also routes to renewed on a later term.
    assert "    suspended --> renewed: resume" in lines
    transitions = [line for line in lines if ": " in line]
    assert len(transitions) == drawn + 1
    for final in (S.EXPIRED, S.TERMINATED, S.WITHDRAWN, S.REJECTED):
        assert f"    {final} --> [*]" in lines


def test_one_shared_machine_without_auto_transitions() -> None:
    assert lifecycle.MACHINE is MACHINE
    assert MACHINE.auto_transitions is False
    assert set(MACHINE.events) == {t.value for t in Trigger}
    assert not any(name.startswith("to_") for name in MACHINE.events)
    # model-less: firing never registers a subject on the machine.
    fire(subject(S.PROPOSED), Move("review", TODAY))
    assert MACHINE.models == []
    assert set(MACHINE.states) == {s.value for s in State}


def test_subject_gains_no_machine_attributes() -> None:
    subj = subject(S.PROPOSED)
    before = set(vars(subj))
    fire(subj, Move("review", TODAY))
    assert set(vars(subj)) == before


def test_move_effective_date_defaults_to_today() -> None:
    assert Move("expire", TODAY).effective_date == TODAY
    assert Move("expire", TODAY, on=SIGNED).effective_date == SIGNED
