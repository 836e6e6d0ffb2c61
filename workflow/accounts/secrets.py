"""Secrets and their hashes: Argon2id for passwords, SHA-256 for random tokens and session ids.

A random token of 32 bytes needs no slow hash: it cannot be guessed, so SHA-256 suffices and
lets the row be found by its hash. Nothing here logs a secret.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# Verified against when the e-mail is unknown, so that answer takes as long as a wrong password.
_DUMMY = _HASHER.hash("no such user: this hash only spends the time a real one would")
PASSWORD_MIN = 10


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` is the one hashed in `stored`; None (no such user) costs the same."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def new_secret(prefix: str = "") -> str:
    """A random URL-safe secret (256 bits)."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The SHA-256 hex digest a token or session id is stored and found as."""
    return hashlib.sha256(secret.encode()).hexdigest()


def generated_password() -> str:
    return secrets.token_urlsafe(15)
