"""What routes are given: a unit of work on the process's one engine, and the day it is.

Each request that asks for `Uow` gets its own UnitOfWork (one connection, one transaction),
rolled back when the route returns unless the route committed it — a read never writes.

Who is asking: `CurrentUser` is the user of a bearer token or of the session cookie (401
without one; every /api/v1 route but the health check needs it); `Actor` is the name a write
records as its actor, for a user whose role may change agreements (403 otherwise). Refusals
land in the audit table through api/problems.py.
`ExpectedVersion` is `If-Match` for the writes that take one (428 when missing, 412 when it is
no ETag of ours).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Query, Request
from sqlalchemy import Engine

from workflow.accounts.errors import NotSignedIn
from workflow.accounts.permissions import check_agreement_action, require
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


def actor_for(action: str) -> Callable[[SignedIn], str]:
    """A dependency giving the signed-in user's name, for a role that may do `action` at all
    (403 otherwise): the actor a write records."""

    def dependency(user: CurrentUser) -> str:
        require(user.role, action)
        return user.name

    return dependency


def agreement_actor_for(action: str) -> Callable[..., str]:
    """As `actor_for`, for a write on the agreement `ref`: a role bound to units may do it only
    on an agreement of one of theirs (another unit's answers 404, as one that does not exist).

    It reads in a unit of work of its own, closed before the route's: a route lists it before
    its `Uow`, since SQLite's IMMEDIATE transactions would otherwise wait on each other."""

    def dependency(
        ref: str, user: CurrentUser, engine: Annotated[Engine, Depends(engine_of)]
    ) -> str:
        from workflow.agreements import queries

        with UnitOfWork(engine) as uow:
            owner = queries.get_agreement(uow.session, ref).owning_unit_id
        check_agreement_action(user.role, user.units, owner, action, ref)
        return user.name

    return dependency


# Who writes, by what the write is: each checks the role (and, on an agreement, its unit).
Actor = Annotated[str, Depends(actor_for("edit"))]
Proposer = Annotated[str, Depends(actor_for("propose"))]
Editor = Annotated[str, Depends(agreement_actor_for("edit"))]
NoteWriter = Annotated[str, Depends(agreement_actor_for("note"))]
FollowUpWriter = Annotated[str, Depends(agreement_actor_for("follow_up"))]
FollowUpCloser = Annotated[str, Depends(actor_for("follow_up"))]
MeetingPlanner = Annotated[str, Depends(actor_for("schedule_meeting"))]
DeadLetterOps = Annotated[str, Depends(actor_for("dead_letters"))]
DirectoryEditor = Annotated[str, Depends(actor_for("directory"))]


_ETAG = re.compile(r'^\s*(?:W/)?"(?P<version>[0-9]{1,9})"\s*$')


def expected_version(
    if_match: Annotated[
        str | None,
        Header(description='The ETag of the record as last read, e.g. "6". Required.'),
    ] = None,
) -> int:
    """The version `If-Match` names: 428 when it is missing, 412 when it is no ETag of ours."""
    if if_match is None:
        raise HTTPException(
            428,
            "this write needs If-Match: the ETag of the record as you last read it (GET it), "
            "the version you are changing; nothing was changed",
        )
    found = _ETAG.match(if_match)
    if found is None:
        raise HTTPException(
            412, f'If-Match {if_match!r} is not an ETag this API gave (like "6"); nothing changed'
        )
    return int(found["version"])


ExpectedVersion = Annotated[int, Depends(expected_version)]
