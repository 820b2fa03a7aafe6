"""Queries and writes of the ledger, inside a unit of work."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.adapters.orm import suspected


async def add_suspect(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Enter a suspect once per suspicion; return whether it was new."""
    stmt = insert(suspected).values(**row).on_conflict_do_nothing(index_elements=[suspected.c.suspicion_id])
    return (await session.scalar(stmt.returning(suspected.c.entry_id))) is not None


async def suspects_page(
    session: AsyncSession,
    county_code: str,
    *,
    limit: int,
    offset: int,
    school_code: str | None = None,
    status: str | None = None,
    group: str | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """One page of a county's suspected ledger (newest first) and the total matching the filters."""
    where = [suspected.c.county_code == county_code]
    if school_code:
        where.append(suspected.c.school_code == school_code)
    if status:
        where.append(suspected.c.status == status)
    if group:
        where.append(suspected.c.groups.any(group))
    total = await session.scalar(sa.select(sa.func.count()).select_from(suspected).where(*where)) or 0
    rows = await session.execute(
        sa.select(suspected)
        .where(*where)
        .order_by(suspected.c.flagged_on.desc(), suspected.c.entry_id)
        .limit(limit)
        .offset(offset)
    )
    return total, [dict(r._mapping) for r in rows]
