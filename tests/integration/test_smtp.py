"""SmtpMailer against a real aiosmtpd server on loopback: plain, AUTH, STARTTLS, SSL, failures.

The server (tests/smtp_server.py) runs in this process, in aiosmtpd's Controller thread, on a
free port; the certificate for the TLS cases is made by the `openssl` command line for this run.
"""

from __future__ import annotations

import shlex
import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from pydantic import SecretStr

from notify.backends import SmtpMailer
from notify.errors import DeliveryError
from notify.ics import invitation
from notify.message import build_message, message_id_for
from notify.render import Rendered
from tests.smtp_server import SmtpServer as Server
from workflow.settings import Settings

USER, PASSWORD = "accord", "correct horse"
ATTENDEES = ["ann@uni.example", "lan@hust.example"]


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """Start a server with Controller options (auth=True: require our login); stopped after."""
    started: list[Server] = []

    def start(auth: bool = False, **options: Any) -> Server:
        server = Server(options)
        if auth:
            server.recorder.credentials = (USER, PASSWORD)
            options.update(authenticator=server.recorder.authenticate, auth_required=True)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl CLI."""
    openssl = shutil.which("openssl")
    assert openssl, "the TLS tests need the openssl command: apt-get install openssl"
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    args = shlex.split(
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost"
    )
    command = [openssl, *args, "-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return cert, key


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def settings(server: Server, **changes: Any) -> Settings:
    return Settings(smtp_host="127.0.0.1", smtp_port=server.port, smtp_timeout=5, **changes)


def invite_message(key: str) -> EmailMessage:
    start = datetime(2027, 1, 20, 9, tzinfo=UTC)
    ics = invitation(
        uid="meeting-2027@accord.example",
        sequence=1,
        method="REQUEST",
        start=start,
        duration_minutes=90,
        summary="Annual meeting 2027",
        description="Agenda",
        location="Heidelberg",
        organizer="accord@accord.example",
        attendees=ATTENDEES,
        dtstamp=start,
    )
    mail = Rendered("Invitation: Annual meeting 2027", "plain body\n", "<p>html body</p>\n")
    message_id = message_id_for(key, "accord.example")
    sender = "Accord <accord@accord.example>"
    return build_message(mail, sender=sender, to=ATTENDEES, message_id=message_id, ics=ics)


def test_a_message_arrives_with_both_parts_and_the_invitation(serve: Callable[..., Server]) -> None:
    server = serve()
    mailer = SmtpMailer(settings(server))
    sent = invite_message("invite-1")
    mailer.send(sent)
    mailer.close()
    [got] = server.recorder.messages
    assert got["Message-ID"] == sent["Message-ID"]
    assert got["Subject"] == "Invitation: Annual meeting 2027"
    plain, html = got.get_body(preferencelist=("plain",)), got.get_body(preferencelist=("html",))
    assert plain is not None
    assert "plain body" in plain.get_content()
    assert html is not None
    assert "<p>html body</p>" in html.get_content()
    [attached] = [p for p in got.iter_attachments() if p.get_filename() == "invite.ics"]
    assert attached.get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(attached.get_content())
    [event] = calendar.events
    assert (calendar.method, event.uid, event.sequence) == (
        "REQUEST",
        "meeting-2027@accord.example",
        1,
    )


def test_the_kept_connection_is_reused_and_survives_a_server_restart(
    serve: Callable[..., Server],
) -> None:
    server = serve()
    mailer = SmtpMailer(settings(server))
    for n in range(3):
        mailer.send(invite_message(f"reuse-{n}"))
    assert len(server.recorder.messages) == 3
    assert len(set(server.recorder.peers)) == 1  # one session carried all three
    assert mailer.connections_opened == 1

    server.stop()
    server.start()  # same port, and the old session is gone
    mailer.send(invite_message("after-restart"))
    assert len(server.recorder.messages) == 4
    assert len(set(server.recorder.peers)) == 2
    assert mailer.connections_opened == 2
    mailer.close()


def test_a_stopped_server_is_a_temporary_error(serve: Callable[..., Server]) -> None:
    server = serve()
    mailer = SmtpMailer(settings(server))
    mailer.send(invite_message("before"))
    server.stop()
    with pytest.raises(DeliveryError) as caught:
        mailer.send(invite_message("while-down"))
    assert caught.value.temporary is True
    assert "ConnectionRefusedError" in str(caught.value)
    server.start()
    mailer.send(invite_message("while-down"))  # the caller's retry goes through
    assert server.recorder.messages[-1]["Message-ID"] == message_id_for(
        "while-down", "accord.example"
    )
    mailer.close()


def test_a_hang_up_after_data_is_not_retried_behind_the_callers_back(
    serve: Callable[..., Server],
) -> None:
    server = serve()
    mailer = SmtpMailer(settings(server))
    mailer.send(invite_message("first"))
    lost_reply = invite_message("lost-reply")
    server.recorder.hang_up_after.add(lost_reply["Message-ID"])
    with pytest.raises(DeliveryError) as caught:
        mailer.send(lost_reply)
    assert caught.value.temporary is True
    # Once DATA went out the server may hold the message: the caller decides to resend it
    # (same Message-ID), the mailer does not quietly send it twice.
    ids = [m["Message-ID"] for m in server.recorder.messages]
    assert ids.count(lost_reply["Message-ID"]) == 1
    mailer.send(invite_message("next"))
    assert len(server.recorder.messages) == 3
    mailer.close()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_works_and_a_wrong_password_is_permanent(serve: Callable[..., Server]) -> None:
    server = serve(auth=True, auth_require_tls=False)
    recorder = server.recorder
    good = SmtpMailer(settings(server, smtp_user=USER, smtp_password=SecretStr(PASSWORD)))
    good.send(invite_message("auth"))
    good.close()
    assert recorder.logins == [USER]
    assert len(recorder.messages) == 1

    bad = SmtpMailer(settings(server, smtp_user=USER, smtp_password=SecretStr("wrong")))
    with pytest.raises(DeliveryError) as caught:
        bad.send(invite_message("auth-bad"))
    assert (caught.value.temporary, caught.value.code) == (False, 535)
    assert "wrong" not in str(caught.value)  # the password never reaches a log line

    anonymous = SmtpMailer(settings(server))
    with pytest.raises(DeliveryError) as refused:
        anonymous.send(invite_message("auth-none"))
    assert (refused.value.temporary, refused.value.code) == (False, 530)
    assert len(recorder.messages) == 1


def test_starttls_with_auth_and_a_trusted_self_signed_certificate(
    serve: Callable[..., Server], certificate: tuple[Path, Path]
) -> None:
    server = serve(auth=True, tls_context=server_tls(certificate), require_starttls=True)
    recorder = server.recorder
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    config = settings(
        server, smtp_security="starttls", smtp_user=USER, smtp_password=SecretStr(PASSWORD)
    )
    mailer = SmtpMailer(config, ssl_context=trust)
    mailer.send(invite_message("tls-1"))
    mailer.send(invite_message("tls-2"))
    mailer.close()
    assert recorder.logins == [USER]  # one login on one kept TLS session
    assert len(recorder.messages) == 2

    untrusting = SmtpMailer(config)  # the system's CAs do not know our certificate
    with pytest.raises(DeliveryError, match="TLS failed") as caught:
        untrusting.send(invite_message("tls-untrusted"))
    assert caught.value.temporary is False

    plain = SmtpMailer(settings(server))  # STARTTLS required by the server, not used here
    with pytest.raises(DeliveryError) as refused:
        plain.send(invite_message("tls-skipped"))
    assert (refused.value.temporary, refused.value.code) == (False, 530)
    assert len(recorder.messages) == 2


def test_implicit_ssl(serve: Callable[..., Server], certificate: tuple[Path, Path]) -> None:
    server = serve(ssl_context=server_tls(certificate))
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    mailer = SmtpMailer(settings(server, smtp_security="ssl"), ssl_context=trust)
    mailer.send(invite_message("ssl-1"))
    mailer.send(invite_message("ssl-2"))
    mailer.close()
    assert len(server.recorder.messages) == 2
    assert len(set(server.recorder.peers)) == 1
