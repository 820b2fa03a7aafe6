"""Set-based statements of any size: one array parameter per list, upserts split below the driver's limit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

MAX_PARAMETERS = 30_000
"""Below PostgreSQL's 32,767 bind parameters per statement."""


def any_of(column: sa.ColumnElement[Any], values: Iterable[Any], item: Any) -> sa.ColumnElement[bool]:
    """`column = ANY(:values)`: one array parameter however many values."""
    return column == sa.any_(sa.cast(sorted(set(values)), ARRAY(item)))


async def upsert(session: AsyncSession, table: sa.Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert rows or replace their other columns, in slices small enough for the driver, rows in key order."""
    if not rows:
        return
    ordered = sorted(rows, key=lambda r: tuple(r[k] for k in keys))
    size = max(1, MAX_PARAMETERS // len(ordered[0]))
    for start in range(0, len(ordered), size):
        stmt = insert(table).values(ordered[start : start + size])
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c[k] for k in keys],
                set_={name: stmt.excluded[name] for name in ordered[0] if name not in keys},
            )
        )
