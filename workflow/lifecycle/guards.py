"""Guards: what a move needs before the machine lets it through, as a reason to read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from workflow.lifecycle.states import (
    Move,
    RenewalType,
    Subject,
    Trigger,
)

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


def term_start(subject: Subject, move: Move) -> date:
    """The day the term a sign/renew move starts takes effect.

    A signed term starts on its signing date; a renewed one the day after the current term ends
    (so an early renewal does not overlap it), unless the move says otherwise (--effective).
    """
    if move.trigger == Trigger.RENEW:
        if move.effective is not None:
            return move.effective
        if subject.expires_on is not None:
            return subject.expires_on + timedelta(days=1)
    return move.effective_date


def term_end(subject: Subject, move: Move) -> date | None:
    """The end of the term a sign/renew move would start: explicit, or its start plus the term
    length.

    An open-ended agreement's term has no end.
    """
    if subject.renewal_type == RenewalType.OPEN_ENDED:
        return None
    if move.until is not None:
        return move.until
    if subject.term_months:
        return add_months(term_start(subject, move), subject.term_months)
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
    if subject.renewal_type == RenewalType.OPEN_ENDED:
        if move.until is not None:
            return "an open-ended agreement has no end date: sign it without --until"
        return None
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
    if subject.renewal_type == RenewalType.OPEN_ENDED:
        return "an open-ended agreement has no term to renew; it stays in force until terminated"
    reason = can_sign(subject, move)
    if reason:
        return reason.replace("signing needs", "renewal needs", 1)
    until = term_end(subject, move)
    assert until is not None
    start = term_start(subject, move)
    if subject.signed_on and start <= subject.signed_on:
        return (
            f"the renewed term must take effect after the current one was signed "
            f"({start.isoformat()} <= {subject.signed_on.isoformat()})"
        )
    if subject.expires_on and until <= subject.expires_on:
        return (
            f"the renewed term must end after the current one ({until.isoformat()} <= "
            f"{subject.expires_on.isoformat()})"
        )
    if until <= start:
        return (
            f"the renewed term must end after it takes effect ({until.isoformat()} <= "
            f"{start.isoformat()})"
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


def notice_deadline(expires_on: date | None, notice_days: int | None) -> date | None:
    """The last day a party can give notice of non-renewal: the end date minus the notice."""
    if expires_on is None:
        return None
    return expires_on - timedelta(days=notice_days or 0)


def can_give_notice(subject: Subject, move: Move) -> str | None:
    """Notice of non-renewal: only an auto-renewing agreement takes it, and only in time."""
    if subject.renewal_type == RenewalType.FIXED:
        return (
            "only an auto-renewing agreement takes notice of non-renewal; "
            "this one is fixed and ends on its end date unless renewed"
        )
    if subject.renewal_type == RenewalType.OPEN_ENDED:
        return "an open-ended agreement does not renew; end it with terminate instead"
    if not (move.comment and move.comment.strip()):
        return "say which party gives notice and why: give it with --comment"
    deadline = notice_deadline(subject.expires_on, subject.notice_days)
    if deadline is not None and move.effective_date > deadline:
        return (
            f"the last day to give notice was {deadline.isoformat()} "
            f"({subject.notice_days or 0} days before the end date)"
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
    Trigger.GIVE_NOTICE: can_give_notice,
    Trigger.REVISE: _needs_comment("say what changed"),
}


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
