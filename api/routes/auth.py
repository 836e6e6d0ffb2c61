"""Sign-in for the pages: `POST /auth/login`, `POST /auth/logout`; and `GET /api/v1/me`.

A sign-in makes a server-side session and sets its id as the `__Host-accord_session` cookie
(HttpOnly, Secure, SameSite=Lax, path /): always a new id, and the session the browser held
before is revoked, so an id planted before sign-in is worth nothing after it. Failed sign-ins
are limited per account and per client address in the database (429 with Retry-After).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from api.deps import COOKIE, CurrentUser, client_of, engine_of, limits_of
from api.problems import responses
from models.directory import Unit
from workflow.accounts.sessions import sign_in, sign_out
from workflow.uow import UnitOfWork

router = APIRouter(tags=["auth"])
me_router = APIRouter(tags=["auth"])


class Credentials(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class Me(BaseModel):
    """The signed-in user."""

    id: int
    email: str
    name: str
    role: str
    units: list[str] = Field(description="slugs of the units whose agreements they work on")


def _me(
    engine: Engine, user_id: int, email: str, name: str, role: str, units: frozenset[int]
) -> Me:
    with UnitOfWork(engine) as uow:
        slugs = uow.conn.scalars(select(Unit.slug).where(Unit.id.in_(units)).order_by(Unit.slug))
        return Me(id=user_id, email=email, name=name, role=role, units=list(slugs))


@router.post("/auth/login", response_model=Me, responses=responses(401, 429))
def login(
    body: Credentials,
    request: Request,
    response: Response,
    engine: Annotated[Engine, Depends(engine_of)],
) -> Me:
    """Sign in with e-mail and password: a new session and its cookie. A wrong password and an
    unknown e-mail get the same 401; five failures in 15 minutes, per account or per address,
    get 429 until the window has passed."""
    now = datetime.now(UTC)
    old = request.cookies.get(COOKIE)
    user, session_id = sign_in(
        UnitOfWork(engine),
        body.email,
        body.password,
        client=client_of(request),
        now=now,
        limits=limits_of(request),
    )
    if old:
        sign_out(UnitOfWork(engine), old, now=now)
    response.set_cookie(COOKIE, session_id, httponly=True, secure=True, samesite="lax", path="/")
    with UnitOfWork(engine) as uow:
        from workflow.accounts.users import unit_ids_of

        units = frozenset(unit_ids_of(uow, user.id))
    return _me(engine, user.id, user.email, user.name, user.role, units)


@router.post("/auth/logout", status_code=204, responses=responses())
def logout(
    request: Request, response: Response, engine: Annotated[Engine, Depends(engine_of)]
) -> None:
    """Sign out: the session is revoked in the database and the cookie cleared."""
    session_id = request.cookies.get(COOKIE)
    if session_id:
        sign_out(UnitOfWork(engine), session_id, now=datetime.now(UTC))
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="lax")


@me_router.get("/me", response_model=Me, responses=responses(401))
def me(user: CurrentUser, engine: Annotated[Engine, Depends(engine_of)]) -> Me:
    """Who the request is made by: name, role and units."""
    return _me(engine, user.id, user.email, user.name, user.role, user.units)
