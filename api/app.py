"""The HTTP application: `create_app(settings)` makes it, with one engine for the process.

`accord serve` runs `from_environment` under uvicorn, once per worker process: the same
ACCORD_* settings, and so the same database, as the CLI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from api import problems
from api.routes import (
    agreements,
    bulk,
    deadletters,
    directory,
    directory_writes,
    edits,
    health,
    meetings,
    moves,
    notes,
    people_writes,
    reminders,
)
from models import make_engine
from workflow.database_file import require_database
from workflow.settings import Settings

PREFIX = "/api/v1"


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """The application on `settings`' database (or on `engine`, which the caller then owns).

    A SQLite database must exist already (`accord db upgrade` makes it), as for the CLI.
    """
    owned = engine is None
    if engine is None:
        engine = make_engine(require_database(settings.resolved_database_url()))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            engine.dispose()

    app = FastAPI(
        title="Accord",
        summary="Inter-institutional agreements through their lifecycle.",
        version="1",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.settings = settings
    problems.install(app)
    routers = (
        health,
        agreements,
        edits,
        moves,
        notes,
        bulk,
        meetings,
        reminders,
        deadletters,
        directory,
        directory_writes,
        people_writes,
    )
    for router in (module.router for module in routers):
        app.include_router(router, prefix=PREFIX)
    return app


def from_environment() -> FastAPI:
    """The application on the settings in the environment (uvicorn's factory)."""
    return create_app(Settings())
