"""Configuration from the environment (prefix ACCORD_); embedded defaults need no server."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting Accord reads; a bad value fails at start-up naming the variable."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    home: Path = Field(default=Path("var"), description="folder for the embedded defaults")
    database_url: str = Field(default="", description="SQLAlchemy URL; default: SQLite in home")
    renewal_window_days: int = Field(default=180, ge=1, le=3650)

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
