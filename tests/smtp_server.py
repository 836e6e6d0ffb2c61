"""A real SMTP server for tests: aiosmtpd on loopback, in a thread of the test process.

It records every message that arrives, stops and starts again on the same port (so a client sees
"connection refused", then a server again), and can hold its reply to DATA until the test
releases it: the message is on the server, the client waits for the 250, and the test may kill
the client right there, in the window where "did it arrive?" has no answer yet.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Match = Callable[[EmailMessage], bool]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Recorder:
    """The aiosmtpd handler: keeps what arrived, over which connection, and who logged in."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    peers: list[object] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    # Message-IDs to accept and then hang up on before replying: "did it arrive?" is unknown.
    hang_up_after: set[str] = field(default_factory=set)
    # (user, password) that `authenticate` accepts.
    credentials: tuple[str, str] | None = None
    changed: threading.Condition = field(default_factory=threading.Condition, repr=False)
    holding: int = 0  # DATA replies being held right now
    _hold: Match | None = field(default=None, init=False, repr=False)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content or b"")
        assert isinstance(parsed, EmailMessage)
        with self.changed:
            # Recorded before any hold: once DATA is in, the server holds the message, and a
            # client that dies before our reply may well send it again.
            self.messages.append(parsed)
            self.recipients.append(list(envelope.rcpt_tos))
            self.peers.append(session.peer)  # (ip, port): a new port is a new connection
            self.changed.notify_all()
        if parsed["Message-ID"] in self.hang_up_after and server.transport is not None:
            server.transport.close()
        await self._held(parsed)
        return "250 2.0.0 Accepted"

    async def _held(self, message: EmailMessage) -> None:
        hold = self._hold
        if hold is None or not hold(message):
            return
        with self.changed:
            self.holding += 1
            self.changed.notify_all()
        try:
            while self._hold is not None:  # cancelled when the client hangs up or we stop
                await asyncio.sleep(0.02)
        finally:
            with self.changed:
                self.holding -= 1
                self.changed.notify_all()

    def hold(self, match: Match | None = None) -> None:
        """From now on, hold the reply to DATA of every message `match` accepts (default: all)."""
        self._hold = match or (lambda _: True)

    def release(self) -> None:
        """Reply to every held DATA, and hold no more."""
        self._hold = None

    def clear(self) -> None:
        """Forget what arrived so far."""
        with self.changed:
            for kept in (self.messages, self.recipients, self.peers, self.logins):
                kept.clear()
            self.hang_up_after.clear()

    def wait(self, check: Callable[[Recorder], bool], timeout: float, what: str) -> None:
        """Wait until `check(self)` holds, at most `timeout` seconds, else fail naming `what`."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not check(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    subjects = [str(m["Subject"]) for m in self.messages]
                    raise AssertionError(
                        f"SMTP server: waited {timeout:.0f}s for {what}; "
                        f"{len(subjects)} arrived: {subjects}, {self.holding} held"
                    )
                self.changed.wait(min(left, 0.2))

    def with_id(self, message_id: str) -> list[EmailMessage]:
        """The messages that arrived with this Message-ID, in arrival order."""
        with self.changed:
            return [m for m in self.messages if m["Message-ID"] == message_id]

    def wait_for_id(self, message_id: str, timeout: float, what: str) -> EmailMessage:
        """The first message with this Message-ID, waiting at most `timeout` seconds for it."""
        self.wait(lambda r: bool(r.with_id(message_id)), timeout, f"{what} ({message_id})")
        return self.with_id(message_id)[0]

    def authenticate(self, *args: Any) -> AuthResult:
        """aiosmtpd's authenticator(server, session, envelope, mechanism, auth_data)."""
        data = args[-1]
        ok = isinstance(data, LoginPassword) and self.credentials is not None
        if ok:
            user, password = self.credentials or ("", "")
            ok = data.login == user.encode() and data.password == password.encode()
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    """One aiosmtpd server on loopback that a test can stop and start again on the same port."""

    options: dict[str, Any] = field(default_factory=dict)
    recorder: Recorder = field(default_factory=Recorder)
    port: int = field(default_factory=free_port)
    controller: Controller | None = None

    @property
    def running(self) -> bool:
        """Whether the server listens now."""
        return self.controller is not None

    def start(self) -> SmtpServer:
        """Listen on the port (again); returns once the server answers."""
        if self.controller is None:
            controller = Controller(self.recorder, "127.0.0.1", self.port, **self.options)
            controller.start()
            self.controller = controller
        return self

    def stop(self) -> None:
        """Stop listening; held replies are dropped with their connections."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()
