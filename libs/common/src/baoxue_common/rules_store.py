"""Reading a service's copy of per-region rules: the values each region set itself (NULL: inherited)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from baoxue_common.regions import region_chain

Overrides = dict[str, dict[str, int]]


def overrides_of(rows: Iterable[Any], names: Sequence[str]) -> Overrides:
    """Per region, the values its row sets (a column left NULL is inherited from above)."""
    return {row.region_code: {n: getattr(row, n) for n in names if getattr(row, n) is not None} for row in rows}


async def chain_overrides(
    db: AsyncSession | AsyncConnection, table: sa.Table, region: str, names: Sequence[str]
) -> Overrides:
    """The values the region and every region above it set themselves, from a table keyed by `region_code`."""
    rows = await db.execute(sa.select(table).where(table.c.region_code.in_(region_chain(region))))
    return overrides_of(rows, names)
