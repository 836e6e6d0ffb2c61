"""The one error a mail backend raises, saying whether trying again later can help."""

from __future__ import annotations


class DeliveryError(Exception):
    """A message was not handed over; `temporary` says whether a retry with back-off may succeed.

    Temporary: connection refused or dropped, timeouts, 4xx replies. Permanent: 5xx replies
    (a refused login, a refused recipient) — retrying those only delays the dead letter.
    """

    def __init__(self, message: str, *, temporary: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.code = code

    def __repr__(self) -> str:
        return f"DeliveryError({str(self)!r}, temporary={self.temporary}, code={self.code})"
