"""`accord serve`: the HTTP API under uvicorn, on the same settings and database as the CLI.

FastAPI and uvicorn are imported here, when the command runs, never when the CLI starts
(tests/unit/test_cli_imports.py). The settings and the database are checked first, so a bad
value or a missing SQLite file is one line here instead of a traceback from each worker.
"""

from __future__ import annotations

from typing import Annotated

import typer

from workflow.errors import InvalidInput

APP_FACTORY = "api.app:from_environment"  # each worker process makes its own app and engine


def serve(
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Interface to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(metavar="PORT", help="TCP port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(metavar="N", help="Worker processes, each with its own engine.")
    ] = 1,
) -> None:
    """Serve the HTTP API (/api/v1, /openapi.json, /docs) until stopped (Ctrl-C or SIGTERM)."""
    if not 0 <= port <= 65535:
        raise InvalidInput(f"--port must be from 0 to 65535, not {port}")
    if not 1 <= workers <= 64:
        raise InvalidInput(f"--workers must be from 1 to 64, not {workers}")
    from workflow.database_file import require_database
    from workflow.settings import Settings

    require_database(Settings().resolved_database_url())  # a bad ACCORD_* value fails here
    import uvicorn

    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        server_header=False,
        log_level="info",
    )
