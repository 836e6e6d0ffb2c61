"""notify.backends: the file backend (embedded default) and the choice of backend from settings."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from notify.backends import FileMailer, SmtpMailer, mailer_from_settings
from notify.errors import DeliveryError
from notify.message import build_message, message_id_for
from notify.render import Rendered
from workflow.settings import Settings


def message(key: str) -> EmailMessage:
    mail = Rendered("Renewal reminder: MoU", "text part Müller\n", "<p>html part</p>\n")
    return build_message(
        mail,
        sender="accord@uni.example",
        to=["ann@uni.example"],
        message_id=message_id_for(key, "uni.example"),
    )


def test_file_mailer_writes_one_parseable_eml_per_message(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path / "mail")
    first, second = message("one"), message("two")
    mailer.send(first)
    mailer.send(second)
    files = sorted((tmp_path / "mail").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]  # no temporary file left behind
    for path, sent in zip(files, (first, second), strict=True):
        assert re.fullmatch(r"\d{8}T\d{12}Z-[0-9a-f]{32}@uni\.example\.eml", path.name)
        assert sent["Message-ID"].strip("<>") in path.name
        parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert isinstance(parsed, EmailMessage)
        assert parsed["Message-ID"] == sent["Message-ID"]
        plain = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        # CRLF on disk as on the wire (RFC 5322); the parser keeps the CR inside the body.
        assert plain is not None
        assert plain.get_content().splitlines() == ["text part Müller"]
        assert html is not None
        assert "html part" in html.get_content()


def test_file_names_sort_by_time_and_make_message_ids_safe(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path)
    msg = message("k")
    del msg["Message-ID"]
    msg["Message-ID"] = "<a/../b c@x.example>"
    early = mailer.path_for(msg, datetime(2026, 1, 1, tzinfo=UTC))
    late = mailer.path_for(msg, datetime(2026, 1, 2, tzinfo=UTC))
    assert early.parent == tmp_path
    assert early.name == "20260101T000000000000Z-a_.._b_c@x.example.eml"
    assert sorted([late, early]) == [early, late]


def test_an_unwritable_mail_directory_is_a_permanent_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the mail directory should be")
    with pytest.raises(DeliveryError) as caught:
        FileMailer(blocker / "mail").send(message("k"))
    assert caught.value.temporary is False
    assert "cannot write mail under" in str(caught.value)


def test_settings_choose_files_without_a_host_and_smtp_with_one(tmp_path: Path) -> None:
    files = mailer_from_settings(Settings(home=tmp_path, smtp_host=""))
    assert isinstance(files, FileMailer)
    assert files.directory == tmp_path / "mail"
    explicit = mailer_from_settings(Settings(home=tmp_path, mail_dir=tmp_path / "out"))
    assert isinstance(explicit, FileMailer)
    assert explicit.directory == tmp_path / "out"
    smtp = mailer_from_settings(Settings(smtp_host="127.0.0.1", smtp_port=2525))
    assert isinstance(smtp, SmtpMailer)
    assert smtp.connections_opened == 0  # connecting waits for the first send
