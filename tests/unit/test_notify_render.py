"""notify.render: every mail names what the reader needs, in both parts, from strict templates."""

from __future__ import annotations

import shlex
from datetime import UTC, date, datetime

import pytest

from notify.contexts import EventContext, MeetingContext, Party, PartyZone, ReminderContext
from notify.render import (
    render_event,
    render_meeting_cancellation,
    render_meeting_invitation,
    render_meeting_reminder,
    render_reminder,
    renew_command,
)
from notify.words import RENEWABLE, STATE_WORDS, event_headline
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


WUHAN = PartyZone("HUST", "Wuhan", "Asia/Shanghai")
HEIDELBERG = PartyZone("Heidelberg", "Heidelberg", "Europe/Berlin")


def meeting(starts_at: datetime = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)) -> MeetingContext:
    return MeetingContext(
        partnership="HUST – Heidelberg University",
        title="Annual partnership meeting 2027",
        starts_at=starts_at,
        duration_minutes=90,
        location="Heidelberg, Alte Universität",
        agenda="Exchange numbers; renewal of the MoU",
        zones=(WUHAN, HEIDELBERG),
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


def event(**changes: object) -> EventContext:
    """A notice of the HUST–Heidelberg MoU, sent on the day it happened unless changed."""
    values: dict[str, object] = {
        "slug": "hust-heidelberg-mou",
        "title": "HUST–Heidelberg MoU",
        "kind": "mou",
        "parties": PARTIES,
        "trigger": "open_renewal",
        "to_state": "renewal_due",
        "at": datetime(2026, 10, 2, tzinfo=UTC),
        "recorded_at": datetime(2026, 10, 2, 0, 1, tzinfo=UTC),
        "actor": "system",
        "today": date(2026, 10, 2),
        "state": "renewal_due",
        "expires_on": date(2027, 3, 31),
        "automatic": True,
    }
    values.update(changes)
    return EventContext(**values)  # type: ignore[arg-type]


RENEW = renew_command("hust-heidelberg-mou", PARTIES)
NEW = "accord agreements new --home HUST --partner Heidelberg --kind mou --title TITLE"
SHOW = "accord agreements show hust-heidelberg-mou"
PLAIN = [
    # trigger, to_state, the agreement's state at send time, what happened, what to do next
    (
        "sign",
        "active",
        "active",
        '"HUST–Heidelberg MoU" was signed on 2 October 2026. It is in force until '
        "31 March 2027 (in 180 days).",
        SHOW,
    ),
    (
        "renew",
        "renewed",
        "renewed",
        '"HUST–Heidelberg MoU" was renewed on 2 October 2026. The new term runs until '
        "31 March 2027 (in 180 days).",
        SHOW,
    ),
    (
        "open_renewal",
        "renewal_due",
        "renewal_due",
        'The renewal window of "HUST–Heidelberg MoU" opened on 2 October 2026. The agreement '
        "expires on 31 March 2027 (in 180 days).",
        RENEW,
    ),
    (
        "expire",
        "expired",
        "expired",
        '"HUST–Heidelberg MoU" expired on 2 October 2026. It can no longer be renewed.',
        NEW,
    ),
]


@pytest.mark.parametrize(
    ("trigger", "to_state", "now", "happened", "command"),
    PLAIN,
    ids=[case[0] for case in PLAIN],
)
def test_an_event_notice_says_what_happened_when_and_what_to_do_next(
    trigger: str, to_state: str, now: str, happened: str, command: str
) -> None:
    expires = date(2026, 10, 2) if trigger == "expire" else date(2027, 3, 31)
    mail = render_event(event(trigger=trigger, to_state=to_state, state=now, expires_on=expires))
    for body in (mail.text, mail.html.replace("&#34;", '"')):
        assert happened in body
        assert "What to do next" in body
        assert command in body
        assert "Hanoi University of Science and Technology, Heidelberg University" in body
        assert "recorded automatically by Accord" in body
        assert STATE_WORDS[now] in body
        assert "late" not in body
        # The machine's vocabulary stays out of the mail.
        for jargon in ("Trigger", "Move:", "Who:", "→", "system", "_renewal", "renewal_due"):
            assert jargon not in body, jargon
    assert f"End date:   {expires:%-d %B %Y}" in mail.text
    assert mail.subject == f"HUST–Heidelberg MoU: {event_headline(trigger)}"


def test_a_move_made_by_a_person_names_them_and_keeps_the_comment() -> None:
    signed = event(trigger="sign", to_state="active", state="active", actor="Ann Müller",
                   automatic=False, comment="signed <in> Wuhan")  # fmt: skip
    mail = render_event(signed)
    assert "recorded by Ann Müller on 2 October 2026 at 00:01 UTC" in mail.text
    assert "recorded by Ann Müller on 2 October 2026 at 00:01 UTC" in mail.html
    assert "Comment:    signed <in> Wuhan" in mail.text
    assert "signed &lt;in&gt; Wuhan" in mail.html


def test_a_window_that_opened_after_a_renewal_was_signed_offers_no_command() -> None:
    mail = render_event(event(state="renewed"))
    assert "renew --on" not in mail.text
    assert "it has moved on since" in mail.text


@pytest.mark.parametrize(
    ("at", "recorded", "actor", "because"),
    [
        # A catch-up tick: the window opened on 14 November, the tick ran again on the 22nd.
        (
            datetime(2026, 11, 14, tzinfo=UTC),
            datetime(2026, 11, 22, 8, tzinfo=UTC),
            "system",
            "Accord's daily check (accord tick) had not run since that day; it caught up on "
            "22 November 2026",
        ),
        # Downtime: recorded on the day, but the mail could not go out until the 22nd.
        (
            datetime(2026, 11, 14, tzinfo=UTC),
            datetime(2026, 11, 14, 0, 1, tzinfo=UTC),
            "system",
            "it could not be sent before today (Accord's mail worker was not running, or the "
            "mail server could not be reached)",
        ),
        # A signing entered afterwards by a person.
        (
            datetime(2026, 11, 14, tzinfo=UTC),
            datetime(2026, 11, 22, 8, tzinfo=UTC),
            "Ann Müller",
            "it was recorded only on 22 November 2026, by Ann Müller",
        ),
    ],
    ids=["catch-up tick", "downtime", "recorded afterwards"],
)
def test_a_notice_sent_after_the_day_of_its_event_says_it_is_late(
    at: datetime, recorded: datetime, actor: str, because: str
) -> None:
    late = event(
        at=at,
        recorded_at=recorded,
        actor=actor,
        automatic=actor == "system",
        today=date(2026, 11, 22),
    )
    mail = render_event(late)
    sentence = f"This happened on 14 November 2026; this notice is late because {because}."
    assert sentence in mail.text
    assert sentence.replace("'", "&#39;") in mail.html
    assert "in 129 days" in mail.text  # days left are counted from the day it is sent


def test_meeting_invitation_reminder_and_cancellation() -> None:
    ctx = meeting()
    invitation = render_meeting_invitation(ctx)
    updated = render_meeting_invitation(ctx, updated=True)
    week_before = render_meeting_reminder(ctx, today=date(2027, 1, 8))
    cancelled = render_meeting_cancellation(ctx)
    for mail in (invitation, updated, week_before, cancelled):
        for body in (mail.text, mail.html):
            assert "HUST – Heidelberg University" in body
            assert "Friday 15 January 2027, 09:00 UTC" in body
            assert "90 minutes" in body
            assert "Heidelberg, Alte Universität" in body
            assert "Exchange numbers; renewal of the MoU" in body
    assert invitation.subject == "Invitation: Annual partnership meeting 2027, 2027-01-15 09:00 UTC"
    assert updated.subject.startswith("Updated invitation: ")
    assert "replaces the earlier one" in updated.text
    assert "replaces the earlier one" not in invitation.text
    assert "meeting is in 7 days" in week_before.text
    assert week_before.subject.startswith("Reminder: ")
    assert cancelled.subject.startswith("Cancelled: ")
    assert "CANCELLED" in cancelled.text
    assert "CANCELLED" in cancelled.html


def test_the_meeting_time_is_shown_in_each_partys_own_time_zone_as_well_as_utc() -> None:
    for mail in (
        render_meeting_invitation(meeting()),
        render_meeting_reminder(meeting(), today=date(2027, 1, 8)),
    ):
        assert "When:        Friday 15 January 2027, 09:00 UTC\n" in mail.text
        assert "Local time:  17:00 in Wuhan (HUST, UTC+8)\n" in mail.text
        assert "             10:00 in Heidelberg (UTC+1)\n" in mail.text
        assert "17:00 in Wuhan (HUST, UTC+8)<br>10:00 in Heidelberg (UTC+1)" in mail.html


def test_a_local_time_on_another_day_names_that_day() -> None:
    tohoku = PartyZone("Tohoku", None, "Asia/Tokyo")
    kolkata = PartyZone("Tata Steel", None, "Asia/Kolkata")
    ctx = MeetingContext("USTB – Tohoku", "T", datetime(2027, 6, 30, 22, 15, tzinfo=UTC), 60,
                         zones=(tohoku, kolkata, HEIDELBERG))  # fmt: skip
    text = render_meeting_invitation(ctx).text
    assert "07:15 on Thursday 1 July 2027 for Tohoku (UTC+9)" in text
    assert "03:45 on Thursday 1 July 2027 for Tata Steel (UTC+5:30)" in text
    assert "00:15 on Thursday 1 July 2027 in Heidelberg (UTC+2)" in text


def test_a_meeting_of_parties_without_a_time_zone_shows_utc_only() -> None:
    ctx = MeetingContext("P", "T", datetime(2027, 1, 20, 9, tzinfo=UTC), 60)
    mail = render_meeting_invitation(ctx)
    assert "Local time" not in mail.text
    assert "Local time" not in mail.html


def test_an_invitation_asks_for_an_answer_only_where_replies_are_read() -> None:
    asked = render_meeting_invitation(meeting(), replies_read=True)
    unread = render_meeting_invitation(meeting())
    for body in (asked.text, asked.html):
        assert "Please accept or decline it in your calendar" in body
        assert "not read" not in body
    for body in (unread.text, unread.html):
        assert "Replies to this address are not read" in body
        assert "accept or decline" not in body


def test_a_time_zone_that_is_not_an_iana_name_is_refused() -> None:
    with pytest.raises(InvalidInput, match="'Asia/Wuhan' is not an IANA time zone"):
        PartyZone("HUST", "Wuhan", "Asia/Wuhan")


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
