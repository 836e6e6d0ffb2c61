"""workflow.validation: line breaks and control characters refused where values enter Accord."""

from __future__ import annotations

import pytest

from workflow.errors import InvalidInput
from workflow.validation import email_address, header_safe


@pytest.mark.parametrize(
    "value", ["HUST–Heidelberg MoU", "Ann Müller", "tab\tis fine", "", "Université de Genève"]
)
def test_header_safe_returns_ordinary_text_unchanged(value: str) -> None:
    assert header_safe(value, "title") == value


@pytest.mark.parametrize(
    "value",
    [
        "MoU\r\nBcc: victim@example.org",
        "MoU\nBcc: victim@example.org",
        "MoU\r",
        "line\u2028separator",
        "next\x85line",
        "vertical\x0btab",
    ],
)
def test_header_safe_refuses_line_breaks_naming_the_field(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        header_safe(value, "title")
    assert str(caught.value) == "title must not contain line breaks (CR/LF): refused"


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x9b"])
def test_header_safe_refuses_other_control_characters(char: str) -> None:
    with pytest.raises(InvalidInput, match=r"name must not contain control characters \(U\+"):
        header_safe(f"Ann{char}Müller", "name")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ann@uni-heidelberg.de", "ann@uni-heidelberg.de"),
        ("  ann@uni-heidelberg.de ", "ann@uni-heidelberg.de"),
        ("Ann Müller <ann@uni-heidelberg.de>", "Ann Müller <ann@uni-heidelberg.de>"),
        ("Accord <accord@localhost>", "Accord <accord@localhost>"),
        ("first.last+tag@hust.edu.vn", "first.last+tag@hust.edu.vn"),
    ],
)
def test_email_address_accepts_one_address(value: str, expected: str) -> None:
    assert email_address(value, "email") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "email must be an email address, not empty"),
        ("not an address", "is not an email address"),
        ("ann@", "is not an email address"),
        ("@uni.example", "is not an email address"),
        ("ann@b@c.example", "is not an email address"),
        ("Ann <ann@uni.example", "is not an email address"),
        ("ann@uni.example, bob@uni.example", "must be exactly one email address, not 2"),
        ("ann@exämple.de", "is not ASCII"),
        ("ann@uni.example\r\nBcc: x@evil.example", "must not contain line breaks"),
    ],
)
def test_email_address_refuses_with_a_clear_message(value: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=r"^email") as caught:
        email_address(value, "email")
    assert message in str(caught.value)
