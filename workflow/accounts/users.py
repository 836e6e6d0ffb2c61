"""Users: add, list, show, disable and enable, grant and revoke units, set the password.

Disabling a user and changing their password revoke their sessions at once; a disabled user's
tokens are refused where they are checked (tokens.py), so both stop working at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from models.accounts import AuthSession, User, UserUnit
from models.directory import Unit
from workflow.accounts.permissions import ROLES
from workflow.accounts.secrets import PASSWORD_MIN, hash_password
from workflow.errors import InvalidInput, NotFound, StaleVersion
from workflow.uow import UnitOfWork
from workflow.validation import actor_name, header_safe


def checked_email(email: str) -> str:
    value = email.strip().lower()
    header_safe(value, "the e-mail address")
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value or len(value) > 254:
        raise InvalidInput(f"{email!r} is not an e-mail address like name@example.org")
    return value


def checked_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"--role {role!r}: one of {', '.join(ROLES)}")
    return role


def checked_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(f"the password is shorter than {PASSWORD_MIN} characters")
    return password


def get_user(uow: UnitOfWork, email: str) -> User:
    user = uow.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user {email!r}; `accord users list` shows them")
    return user


def _unit_ids(uow: UnitOfWork, refs: list[str]) -> list[int]:
    ids = []
    for ref in refs:
        unit = uow.session.scalar(select(Unit).where(Unit.slug == ref.strip()))
        if unit is None:
            raise NotFound(f"--unit {ref!r}: no such unit; `accord units list` shows them")
        ids.append(unit.id)
    return ids


def unit_ids_of(uow: UnitOfWork, user_id: int) -> list[int]:
    return list(uow.session.scalars(select(UserUnit.unit_id).where(UserUnit.user_id == user_id)))


def _check_version(user: User, expected: int | None) -> None:
    if expected is not None and expected != user.version:
        raise StaleVersion(
            f"user {user.email} is at version {user.version}, not {expected}: it changed since "
            "you read it; nothing was changed",
            version=user.version,
        )


def add_user(
    uow: UnitOfWork, email: str, *, name: str, role: str, units: list[str], password: str
) -> dict[str, Any]:
    """A new user; InvalidInput for a malformed value or an e-mail already used."""
    email = checked_email(email)
    user = User(
        email=email,
        name=actor_name(name, "--name"),
        role=checked_role(role),
        password_hash=hash_password(checked_password(password)),
        disabled=False,
        version=1,
    )
    with uow:
        if uow.session.scalar(select(User.id).where(User.email == email)) is not None:
            raise InvalidInput(f"a user {email} exists already")
        unit_ids = _unit_ids(uow, units)
        uow.session.add(user)
        uow.session.flush()
        uow.session.add_all(UserUnit(user_id=user.id, unit_id=u) for u in unit_ids)
        uow.commit()
        return show_user(uow, email)


def user_dict(uow: UnitOfWork, user: User) -> dict[str, Any]:
    slugs = uow.session.scalars(
        select(Unit.slug)
        .join(UserUnit, UserUnit.unit_id == Unit.id)
        .where(UserUnit.user_id == user.id)
        .order_by(Unit.slug)
    )
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "units": list(slugs),
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
        "version": user.version,
    }


def list_users(uow: UnitOfWork) -> list[dict[str, Any]]:
    return [user_dict(uow, u) for u in uow.session.scalars(select(User).order_by(User.email))]


def show_user(uow: UnitOfWork, email: str) -> dict[str, Any]:
    return user_dict(uow, get_user(uow, email))


def revoke_sessions(uow: UnitOfWork, user_id: int, now: datetime) -> None:
    uow.conn.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _change(
    uow: UnitOfWork, email: str, expected: int | None, now: datetime, **values: Any
) -> dict[str, Any]:
    with uow:
        user = get_user(uow, email)
        _check_version(user, expected)
        for key, value in values.items():
            setattr(user, key, value)
        user.version += 1
        uow.session.flush()
        if values.get("disabled") or "password_hash" in values:
            revoke_sessions(uow, user.id, now)
        uow.commit()
        return user_dict(uow, user)


def set_disabled(
    uow: UnitOfWork, email: str, disabled: bool, *, now: datetime, expected: int | None = None
) -> dict[str, Any]:
    return _change(uow, email, expected, now, disabled=disabled)


def set_password(
    uow: UnitOfWork, email: str, password: str, *, now: datetime, expected: int | None = None
) -> dict[str, Any]:
    return _change(
        uow, email, expected, now, password_hash=hash_password(checked_password(password))
    )


def grant(
    uow: UnitOfWork,
    email: str,
    units: list[str],
    *,
    revoke: bool = False,
    expected: int | None = None,
) -> dict[str, Any]:
    """Give the user these units (or take them away with `revoke`)."""
    with uow:
        user = get_user(uow, email)
        _check_version(user, expected)
        ids = _unit_ids(uow, units)
        have = set(unit_ids_of(uow, user.id))
        if revoke:
            uow.session.execute(
                delete(UserUnit).where(UserUnit.user_id == user.id, UserUnit.unit_id.in_(ids))
            )
        else:
            uow.session.add_all(UserUnit(user_id=user.id, unit_id=u) for u in ids if u not in have)
        user.version += 1
        uow.session.flush()
        uow.commit()
        return user_dict(uow, user)
