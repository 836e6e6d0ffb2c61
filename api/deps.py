"""What routes are given: a unit of work on the process's one engine, and the day it is.

Each request that asks for `Uow` gets its own UnitOfWork (one connection, one transaction),
rolled back when the route returns unless the route committed it — a read never writes. The
signed-in user joins these (a `CurrentUser` from the session cookie or bearer token) when
sign-in lands (#9, part 3); until then the one route that changes anything, a move, takes its
actor from a header it documents as temporary (routes/moves.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Engine

from workflow.uow import UnitOfWork
from workflow.validation import parse_day


def engine_of(request: Request) -> Engine:
    """The engine create_app made for this process."""
    engine: Engine = request.app.state.engine
    return engine


def unit_of_work(engine: Annotated[Engine, Depends(engine_of)]) -> Iterator[UnitOfWork]:
    """A unit of work for one request, closed (and rolled back unless committed) after it."""
    with UnitOfWork(engine) as uow:
        yield uow


Uow = Annotated[UnitOfWork, Depends(unit_of_work)]


def today(
    value: Annotated[
        str | None,
        Query(alias="today", description="As of this day (YYYY-MM-DD); default today in UTC."),
    ] = None,
) -> date:
    """The `today` query parameter, checked as `--today` is, else today's date in UTC."""
    return parse_day(value, "--today") or datetime.now(UTC).date()


Today = Annotated[date, Depends(today)]
