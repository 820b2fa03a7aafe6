"""Values derived from a small table, cached per process and checked with one query per session (a poll)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

V = TypeVar("V")


class StampedCache(Generic[V]):
    """Values per key, valid while the table's stamp (a digest of its rows) is the one they were read under.

    A session reads the stamp once (`forget(session)` after writing the table makes it read it again); a key
    missing under that stamp is read and kept. A value read after the stamp is at least as new as the stamp,
    so a cached value is never older than the rows the session's stamp saw.
    """

    def __init__(self, name: str, stamp: sa.TextClause, max_keys: int = 4096) -> None:
        self._info_key = f"baoxue.stamp.{name}"
        self._stamp_query = stamp
        self._max_keys = max_keys
        self._stamp: str | None = None
        self._values: dict[str, V] = {}

    def forget(self, session: AsyncSession) -> None:
        """The session wrote the table: its next lookup reads the stamp again."""
        session.info.pop(self._info_key, None)

    async def get(self, session: AsyncSession, key: str, read: Callable[[], Awaitable[V]]) -> V:
        """The value of `key` under the session's stamp, read with `read()` if not cached."""
        stamp = session.info.get(self._info_key)
        if stamp is None:
            stamp = session.info[self._info_key] = (await session.scalar(self._stamp_query)) or ""
        if stamp != self._stamp or len(self._values) >= self._max_keys:
            self._stamp, self._values = stamp, {}
        if key not in self._values:
            self._values[key] = await read()
        return self._values[key]


def table_stamp(table: sa.Table) -> sa.TextClause:
    """md5 of every row of the table, in key order: it changes with any insert, update or delete."""
    order = ", ".join(f"t.{c.name}" for c in table.primary_key.columns)
    return sa.text(f"SELECT md5(string_agg(t::text, ',' ORDER BY {order})) FROM {table.fullname} AS t")
