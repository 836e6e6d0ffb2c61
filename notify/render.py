"""Subjects and text + HTML bodies for every mail Accord sends, from the Jinja2 templates."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notify.contexts import (
    EventContext,
    FollowUpContext,
    MeetingContext,
    Party,
    ReminderContext,
    ReviewContext,
)
from notify.event_notice import event_values
from notify.when import in_utc, local_time, longdate
from notify.words import (
    NOTICE_GIVABLE,
    RENEWABLE,
    days_in_words,
    event_headline,
    state_in_words,
)

# StrictUndefined: a misspelt variable fails the render (and a test) instead of mailing a blank.
_ENV = Environment(
    loader=PackageLoader("notify", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["longdate"] = longdate


@dataclass(frozen=True)
class Rendered:
    """A mail's subject and its two bodies, ready for notify.message.build_message."""

    subject: str
    text: str
    html: str


def _render(
    name: str, subject: str, values: dict[str, Any], *, replies_read: bool = False
) -> Rendered:
    # `replies_read`: someone reads mail sent back to the From address (ACCORD_MAIL_REPLIES_READ).
    values = {**values, "subject": subject, "replies_read": replies_read}
    text = _ENV.get_template(f"{name}.txt").render(values)
    html = _ENV.get_template(f"{name}.html").render(values)
    return Rendered(subject=subject, text=text, html=html)


def renew_command(slug: str, parties: Iterable[Party]) -> str:
    """The CLI line that records a signed renewal, with placeholders for what only people know."""
    words = ["accord", "agreements", "advance", slug, "renew"]
    words += ["--on", "YYYY-MM-DD", "--until", "YYYY-MM-DD"]
    for party in parties:
        words += ["--signatory", f"{party.ref}=NAME"]
    # Quoted so a party key with a space still pastes into a shell as one argument.
    return _shell(words)


def _shell(words: Iterable[str]) -> str:
    return " ".join(shlex.quote(word) for word in words)


def give_notice_command(slug: str) -> str:
    """The CLI line that records a notice of non-renewal, with placeholders for what only people
    know: the day, the party giving notice and why."""
    words = ["accord", "agreements", "advance", slug, "give_notice", "--on", "YYYY-MM-DD"]
    return _shell([*words, "--party", "PARTY", "--comment", "TEXT"])


def review_command(slug: str) -> str:
    """The CLI line that changes how often an open-ended agreement is reviewed."""
    return _shell(["accord", "agreements", "edit", slug, "--review-months", "N"])


def render_reminder(ctx: ReminderContext, *, replies_read: bool = False) -> Rendered:
    """The renewal reminder: agreement, parties, expiry, days left, stage and the renew command;
    for an auto-renewing agreement, the notice deadline and the command to give notice."""
    if ctx.notice_deadline is not None:
        return _render_notice_reminder(ctx, replies_read=replies_read)
    days = days_in_words(ctx.days_left)
    verb = "expires" if ctx.days_left >= 0 else "expired"
    subject = f"Renewal reminder: {ctx.title} {verb} {days} ({ctx.expires_on.isoformat()})"
    command = renew_command(ctx.slug, ctx.parties) if ctx.state in RENEWABLE else None
    return _render(
        "reminder",
        subject,
        {
            "recipient": ctx.recipient,
            "title": ctx.title,
            "slug": ctx.slug,
            "parties": ctx.parties,
            "expires_on": ctx.expires_on,
            "days_left": ctx.days_left,
            "days_words": days,
            "stage": state_in_words(ctx.state),
            "command": command,
        },
        replies_read=replies_read,
    )


def _render_notice_reminder(ctx: ReminderContext, *, replies_read: bool) -> Rendered:
    deadline, left = ctx.notice_deadline, ctx.days_to_deadline
    assert deadline is not None
    assert left is not None
    days = days_in_words(left)
    subject = (
        f"Notice deadline: {ctx.title} renews itself unless notice is given by "
        f"{deadline.isoformat()} ({days})"
    )
    command = give_notice_command(ctx.slug) if ctx.state in NOTICE_GIVABLE else None
    return _render(
        "notice_reminder",
        subject,
        {
            "recipient": ctx.recipient,
            "title": ctx.title,
            "slug": ctx.slug,
            "parties": ctx.parties,
            "expires_on": ctx.expires_on,
            "deadline": deadline,
            "notice_days": ctx.notice_days or 0,
            "days_left": left,
            "days_words": days,
            "stage": state_in_words(ctx.state),
            "command": command,
        },
        replies_read=replies_read,
    )


def render_review(ctx: ReviewContext, *, replies_read: bool = False) -> Rendered:
    """An open-ended agreement's review: what to look at, when the next is, how to record it."""
    subject = (
        f"Review due: {ctx.title} ({ctx.due_on.isoformat()}, every {ctx.review_months} months)"
    )
    return _render(
        "review",
        subject,
        {
            "recipient": ctx.recipient,
            "title": ctx.title,
            "slug": ctx.slug,
            "parties": ctx.parties,
            "due_on": ctx.due_on,
            "late": (ctx.today - ctx.due_on).days,
            "review_months": ctx.review_months,
            "anchor": ctx.anchor,
            "next_due_on": ctx.next_due_on,
            "summary": ctx.summary,
            "stage": state_in_words(ctx.state),
            "command": review_command(ctx.slug),
            "terminate": _shell(
                ["accord", "agreements", "advance", ctx.slug, "terminate", "--comment", "TEXT"]
            ),
        },
        replies_read=replies_read,
    )


def render_event(ctx: EventContext, *, replies_read: bool = False) -> Rendered:
    """A lifecycle event notice: what happened, when, where it stands and what to do next."""
    renew = renew_command(ctx.slug, ctx.parties)
    subject = f"{ctx.title}: {event_headline(ctx.trigger)}"
    return _render("event", subject, event_values(ctx, renew), replies_read=replies_read)


def _meeting(
    ctx: MeetingContext, notice: str, subject: str, *, replies_read: bool, **extra: Any
) -> Rendered:
    values: dict[str, Any] = {
        "notice": notice,
        "partnership": ctx.partnership,
        "title": ctx.title,
        "when": in_utc(ctx.starts_at),
        "local_times": [local_time(ctx.starts_at, zone) for zone in ctx.zones],
        "duration_minutes": ctx.duration_minutes,
        "location": ctx.location,
        "agenda": ctx.agenda,
        "updated": False,
        "days_words": "",
    }
    return _render("meeting", subject, {**values, **extra}, replies_read=replies_read)


def _when(ctx: MeetingContext) -> str:
    return ctx.starts_at.strftime("%Y-%m-%d %H:%M UTC")


def render_meeting_invitation(
    ctx: MeetingContext, *, updated: bool = False, replies_read: bool = False
) -> Rendered:
    """The invitation (or, when `updated`, the changed invitation) to a partnership meeting;
    it asks for an answer only when `replies_read` (see notify.ics.invitation's `rsvp`)."""
    prefix = "Updated invitation" if updated else "Invitation"
    subject = f"{prefix}: {ctx.title}, {_when(ctx)}"
    return _meeting(ctx, "invitation", subject, replies_read=replies_read, updated=updated)


def render_meeting_reminder(
    ctx: MeetingContext, *, today: date, replies_read: bool = False
) -> Rendered:
    """The reminder sent a week before a meeting, saying how far off it is as of `today`."""
    days = days_in_words((ctx.starts_at.date() - today).days)
    subject = f"Reminder: {ctx.title}, {_when(ctx)}"
    return _meeting(ctx, "reminder", subject, replies_read=replies_read, days_words=days)


def render_meeting_cancellation(ctx: MeetingContext, *, replies_read: bool = False) -> Rendered:
    """The notice that a meeting will not take place (sent with a METHOD:CANCEL .ics)."""
    subject = f"Cancelled: {ctx.title}, {_when(ctx)}"
    return _meeting(ctx, "cancellation", subject, replies_read=replies_read)


def render_follow_up(ctx: FollowUpContext, *, replies_read: bool = False) -> Rendered:
    """A follow-up's mail to its owner: which agreement, what to do, who set it, and the command
    that marks it done; one sent after the day says how late it is."""
    late = (ctx.today - ctx.due_on).days
    when = "due today" if late <= 0 else f"overdue since {ctx.due_on.isoformat()}"
    subject = f"Follow-up {when}: {ctx.title}"
    return _render(
        "follow_up",
        subject,
        {
            "owner": ctx.owner,
            "title": ctx.title,
            "slug": ctx.slug,
            "text": ctx.text,
            "text_lines": ctx.text.splitlines(),
            "due_on": ctx.due_on,
            "days_late": late,
            "days_words": days_in_words(-late),
            "created_by": ctx.created_by,
            "created_at": ctx.created_at,
            "command": f"accord agreements done {ctx.follow_up_id}",
        },
        replies_read=replies_read,
    )
