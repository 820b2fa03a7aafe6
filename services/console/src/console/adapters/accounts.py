"""Accounts, sessions and the audit log in the console's schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from console.adapters.orm import audit_log, sessions, users
from console.domain.accounts import AccountError, ConsoleUser, Role


@dataclass(frozen=True, slots=True)
class StoredUser:
    """A user row with what a sign-in checks."""

    user: ConsoleUser
    password_hash: str
    disabled: bool
    failed_attempts: int
    locked_until: datetime | None


def _user(row: Any) -> ConsoleUser:
    return ConsoleUser(row.username, row.display_name, Role(row.role), row.scope)


class AccountStore:
    """Reads and writes the console's tables; each method is one short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def add(self, user: ConsoleUser, password_hash: str) -> None:
        """Create a user; AccountError when the name is taken."""
        row = {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role.value,
            "scope": user.scope,
            "password_hash": password_hash,
        }
        async with self.engine.begin() as conn:
            done = await conn.execute(insert(users).values(row).on_conflict_do_nothing().returning(users.c.username))
            if done.first() is None:
                raise AccountError(f"user {user.username!r} exists already")

    async def get(self, username: str) -> StoredUser | None:
        """A user with their sign-in state, or None."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(users).where(users.c.username == username))).first()
        if row is None:
            return None
        return StoredUser(_user(row), row.password_hash, row.disabled, row.failed_attempts, row.locked_until)

    async def _update(self, conn: AsyncConnection, username: str, **values: Any) -> None:
        done = await conn.execute(users.update().where(users.c.username == username).values(**values))
        if done.rowcount == 0:
            raise AccountError(f"no user {username!r}")

    async def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable (signing out every session) or enable a user."""
        async with self.engine.begin() as conn:
            await self._update(conn, username, disabled=disabled)
            if disabled:
                await conn.execute(sessions.delete().where(sessions.c.username == username))

    async def set_password(self, username: str, password_hash: str, now: datetime) -> None:
        """A new password: clears the lock-out and ends every session."""
        async with self.engine.begin() as conn:
            await self._update(
                conn,
                username,
                password_hash=password_hash,
                failed_attempts=0,
                locked_until=None,
                password_changed_at=now,
            )
            await conn.execute(sessions.delete().where(sessions.c.username == username))

    async def record_failure(self, username: str, failed_attempts: int, locked_until: datetime | None) -> None:
        """Store the failure count and any lock after a wrong password."""
        async with self.engine.begin() as conn:
            await self._update(conn, username, failed_attempts=failed_attempts, locked_until=locked_until)

    async def open_session(
        self, username: str, token_hash: bytes, csrf_token: str, now: datetime, expires_at: datetime
    ) -> None:
        """A signed-in session (the failure count starts again)."""
        async with self.engine.begin() as conn:
            await self._update(conn, username, failed_attempts=0, locked_until=None)
            row = {"token_hash": token_hash, "username": username, "csrf_token": csrf_token}
            await conn.execute(sessions.insert().values(**row, created_at=now, expires_at=expires_at))
            await conn.execute(sessions.delete().where(sessions.c.expires_at < now))

    async def find_session(self, token_hash: bytes, now: datetime) -> tuple[ConsoleUser, str, datetime] | None:
        """The user, CSRF token and expiry of a live session of an enabled user."""
        query = (
            sa.select(users, sessions.c.csrf_token, sessions.c.expires_at)
            .join(sessions, sessions.c.username == users.c.username)
            .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > now, ~users.c.disabled)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (_user(row), row.csrf_token, row.expires_at)

    async def extend_session(self, token_hash: bytes, expires_at: datetime) -> None:
        """Slide a session's end while it is used."""
        async with self.engine.begin() as conn:
            await conn.execute(
                sessions.update().where(sessions.c.token_hash == token_hash).values(expires_at=expires_at)
            )

    async def close_session(self, token_hash: bytes) -> None:
        """Sign out."""
        async with self.engine.begin() as conn:
            await conn.execute(sessions.delete().where(sessions.c.token_hash == token_hash))

    async def audit(self, username: str, action: str, client: str | None = None, **detail: Any) -> None:
        """One line of the audit log."""
        async with self.engine.begin() as conn:
            await conn.execute(
                audit_log.insert().values(username=username, action=action, detail=detail, client=client)
            )

    async def audit_lines(self, username: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The newest audit lines, of one user or all."""
        query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if username is not None:
            query = query.where(audit_log.c.username == username)
        async with self.engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(query)]

    async def audit_page(
        self, *, offset: int, limit: int, username: str | None = None, action: str | None = None
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of the audit log, newest first, with the total of lines that match."""
        where = [
            c
            for c in (
                audit_log.c.username == username if username else None,
                audit_log.c.action == action if action else None,
            )
            if c is not None
        ]
        query = sa.select(audit_log).where(*where).order_by(audit_log.c.id.desc()).offset(offset).limit(limit)
        async with self.engine.connect() as conn:
            total = (await conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(*where))).scalar_one()
            rows = [dict(r._mapping) for r in await conn.execute(query)]
        return int(total), rows
