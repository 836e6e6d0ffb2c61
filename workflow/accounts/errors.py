"""The refusals of sign-in and of permission; the API answers them 401, 403 and 429."""

from __future__ import annotations

from workflow.errors import AccordError, NotFound


class NotSignedIn(AccordError):
    """No valid session or token: sign in, or send `Authorization: Bearer <token>`."""


class Forbidden(AccordError):
    """The signed-in user's role (or units) does not allow the action."""


class TooManyAttempts(AccordError):
    """Too many failed sign-ins for this account or from this address; try after a while."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotOwned(NotFound):
    """An agreement outside the user's units: answered as if it did not exist, and audited."""
