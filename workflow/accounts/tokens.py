"""API tokens for scripts: made for a user, shown once, stored as a hash, revoked at once.

A token is `acc_` and 43 random characters; the row holds its SHA-256 only. A token works
while it is neither revoked nor expired and its user is not disabled; each use is recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from models.accounts import ApiToken, User
from workflow.accounts.secrets import digest, new_secret
from workflow.accounts.users import get_user
from workflow.errors import InvalidInput, NotFound
from workflow.uow import UnitOfWork
from workflow.validation import actor_name

PREFIX = "acc_"


def create_token(
    uow: UnitOfWork, email: str, *, name: str, expires_days: int | None, now: datetime
) -> tuple[dict[str, Any], str]:
    """The new token's record and the token itself (shown once, never stored)."""
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise InvalidInput(f"--expires {expires_days}: between 1 and 3650 days")
    label = actor_name(name, "--name")
    token = new_secret(PREFIX)
    with uow:
        user = get_user(uow, email)
        row = ApiToken(
            user_id=user.id,
            name=label,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + timedelta(days=expires_days) if expires_days else None,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.commit()
        return token_dict(row, user.email), token


def token_dict(row: ApiToken, email: str) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": row.id,
        "user": email,
        "name": row.name,
        "created_at": iso(row.created_at),
        "expires_at": iso(row.expires_at),
        "last_used_at": iso(row.last_used_at),
        "revoked_at": iso(row.revoked_at),
    }


def list_tokens(uow: UnitOfWork, email: str | None = None) -> list[dict[str, Any]]:
    query = select(ApiToken, User.email).join(User, User.id == ApiToken.user_id)
    if email is not None:
        query = query.where(User.id == get_user(uow, email).id)
    rows = uow.session.execute(query.order_by(ApiToken.id))
    return [token_dict(row, mail) for row, mail in rows]


def revoke_token(uow: UnitOfWork, token_id: int, *, now: datetime) -> dict[str, Any]:
    with uow:
        found = uow.session.execute(
            select(ApiToken, User.email)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.id == token_id)
        ).first()
        if found is None:
            raise NotFound(f"no token {token_id}; `accord tokens list` shows them")
        row, email = found
        if row.revoked_at is None:
            row.revoked_at = now
            uow.session.flush()
        uow.commit()
        return token_dict(row, email)


def user_of_token(uow: UnitOfWork, token: str, *, now: datetime) -> User | None:
    """The user a live token belongs to (its use recorded), or None: unknown, revoked,
    expired, or its user disabled."""
    found = uow.session.execute(
        select(ApiToken.id, User)
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.token_hash == digest(token),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at.is_(None) | (ApiToken.expires_at > now),
            User.disabled.is_(False),
        )
    ).first()
    if found is None:
        return None
    uow.conn.execute(update(ApiToken).where(ApiToken.id == found[0]).values(last_used_at=now))
    return found[1]
