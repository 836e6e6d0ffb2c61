"""The checks of values where they enter, shared by every entry point (workflow.validation)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from workflow.errors import InvalidInput
from workflow.validation import (
    HORIZON,
    actor_name,
    blank,
    free_text,
    past_horizon,
    within_horizon,
)


@pytest.mark.parametrize("value", ["ana", "  Ana Müller ", "王芳", "a" * 120, "O'Brien\tjr"])
def test_an_actor_is_kept_stripped(value: str) -> None:
    assert actor_name(value) == value.strip()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "an actor is required (--actor NAME)"),
        ("   ", "an actor is required (--actor NAME)"),
        ("a" * 121, "the actor name is 121 characters; at most 120"),
        ("bob\r\nBcc: x@evil.example", "the actor name must not contain line breaks (CR/LF)"),
        ("bob\u2028x", "the actor name must not contain line breaks (CR/LF)"),
        ("bob\x00", "the actor name must not contain control characters (U+0000)"),
        ("bob\x1b[2J", "the actor name must not contain control characters (U+001B)"),
    ],
)
def test_an_unfit_actor_is_refused(value: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        actor_name(value)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize("value", ["one line", "two\nlines", "windows\r\nlines", "tab\there"])
def test_free_text_may_span_lines(value: str) -> None:
    assert free_text(value, "the comment") == value


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_free_text_refuses_other_control_characters(char: str) -> None:
    with pytest.raises(InvalidInput, match=rf"the comment .* \(U\+{ord(char):04X}\): refused"):
        free_text(f"a{char}b", "the comment")


@pytest.mark.parametrize(
    "value",
    ["", " ", "\u200b", "\u2060\ufeff", "\u00a0\u3000", "\u200d\u200c", "\u3164", "\u2800", "\t"],
)
def test_text_of_only_invisible_characters_is_blank(value: str) -> None:
    assert blank(value)


@pytest.mark.parametrize("value", ["a", "\u200bx", "·", "٠", "\u0301"])
def test_text_that_shows_something_is_not_blank(value: str) -> None:
    assert not blank(value)


def test_the_horizon_takes_dates_and_times() -> None:
    assert within_horizon(HORIZON, "--until") == HORIZON
    late = datetime(2200, 12, 31, 23, 59, tzinfo=UTC)
    assert within_horizon(late, "the meeting time") == late
    assert past_horizon(date(2201, 1, 1)) == (
        "2201-01-01 is after 2200-12-31, the last day Accord accepts; give an earlier date"
    )
    with pytest.raises(InvalidInput, match=r"^--until: 9999-12-31 is after 2200-12-31"):
        within_horizon(date.max, "--until")
