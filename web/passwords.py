"""Password hashing with Argon2id (memory-hard), via argon2-cffi's recommended parameters."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
MIN_LENGTH = 10
# verified when the user does not exist, so a wrong name costs the same time as a wrong password
_DUMMY = _HASHER.hash("not-a-real-password-but-the-same-cost")


class WeakPassword(ValueError):
    """A password too short or empty (the CLI prints it as one line)."""


def check_strength(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"password too short: use at least {MIN_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(check_strength(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; constant work whether or not the user exists."""
    try:
        return _HASHER.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
