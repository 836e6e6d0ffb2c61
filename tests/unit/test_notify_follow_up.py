"""notify.render.render_follow_up: the owner's mail says which agreement, what to do, who set it
and how to mark it done; the text is escaped in HTML and kept as written in the text part."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from notify.contexts import FollowUpContext
from notify.render import render_follow_up
from workflow.errors import InvalidInput

DUE = date(2027, 1, 15)


def context(today: date = DUE, text: str = "Send the annex") -> FollowUpContext:
    return FollowUpContext(
        follow_up_id=7,
        slug="hust-rwth-mou",
        title="HUST-RWTH MoU",
        text=text,
        due_on=DUE,
        owner="Chen Jie",
        created_by="ann",
        created_at=datetime(2026, 12, 1, 23, 30, tzinfo=UTC),
        today=today,
    )


def test_both_parts_name_the_agreement_the_task_who_set_it_and_the_command() -> None:
    mail = render_follow_up(context())
    assert mail.subject == "Follow-up due today: HUST-RWTH MoU"
    for part in (mail.text, mail.html):
        assert "Dear Chen Jie" in part
        assert "HUST-RWTH MoU (hust-rwth-mou)" in part
        assert "Send the annex" in part
        assert "is due today, 15 January 2027" in part
        assert "ann on 1 December 2026" in part
        assert "accord agreements done 7" in part
        assert "could not go out" not in part


@pytest.mark.parametrize(
    ("today", "words"), [(date(2027, 1, 16), "yesterday"), (date(2027, 1, 20), "5 days ago")]
)
def test_a_late_mail_says_so(today: date, words: str) -> None:
    mail = render_follow_up(context(today))
    assert mail.subject == "Follow-up overdue since 2027-01-15: HUST-RWTH MoU"
    for part in (mail.text, mail.html):
        assert f"was due {words}, on 15 January 2027" in part
        assert "could not go out on the day" in part


def test_the_text_is_escaped_in_html_and_kept_in_the_text_part() -> None:
    mail = render_follow_up(context(text="Ask <b>Pat</b> & {{ owner }}\nthen file it"))
    assert "Ask &lt;b&gt;Pat&lt;/b&gt; &amp; {{ owner }}\nthen file it" in mail.html
    assert "  Ask <b>Pat</b> & {{ owner }}\n  then file it\n" in mail.text


def test_a_naive_creation_time_is_refused() -> None:
    with pytest.raises(InvalidInput, match="created_at must be timezone-aware"):
        FollowUpContext(7, "s", "t", "x", DUE, "o", "ann", datetime(2026, 12, 1), DUE)
