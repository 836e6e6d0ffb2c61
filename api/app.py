"""The HTTP application: `create_app(settings)` makes it, with one engine for the process.

`accord serve` runs `from_environment` under uvicorn, once per worker process: the same
ACCORD_* settings, and so the same database, as the CLI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy import Engine

from api import problems
from api.deps import current_user
from api.routes import (
    agreements,
    auth,
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
    app.include_router(health.router, prefix=PREFIX)  # compose's health check: no sign-in
    app.include_router(auth.router)
    signed_in = [Depends(current_user)]
    refusals = problems.responses(401, 403)
    routers = (
        auth.me_router,
        agreements.router,
        edits.router,
        moves.router,
        notes.router,
        bulk.router,
        meetings.router,
        reminders.router,
        deadletters.router,
        directory.router,
        directory_writes.router,
        people_writes.router,
    )
    for router in routers:
        app.include_router(router, prefix=PREFIX, dependencies=signed_in, responses=refusals)
    return app


def from_environment() -> FastAPI:
    """The application on the settings in the environment (uvicorn's factory)."""
    return create_app(Settings())
