"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# Verified against when the user is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY = _HASHER.hash("no such user: the time of a real check")


def hash_password(password: str) -> str:
    """A salted argon2id hash."""
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether the password matches (False for an unknown user, after the same work)."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password_async(stored: str | None, password: str) -> bool:
    """`verify_password` off the event loop (argon2 is deliberately slow)."""
    return await asyncio.to_thread(verify_password, stored, password)


async def hash_password_async(password: str) -> str:
    """`hash_password` off the event loop."""
    return await asyncio.to_thread(hash_password, password)
