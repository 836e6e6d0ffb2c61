"""Configuration from the environment (prefix ACCORD_); embedded defaults need no server."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting Accord reads; a bad value fails at start-up naming the variable."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    home: Path = Field(default=Path("var"), description="folder for the embedded defaults")
    database_url: str = Field(default="", description="SQLAlchemy URL; default: SQLite in home")
    broker_url: str = Field(default="", description="Celery broker; default: SQLite in home")
    renewal_window_days: int = Field(default=180, ge=1, le=3650)
    # Renewal reminders: days before expiry (per kind and per agreement in the database).
    # NoDecode: the JSON is read by _json_list, so a malformed value is a validation error that
    # names the variable, not pydantic-settings' SettingsError (a traceback, exit 70).
    reminder_offsets: Annotated[list[int], NoDecode] = Field(default=[180, 90, 30, 7])

    reminder_catchup_days: int = Field(default=7, ge=0, le=60)
    meeting_lead_days: int = Field(default=60, ge=1, le=365)

    # Celery. The task time limit must stay below the broker's visibility timeout, or a slow
    # task's message would be handed to a second worker while the first still runs it.
    visibility_timeout: int = Field(default=3600, ge=60)
    task_time_limit: int = Field(default=300, ge=10)
    sweep_interval: float = Field(default=60.0, gt=0)
    relay_interval: float = Field(default=5.0, gt=0)
    # A dispatched outbox row not handled within this time is published again (handlers are
    # idempotent): a message lost with the broker, or stuck unacknowledged, is not left behind.
    relay_redeliver_seconds: float = Field(default=900.0, ge=10)
    send_lease_seconds: float = Field(default=300.0, gt=0)
    # The sweep hands due mails to the worker this many per task: Celery's own cost per task
    # (events, acks, fetching; measured at ~3 ms, more than a mail's) is paid once per batch.
    send_batch_size: int = Field(default=10, ge=1, le=100)
    max_send_attempts: int = Field(default=5, ge=1, le=50)
    retry_backoff_seconds: float = Field(default=30.0, gt=0)

    # Mail: no SMTP host means the file backend (one .eml per message under mail_dir).
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout: float = Field(default=30.0, gt=0)
    mail_from: str = "Accord <accord@localhost>"
    # Someone reads mail sent back to mail_from: only then do invitations ask for an answer (RSVP).
    mail_replies_read: bool = False
    mail_dir: Path | None = None

    # Sign-in sessions of the HTTP API: refused after this long unused, and this long after
    # sign-in however much they are used.
    session_idle_minutes: int = Field(default=60, ge=1, le=60 * 24 * 30)
    session_max_hours: int = Field(default=12, ge=1, le=24 * 90)

    @field_validator("reminder_offsets", mode="before")
    @classmethod
    def _json_list(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError("not a JSON list; write the days like [180,90,30,7]") from None

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under `home` (created on demand)."""
        if self.database_url:
            return self.database_url
        self.home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.home / 'accord.db').resolve()}"

    @model_validator(mode="after")
    def _time_limit_below_visibility(self) -> Settings:
        if self.task_time_limit >= self.visibility_timeout:
            raise ValueError(
                f"ACCORD_TASK_TIME_LIMIT ({self.task_time_limit}) must be below "
                f"ACCORD_VISIBILITY_TIMEOUT ({self.visibility_timeout})"
            )
        return self

    def resolved_mail_dir(self) -> Path:
        """Where the file backend writes .eml files (default: <home>/mail)."""
        return self.mail_dir or self.home / "mail"

    def resolved_broker_url(self) -> str:
        """The Celery broker URL, defaulting to kombu's SQLAlchemy transport on a SQLite file."""
        if self.broker_url:
            return self.broker_url
        self.home.mkdir(parents=True, exist_ok=True)
        return f"sqla+sqlite:///{(self.home / 'broker.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
