"""Where mail goes: an SMTP server, or .eml files for the embedded default (no server needed)."""

from __future__ import annotations

import os
import re
import ssl
import tempfile
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from notify.errors import DeliveryError
from notify.smtp import SmtpMailer
from workflow.settings import Settings

__all__ = ["FileMailer", "Mailer", "SmtpMailer", "mailer_from_settings"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


class Mailer(Protocol):
    """Anything that delivers a built message, raising DeliveryError when it cannot."""

    def send(self, msg: EmailMessage) -> None:
        """Deliver one message or raise DeliveryError (temporary or permanent)."""

    def close(self) -> None:
        """Release whatever the mailer keeps open."""


class FileMailer:
    """Writes each message to `<dir>/<timestamp>-<message-id>.eml`, complete or not at all."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, msg: EmailMessage, at: datetime) -> Path:
        """The file a message sent at `at` goes to: sortable by time, named by its Message-ID."""
        message_id = _UNSAFE.sub("_", str(msg["Message-ID"] or "no-message-id").strip("<> "))
        stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return self.directory / f"{stamp}-{message_id[:150]}.eml"

    def send(self, msg: EmailMessage) -> None:
        """Write the message atomically: a reader never sees half a file."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.path_for(msg, datetime.now(UTC))
            data = msg.as_bytes()
            # A dot-file in the same directory, so the rename is atomic and `*.eml` skips it.
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except (PermissionError, NotADirectoryError, IsADirectoryError) as exc:
            raise DeliveryError(
                f"cannot write mail under {self.directory}: {exc}", temporary=False
            ) from exc
        except OSError as exc:
            # A full disk or a busy network share may clear; let the caller retry.
            raise DeliveryError(
                f"cannot write mail under {self.directory}: {exc}", temporary=True
            ) from exc

    def close(self) -> None:
        """Nothing to release: every send opens and closes its own file."""


def mailer_from_settings(
    settings: Settings, *, ssl_context: ssl.SSLContext | None = None
) -> Mailer:
    """SMTP when ACCORD_SMTP_HOST is set, otherwise .eml files under the mail directory."""
    if settings.smtp_host:
        return SmtpMailer(settings, ssl_context=ssl_context)
    return FileMailer(settings.resolved_mail_dir())
