"""Queries and writes of reporting, inside a unit of work."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from baoxue_common.regions import county_prefix
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.adapters.orm import ledger_entries
from reporting.domain.figures import EntryState


async def save_entry(session: AsyncSession, row: dict[str, Any]) -> None:
    """Keep the latest state of a ledger entry."""
    stmt = insert(ledger_entries).values(**row)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ledger_entries.c.entry_id], set_={k: stmt.excluded[k] for k in row if k != "entry_id"}
        )
    )


async def drop_entry(session: AsyncSession, entry_id: Any) -> None:
    """Forget an entry removed from its ledger."""
    await session.execute(sa.delete(ledger_entries).where(ledger_entries.c.entry_id == entry_id))


async def entries_under(session: AsyncSession, region: str) -> list[EntryState]:
    """The entries of the counties under a region, counted by kind in the database (a few rows, not one each)."""
    e = ledger_entries.c
    priority = (sa.func.cardinality(e.groups) > 0).label("priority")
    rows = await session.execute(
        sa.select(e.ledger, e.status, priority, e.poverty_household, sa.func.count().label("n"))
        .where(e.county_code.startswith(county_prefix(region), autoescape=True))
        .group_by(e.ledger, e.status, priority, e.poverty_household)
    )
    return [EntryState(r.ledger, r.status, r.priority, r.poverty_household, r.n) for r in rows]
