"""What routes are given: a unit of work on the process's one engine, and the day it is.

Each request that asks for `Uow` gets its own UnitOfWork (one connection, one transaction),
rolled back when the route returns unless the route committed it — a read never writes.

Who is asking: `CurrentUser` is the user of a bearer token or of the session cookie (401
without one; every /api/v1 route but the health check needs it); `Actor` is the name a write
records as its actor, for a user whose role may change agreements (403 otherwise). Refusals
land in the audit table through api/problems.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Engine

from workflow.accounts.errors import NotSignedIn
from workflow.accounts.permissions import require
from workflow.accounts.sessions import Limits, user_of_session
from workflow.accounts.tokens import user_of_token
from workflow.accounts.users import unit_ids_of
from workflow.settings import Settings
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


COOKIE = "__Host-accord_session"


@dataclass(frozen=True)
class SignedIn:
    """The user a request is made by, as the routes need them."""

    id: int
    email: str
    name: str
    role: str
    units: frozenset[int] = field(default_factory=frozenset)


def limits_of(request: Request) -> Limits:
    settings: Settings = request.app.state.settings
    return Limits(
        idle=timedelta(minutes=settings.session_idle_minutes),
        longest=timedelta(hours=settings.session_max_hours),
    )


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_user(request: Request, engine: Annotated[Engine, Depends(engine_of)]) -> SignedIn:
    """The user of `Authorization: Bearer <token>`, else of the session cookie; 401 neither."""
    now = datetime.now(UTC)
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    cookie = request.cookies.get(COOKIE)
    with UnitOfWork(engine) as uow:
        user = None
        if scheme.lower() == "bearer" and credential.strip():
            user = user_of_token(uow, credential.strip(), now=now)
        elif cookie:
            user = user_of_session(uow, cookie, now=now, limits=limits_of(request))
        if user is None:
            what = "token" if header else "session" if cookie else "credentials"
            raise NotSignedIn(
                f"not signed in: no valid {what}; sign in at POST /auth/login or send "
                "Authorization: Bearer <token>"
            )
        signed = SignedIn(
            user.id, user.email, user.name, user.role, frozenset(unit_ids_of(uow, user.id))
        )
        uow.commit()
    request.state.user = signed
    return signed


CurrentUser = Annotated[SignedIn, Depends(current_user)]


def actor(user: CurrentUser) -> str:
    """The signed-in user's name, for a role that may change agreements at all."""
    require(user.role, "edit")
    return user.name


Actor = Annotated[str, Depends(actor)]
