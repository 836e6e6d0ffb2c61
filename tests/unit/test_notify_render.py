"""notify.render: every mail names what the reader needs, in both parts, from strict templates."""

from __future__ import annotations

import shlex
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from notify.contexts import EventContext, MeetingContext, Party, ReminderContext
from notify.render import (
    render_event,
    render_meeting_cancellation,
    render_meeting_invitation,
    render_meeting_reminder,
    render_reminder,
    renew_command,
)
from notify.words import RENEWABLE, STATE_WORDS
from workflow.errors import InvalidInput
from workflow.lifecycle import TRANSITIONS, State, Trigger

PARTIES = (
    Party("Hanoi University of Science and Technology", "HUST"),
    Party("Heidelberg University", "Heidelberg"),
)


def reminder(**changes: object) -> ReminderContext:
    values: dict[str, object] = {
        "slug": "hust-heidelberg-mou",
        "title": "HUST–Heidelberg MoU",
        "parties": PARTIES,
        "expires_on": date(2026, 3, 31),
        "today": date(2026, 3, 1),
        "state": "renewal_due",
        "recipient": "Ann Müller",
    }
    values.update(changes)
    return ReminderContext(**values)  # type: ignore[arg-type]


def meeting() -> MeetingContext:
    return MeetingContext(
        partnership="HUST – Heidelberg University",
        title="Annual partnership meeting 2027",
        starts_at=datetime(2027, 1, 20, 9, 0, tzinfo=UTC),
        duration_minutes=90,
        location="Heidelberg, Alte Universität",
        agenda="Exchange numbers; renewal of the MoU",
    )


def test_reminder_names_everything_in_both_parts() -> None:
    mail = render_reminder(reminder())
    command = (
        "accord agreements advance hust-heidelberg-mou renew --on YYYY-MM-DD --until YYYY-MM-DD "
        "--signatory HUST=NAME --signatory Heidelberg=NAME"
    )
    for body in (mail.text, mail.html):
        assert "HUST–Heidelberg MoU" in body
        assert "Hanoi University of Science and Technology, Heidelberg University" in body
        assert "2026-03-31" in body
        assert "31 March 2026" in body
        assert "in 30 days" in body
        assert "renewal window open; the renewal is not signed yet" in body
        assert command in body
        assert "Dear Ann Müller" in body
    assert "Days left:  30" in mail.text
    assert "<td>30</td>" in mail.html
    assert mail.subject == "Renewal reminder: HUST–Heidelberg MoU expires in 30 days (2026-03-31)"


def test_html_part_is_escaped_and_text_part_is_not() -> None:
    mail = render_reminder(reminder(title="Joint <b>lab</b> & co"))
    assert "Joint &lt;b&gt;lab&lt;/b&gt; &amp; co" in mail.html
    assert "<b>lab</b>" not in mail.html
    assert 'The agreement "Joint <b>lab</b> & co" expires' in mail.text


@pytest.mark.parametrize(
    ("today", "words", "left"),
    [
        (date(2026, 3, 30), "expires tomorrow", 1),
        (date(2026, 3, 31), "expires today", 0),
        (date(2026, 4, 3), "expired 3 days ago", 0),
    ],
)
def test_reminder_days_left_in_words(today: date, words: str, left: int) -> None:
    mail = render_reminder(reminder(today=today, state="active"))
    assert words in mail.subject
    assert words in mail.text
    assert f"Days left:  {left}\n" in mail.text


@pytest.mark.parametrize("state", ["expired", "terminated", "suspended"])
def test_reminder_offers_no_renew_command_where_renewal_is_illegal(state: str) -> None:
    mail = render_reminder(reminder(state=state))
    assert "renew --on" not in mail.text
    assert "renew --on" not in mail.html
    assert "No renewal can be recorded from this stage" in mail.text
    assert STATE_WORDS[state] in mail.text


def test_renew_command_quotes_a_party_key_with_a_space() -> None:
    command = renew_command("a-b", [Party("Uni A", "uni a"), Party("B", "B")])
    assert shlex.split(command) == [
        *("accord", "agreements", "advance", "a-b", "renew"),
        *("--on", "YYYY-MM-DD", "--until", "YYYY-MM-DD"),
        *("--signatory", "uni a=NAME", "--signatory", "B=NAME"),
    ]


def test_words_cover_every_lifecycle_state_and_renewable_matches_the_machine() -> None:
    assert set(STATE_WORDS) == {s.value for s in State}
    sources = {s.value for t, srcs, _, _ in TRANSITIONS if t is Trigger.RENEW for s in srcs}
    assert sources == RENEWABLE


@pytest.mark.parametrize(
    ("trigger", "before", "after", "headline"),
    [
        ("sign", "awaiting_signature", "active", "signed"),
        ("open_renewal", "active", "renewal_due", "renewal window opened"),
        ("expire", "renewal_due", "expired", "expired"),
    ],
)
def test_event_notice_names_trigger_move_when_and_who(
    trigger: str, before: str, after: str, headline: str
) -> None:
    event = EventContext(
        slug="hust-heidelberg-mou",
        title="HUST–Heidelberg MoU",
        parties=("HUST", "Heidelberg University"),
        trigger=trigger,
        from_state=before,
        to_state=after,
        at=datetime(2026, 3, 31, 9, 5, tzinfo=timezone(timedelta(hours=7))),
        actor="system",
        comment="by the calendar",
    )
    mail = render_event(event)
    assert mail.subject == f"HUST–Heidelberg MoU: {headline}"
    assert f"HUST–Heidelberg MoU (hust-heidelberg-mou): {headline}." in mail.text
    assert f"HUST–Heidelberg MoU</strong> (hust-heidelberg-mou): {headline}." in mail.html
    for body in (mail.text, mail.html):
        assert trigger in body
        assert f"{before} → {after}" in body
        assert "2026-03-31T02:05Z" in body  # shown in UTC
        assert "system" in body
        assert "HUST, Heidelberg University" in body
        assert "by the calendar" in body


def test_meeting_invitation_reminder_and_cancellation() -> None:
    ctx = meeting()
    invitation = render_meeting_invitation(ctx)
    updated = render_meeting_invitation(ctx, updated=True)
    week_before = render_meeting_reminder(ctx, today=date(2027, 1, 13))
    cancelled = render_meeting_cancellation(ctx)
    for mail in (invitation, updated, week_before, cancelled):
        for body in (mail.text, mail.html):
            assert "HUST – Heidelberg University" in body
            assert "2027-01-20T09:00Z" in body
            assert "90 minutes" in body
            assert "Heidelberg, Alte Universität" in body
            assert "Exchange numbers; renewal of the MoU" in body
    assert invitation.subject == "Invitation: Annual partnership meeting 2027, 2027-01-20 09:00 UTC"
    assert updated.subject.startswith("Updated invitation: ")
    assert "replaces the earlier one" in updated.text
    assert "replaces the earlier one" not in invitation.text
    assert "meeting is in 7 days" in week_before.text
    assert week_before.subject.startswith("Reminder: ")
    assert cancelled.subject.startswith("Cancelled: ")
    assert "CANCELLED" in cancelled.text
    assert "CANCELLED" in cancelled.html


def test_meeting_without_location_or_agenda_says_so() -> None:
    ctx = MeetingContext("P", "T", datetime(2027, 1, 20, 9, tzinfo=UTC), 60)
    text = render_meeting_invitation(ctx).text
    assert "Location:    to be announced" in text
    assert "Agenda:      to follow" in text


def test_meeting_times_must_be_aware_and_durations_positive() -> None:
    with pytest.raises(InvalidInput, match="starts_at must be timezone-aware"):
        MeetingContext("P", "T", datetime(2027, 1, 20, 9), 60)
    with pytest.raises(InvalidInput, match="duration_minutes must be positive"):
        MeetingContext("P", "T", datetime(2027, 1, 20, 9, tzinfo=UTC), 0)
