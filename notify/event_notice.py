"""What an event notice says, in plain words: what happened to which agreement and when, where
it stands now, whether the notice is late and why, and the `accord` command to run next.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import Any

from notify.contexts import EventContext
from notify.when import clock, longdate
from notify.words import days_in_words, event_headline, state_in_words

# The mail worker or the SMTP server was down: the notice waited in the outbox or retried.
_HELD_UP = (
    "it could not be sent before today (Accord's mail worker was not running, or the mail "
    "server could not be reached)"
)
RENEW_HELP = (
    "Put the signing day after --on, the new term's end after --until, and who signed for each "
    "party in place of NAME."
)


def _command(words: Iterable[str]) -> str:
    # Quoted so a value with a space still pastes into a shell as one argument.
    return " ".join(shlex.quote(word) for word in words)


def _new_command(ctx: EventContext) -> str:
    home, partner = ctx.parties[0].ref, ctx.parties[-1].ref
    words = ["accord", "agreements", "new", "--home", home, "--partner", partner]
    return _command([*words, "--kind", ctx.kind, "--title", "TITLE"])


def _end(ctx: EventContext) -> str | None:
    """The end date with the days left as of the send day: "14 January 2027 (in 53 days)"."""
    if ctx.expires_on is None:
        return None
    return f"{longdate(ctx.expires_on)} ({days_in_words((ctx.expires_on - ctx.today).days)})"


def _happened(ctx: EventContext) -> str:
    day, title, end = longdate(ctx.at.date()), f'"{ctx.title}"', _end(ctx)
    if ctx.trigger == "sign":
        term = f" It is in force until {end}." if end else " It has no end date."
        return f"{title} was signed on {day}.{term}"
    if ctx.trigger == "renew":
        term = f" The new term runs until {end}." if end else " The new term has no end date."
        return f"{title} was renewed on {day}.{term}"
    if ctx.trigger == "open_renewal" and end:
        return f"The renewal window of {title} opened on {day}. The agreement expires on {end}."
    if ctx.trigger == "expire":
        return f"{title} expired on {day}. It can no longer be renewed."
    return f"{title} was {event_headline(ctx.trigger)} on {day}."


def _recorded(ctx: EventContext) -> str:
    who = "automatically by Accord" if ctx.automatic else f"by {ctx.actor}"
    at = ctx.recorded_at
    return f"This was recorded {who} on {longdate(at.date())} at {clock(at)} UTC."


def _late(ctx: EventContext) -> str | None:
    """Why a notice goes out after the day of its event, or None when it is on time."""
    day, recorded = ctx.at.date(), ctx.recorded_at.date()
    if day >= ctx.today:
        return None
    reasons = []
    if day < recorded:
        reasons.append(
            f"Accord's daily check (accord tick) had not run since that day; it caught up on "
            f"{longdate(recorded)}"
            if ctx.automatic
            else f"it was recorded only on {longdate(recorded)}, by {ctx.actor}"
        )
    if recorded < ctx.today:
        reasons.append(_HELD_UP)
    return (
        f"This happened on {longdate(day)}; this notice is late because {', and '.join(reasons)}."
    )


def _next(ctx: EventContext, renew: str) -> tuple[str, str | None, str | None]:
    """What to do next: the sentence, the command to run (if any) and how to fill it in."""
    show = _command(["accord", "agreements", "show", ctx.slug])
    if ctx.trigger in ("sign", "renew"):
        later = " Accord sends renewal reminders before the term ends." if ctx.expires_on else ""
        return f"nothing for now.{later} To see the agreement, its terms and history:", show, None
    if ctx.trigger == "open_renewal":
        # Only a window still open awaits its renewal; "renewed" means it was signed since.
        if ctx.state != "renewal_due":
            return f"nothing: it has moved on since (now {state_in_words(ctx.state)}).", None, None
        sentence = "arrange the renewal between the parties. Once it is signed, record it with:"
        return sentence, renew, RENEW_HELP
    if ctx.trigger == "expire":
        sentence = "to carry on the cooperation, propose a new agreement:"
        return sentence, _new_command(ctx), "Put the new agreement's title in place of TITLE."
    return "see the agreement and its history:", show, None


def event_values(ctx: EventContext, renew: str) -> dict[str, Any]:
    """Everything the event templates show, worked out once for the text and the HTML part;
    `renew` is the command that records the agreement's renewal (notify.render.renew_command)."""
    next_step, command, command_help = _next(ctx, renew)
    facts = [
        ("Agreement", f"{ctx.title} ({ctx.slug})"),
        ("Parties", ", ".join(p.name for p in ctx.parties)),
        ("End date", _end(ctx) or "none"),
        ("Stage now", state_in_words(ctx.state)),
    ]
    if ctx.comment:
        facts.append(("Comment", ctx.comment))
    return {
        "happened": _happened(ctx),
        "recorded": _recorded(ctx),
        "late": _late(ctx),
        "next_step": next_step,
        "command": command,
        "command_help": command_help,
        "facts": facts,
        "width": max(len(label) for label, _ in facts) + 3,
    }
