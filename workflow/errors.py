"""Errors a user can act on; each message is one line that says what to do."""

from __future__ import annotations


class AccordError(Exception):
    """Base of every error that is the user's input, not a bug."""


class NotFound(AccordError):
    """An agreement, institution, unit or person that does not exist."""


class InvalidInput(AccordError):
    """A value that is malformed or impossible (a date, a kind, an empty title)."""


class MoveRefused(AccordError):
    """An illegal trigger or a failed guard; the message names the legal triggers."""

    def __init__(
        self, message: str, *, state: str, trigger: str, legal: list[str], reason: str | None = None
    ):
        super().__init__(message)
        self.state, self.trigger, self.legal = state, trigger, legal
        self.reason = reason  # the failed guard's words; None when the trigger is not legal


class StaleVersion(AccordError):
    """The agreement changed since the caller read it; nothing was written.

    `version` is the record's version now, `actor` and `at` (ISO 8601) who changed it last and
    when, where known: the HTTP API gives them to its client besides the message.
    """

    def __init__(
        self,
        message: str,
        *,
        version: int | None = None,
        actor: str | None = None,
        at: str | None = None,
    ):
        super().__init__(message)
        self.version, self.actor, self.at = version, actor, at
