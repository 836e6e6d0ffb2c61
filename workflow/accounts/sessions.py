"""Sign-in sessions: a server-side row per signed-in browser, and the limit on failed sign-ins.

The cookie holds a random id; the row its SHA-256. A new id at every sign-in (so one fixed
before sign-in is useless), revoked at sign-out, at disable and at password change, and
refused after `idle` without use or `longest` after sign-in.

Failed sign-ins are rows, counted per e-mail and per client address over a window: the count
is the database's, so it holds across API processes. Unknown e-mail or wrong password: the
same refusal, after the same Argon2 work (secrets.verify_password).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from models.accounts import AuthSession, LoginFailure, User
from workflow.accounts.errors import NotSignedIn, TooManyAttempts
from workflow.accounts.secrets import digest, new_secret, verify_password
from workflow.uow import UnitOfWork


@dataclass(frozen=True)
class Limits:
    """How long a session lives, and how many failed sign-ins a window allows."""

    idle: timedelta
    longest: timedelta
    failures: int = 5
    window: timedelta = timedelta(minutes=15)


def _retry_after(uow: UnitOfWork, email: str, client: str, now: datetime, limits: Limits) -> int:
    """Seconds until a sign-in may be tried again, or 0 when it may be now."""
    since = now - limits.window
    waits = []
    for column, value in ((LoginFailure.email, email), (LoginFailure.client, client)):
        times = list(
            uow.conn.scalars(
                select(LoginFailure.at)
                .where(column == value, LoginFailure.at > since)
                .order_by(LoginFailure.at.desc())
                .limit(limits.failures)
            )
        )
        if len(times) >= limits.failures:
            oldest = min(t if t.tzinfo else t.replace(tzinfo=now.tzinfo) for t in times)
            waits.append(math.ceil((oldest + limits.window - now).total_seconds()))
    return max([w for w in waits if w > 0], default=0)


def sign_in(
    uow: UnitOfWork, email: str, password: str, *, client: str, now: datetime, limits: Limits
) -> tuple[User, str]:
    """The user and a new session id; NotSignedIn (same words either way) or TooManyAttempts.

    The limit is checked before the password, so a guesser past it learns nothing more."""
    email = email.strip().lower()[:254]
    client = client[:64]
    with uow:
        wait = _retry_after(uow, email, client, now, limits)
        if wait:
            raise TooManyAttempts(
                f"too many failed sign-ins; try again in {wait} seconds", retry_after=wait
            )
        user = uow.session.scalar(select(User).where(User.email == email))
        good = verify_password(user.password_hash if user else None, password)
        if user is None or not good or user.disabled:
            uow.session.add(LoginFailure(email=email, client=client, at=now))
            uow.session.flush()
            uow.commit()
            raise NotSignedIn("wrong e-mail or password")
        session_id = new_secret()
        uow.session.add(
            AuthSession(
                id_hash=digest(session_id), user_id=user.id, created_at=now, last_seen_at=now
            )
        )
        uow.session.flush()
        uow.commit()
        return user, session_id


def user_of_session(
    uow: UnitOfWork, session_id: str, *, now: datetime, limits: Limits
) -> User | None:
    """The user of a live session (its use recorded), or None: unknown, revoked, idle too
    long, older than the longest a session lives, or its user disabled."""
    found = uow.session.execute(
        select(AuthSession.id_hash, User)
        .join(User, User.id == AuthSession.user_id)
        .where(
            AuthSession.id_hash == digest(session_id),
            AuthSession.revoked_at.is_(None),
            AuthSession.last_seen_at > now - limits.idle,
            AuthSession.created_at > now - limits.longest,
            User.disabled.is_(False),
        )
    ).first()
    if found is None:
        return None
    uow.conn.execute(
        update(AuthSession).where(AuthSession.id_hash == found[0]).values(last_seen_at=now)
    )
    return found[1]


def sign_out(uow: UnitOfWork, session_id: str, *, now: datetime) -> None:
    with uow:
        uow.conn.execute(
            update(AuthSession)
            .where(AuthSession.id_hash == digest(session_id), AuthSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        uow.commit()


def failures_counted(uow: UnitOfWork, email: str) -> int:
    """How many failed sign-ins the database holds for `email` (for the tests and ops)."""
    count = uow.conn.scalar(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.email == email)
    )
    return int(count or 0)
