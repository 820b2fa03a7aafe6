"""The console's commands: sign in and out, and the account changes `baoxue user` makes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from console.adapters.accounts import AccountStore
from console.adapters.passwords import hash_password_async, verify_password_async
from console.domain.accounts import (
    AccountError,
    ConsoleUser,
    Lockout,
    Role,
    check_display_name,
    check_password,
    check_scope_fits,
    check_username,
)


def token_hash(token: str) -> bytes:
    """How a session cookie is stored: its SHA-256."""
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: the cookie's value and the user."""

    token: str
    user: ConsoleUser
    expires_at: datetime


class SignInRefused(Exception):
    """Wrong name or password, a disabled account, or a lock-out (the message is for the person)."""


async def sign_in(
    store: AccountStore,
    lockout: Lockout,
    *,
    username: str,
    password: str,
    now: datetime,
    session_for: timedelta,
    client: str | None,
) -> SignedIn:
    """Check the password and open a session; every outcome goes to the audit log."""
    stored = await store.get(username)
    if stored is not None and Lockout.is_locked(stored.locked_until, now):
        await store.audit(username, "sign_in_locked", client)
        minutes = max(1, int((stored.locked_until - now).total_seconds() // 60) + 1)  # type: ignore[operator]
        raise SignInRefused(f"该账户因多次登录失败已被锁定，请 {minutes} 分钟后再试或联系管理员")
    matches = await verify_password_async(stored.password_hash if stored else None, password)
    if stored is None or not matches or stored.disabled:
        if stored is not None and not stored.disabled:
            failed, locked_until = lockout.after_failure(stored.failed_attempts, now)
            await store.record_failure(username, failed, locked_until)
            await store.audit(username, "sign_in_failed", client, locked=locked_until is not None)
        else:
            await store.audit(username, "sign_in_failed", client, reason="disabled" if stored else "unknown user")
        raise SignInRefused("用户名或密码错误")
    token = secrets.token_urlsafe(32)
    expires_at = now + session_for
    await store.open_session(username, token_hash(token), secrets.token_urlsafe(32), now, expires_at)
    await store.audit(username, "sign_in", client)
    return SignedIn(token, stored.user, expires_at)


async def sign_out(store: AccountStore, user: ConsoleUser, token: str, client: str | None) -> None:
    """End the session."""
    await store.close_session(token_hash(token))
    await store.audit(user.username, "sign_out", client)


async def add_user(
    store: AccountStore, *, username: str, display_name: str, role: str, scope: str, password: str
) -> ConsoleUser:
    """Create an account after checking every field (AccountError says what is wrong)."""
    try:
        checked_role = Role(role)
    except ValueError:
        raise AccountError(f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}") from None
    user = ConsoleUser(
        check_username(username), check_display_name(display_name), checked_role, check_scope_fits(checked_role, scope)
    )
    await store.add(user, await hash_password_async(check_password(password)))
    await store.audit(username, "user_added", None, role=role, scope=scope)
    return user


async def disable_user(store: AccountStore, username: str) -> None:
    """Disable an account and end its sessions."""
    await store.set_disabled(username, True)
    await store.audit(username, "user_disabled")


async def reset_password(store: AccountStore, username: str, password: str, now: datetime) -> None:
    """Set a new password; clears a lock-out and ends the user's sessions."""
    await store.set_password(username, await hash_password_async(check_password(password)), now)
    await store.audit(username, "password_reset")
