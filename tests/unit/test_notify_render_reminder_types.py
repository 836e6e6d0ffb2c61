"""notify.render for auto-renewing and open-ended agreements: the notice deadline and its
command, the review and how to record it; and the day a review falls on."""

from __future__ import annotations

from datetime import date

import pytest

from notify.contexts import Party, ReminderContext, ReviewContext
from notify.render import give_notice_command, render_reminder, render_review
from notify.words import NOTICE_GIVABLE
from workflow.lifecycle import TRANSITIONS, Trigger
from workflow.notices.reminder_rules import in_words, parse_key, reminder_key, review_key
from workflow.notices.reviews import next_review

PARTIES = (
    Party("Hanoi University of Science and Technology", "HUST"),
    Party("Heidelberg University", "Heidelberg"),
)


def notice(**changes: object) -> ReminderContext:
    values: dict[str, object] = {
        "slug": "hust-heidelberg-mou",
        "title": "HUST–Heidelberg MoU",
        "parties": PARTIES,
        "expires_on": date(2026, 6, 30),
        "today": date(2026, 3, 1),
        "state": "active",
        "notice_deadline": date(2026, 3, 31),
        "notice_days": 91,
    }
    values.update(changes)
    return ReminderContext(**values)  # type: ignore[arg-type]


def test_an_auto_renewing_reminder_names_the_notice_deadline_and_the_give_notice_command() -> None:
    mail = render_reminder(notice())
    command = (
        "accord agreements advance hust-heidelberg-mou give_notice --on YYYY-MM-DD "
        "--party PARTY --comment TEXT"
    )
    assert mail.subject == (
        "Notice deadline: HUST–Heidelberg MoU renews itself unless notice is given by "
        "2026-03-31 (in 30 days)"
    )
    for body in (mail.text, mail.html):
        assert "The last day to give notice of non-renewal is" in body
        assert "31 March 2026" in body
        assert "91 days before the end date" in body
        assert "in 30 days" in body
        assert "2026-06-30" in body
        assert command in body
        assert "HUST or Heidelberg" in body
        assert "renew --on" not in body
    assert "Days left:       30" in mail.text
    assert "Notice deadline: 2026-03-31" in mail.text


def test_a_fixed_reminder_is_unchanged_by_the_notice_fields() -> None:
    mail = render_reminder(notice(notice_deadline=None, notice_days=None))
    assert mail.subject.startswith("Renewal reminder: HUST–Heidelberg MoU expires in 121 days")
    assert "give_notice" not in mail.text
    assert "renew --on YYYY-MM-DD" in mail.text


def test_a_notice_reminder_past_its_deadline_or_out_of_force_offers_no_command() -> None:
    late = render_reminder(notice(today=date(2026, 4, 2)))
    assert "1 day ago" not in late.subject  # "2 days ago": said in words
    assert "2 days ago" in late.subject
    assert "can no longer be given" in late.text
    assert give_notice_command("hust-heidelberg-mou") not in late.text
    suspended = render_reminder(notice(state="suspended"))
    assert "No notice can be recorded from this stage" in suspended.text


def test_notice_givable_matches_the_machine() -> None:
    sources = {s.value for t, srcs, _, _ in TRANSITIONS if t is Trigger.GIVE_NOTICE for s in srcs}
    assert sources == NOTICE_GIVABLE


def review(**changes: object) -> ReviewContext:
    values: dict[str, object] = {
        "slug": "hust-heidelberg-mou",
        "title": "HUST–Heidelberg MoU",
        "parties": PARTIES,
        "due_on": date(2027, 6, 1),
        "today": date(2027, 6, 1),
        "state": "active",
        "review_months": 24,
        "anchor": date(2021, 6, 1),
        "next_due_on": date(2029, 6, 1),
        "summary": "Student exchange, 4 places a year",
    }
    values.update(changes)
    return ReviewContext(**values)  # type: ignore[arg-type]


def test_a_review_says_what_to_review_and_how_to_record_it_in_both_parts() -> None:
    mail = render_review(review())
    assert mail.subject == "Review due: HUST–Heidelberg MoU (2027-06-01, every 24 months)"
    for body in (mail.text, mail.html):
        assert "is due for its review" in body
        assert "today" in body
        assert "every 24 months" in body
        assert "1 June 2021" in body
        assert "2029-06-01" in body
        assert "Student exchange, 4 places a year" in body
        assert "What to review" in body
        assert "accord agreements edit hust-heidelberg-mou --review-months N" in body
        assert "accord agreements advance hust-heidelberg-mou terminate --comment TEXT" in body
    late = render_review(review(today=date(2027, 6, 4), summary=None))
    assert "3 day(s) ago" in late.text
    assert "Summary" not in late.text


def test_keys_are_read_back_and_told_in_words() -> None:
    fixed = reminder_key(7, date(2027, 6, 30), 30)
    auto = reminder_key(7, date(2027, 6, 30), 30, date(2027, 3, 31))
    assert fixed == "renewal_reminder:7:2027-06-30:30"
    assert auto == "renewal_reminder:7:2027-06-30:30:notice:2027-03-31"
    assert parse_key(fixed) == (date(2027, 6, 30), 30, None)
    assert parse_key(auto) == (date(2027, 6, 30), 30, date(2027, 3, 31))
    assert in_words("renewal_reminder", fixed) == "30 days before the end date 2027-06-30"
    assert in_words("renewal_reminder", auto) == (
        "30 days before the notice deadline 2027-03-31 (ends 2027-06-30)"
    )
    assert in_words("review_reminder", review_key(7, date(2027, 6, 1))) == (
        "review due on 2027-06-01"
    )
    assert in_words("event_notice", "event_notice:3") is None


@pytest.mark.parametrize(
    ("anchor", "months", "on_or_after", "expected"),
    [
        (date(2021, 6, 1), 24, date(2026, 11, 22), date(2027, 6, 1)),
        (date(2021, 6, 1), 24, date(2027, 6, 1), date(2027, 6, 1)),  # on the day: that day
        (date(2021, 6, 1), 24, date(2027, 6, 2), date(2029, 6, 1)),
        (date(2021, 6, 1), 24, date(2021, 6, 1), date(2023, 6, 1)),  # never the anchor itself
        (date(2021, 6, 1), 24, date(2020, 1, 1), date(2023, 6, 1)),
        (date(2021, 6, 1), 12, date(2026, 11, 22), date(2027, 6, 1)),
        # Counted from the anchor each time: 31 January stays the 31st where the month has one.
        (date(2024, 1, 31), 1, date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 1, 31), 1, date(2024, 3, 1), date(2024, 3, 31)),
        (date(2024, 2, 29), 12, date(2025, 3, 1), date(2026, 2, 28)),
    ],
)
def test_the_next_review_is_the_first_multiple_on_or_after_the_day(
    anchor: date, months: int, on_or_after: date, expected: date
) -> None:
    assert next_review(anchor, months, on_or_after) == expected
