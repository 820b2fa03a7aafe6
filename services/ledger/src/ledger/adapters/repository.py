"""Queries and writes of the ledger, inside a unit of work."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.adapters.orm import early_assignments, early_clearings, suspected


async def add_suspect(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Enter a suspect once per suspicion; return whether it was new."""
    stmt = insert(suspected).values(**row).on_conflict_do_nothing(index_elements=[suspected.c.suspicion_id])
    return (await session.scalar(stmt.returning(suspected.c.entry_id))) is not None


async def suspect_of(session: AsyncSession, suspicion_id: UUID) -> dict[str, Any] | None:
    """The entry of a suspicion, locked until the unit of work ends; None when the ledger has none."""
    stmt = sa.select(suspected).where(suspected.c.suspicion_id == suspicion_id).with_for_update()
    row = (await session.execute(stmt)).first()
    return dict(row._mapping) if row else None


async def lock_suspicion(session: AsyncSession, suspicion_id: UUID) -> None:
    """Serialise a suspicion's flag and clearing until the transaction ends (they travel on two topics)."""
    key = int.from_bytes(suspicion_id.bytes[:8], "big", signed=True)
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


async def keep_early_clearing(session: AsyncSession, suspicion_id: UUID, reason: str, cleared_on: date) -> None:
    """Remember a clearing whose flag has not arrived yet (a redelivery keeps the first)."""
    row = {"suspicion_id": suspicion_id, "clear_reason": reason, "cleared_on": cleared_on}
    await session.execute(insert(early_clearings).values(**row).on_conflict_do_nothing())


async def take_early_clearing(session: AsyncSession, suspicion_id: UUID) -> dict[str, Any] | None:
    """The clearing that waited for this suspicion's flag, removed as it is applied; None if there is none."""
    stmt = sa.delete(early_clearings).where(early_clearings.c.suspicion_id == suspicion_id)
    row = (await session.execute(stmt.returning(early_clearings.c.clear_reason, early_clearings.c.cleared_on))).first()
    return dict(row._mapping) if row else None


async def keep_early_assignment(session: AsyncSession, suspicion_id: UUID, verification_id: UUID, due_on: date) -> None:
    """Remember an assignment whose flag has not arrived yet (a redelivery keeps the first)."""
    row = {"suspicion_id": suspicion_id, "verification_id": verification_id, "due_on": due_on}
    await session.execute(insert(early_assignments).values(**row).on_conflict_do_nothing())


async def take_early_assignment(session: AsyncSession, suspicion_id: UUID) -> dict[str, Any] | None:
    """The assignment that waited for this suspicion's flag, removed as it is applied; None if there is none."""
    stmt = sa.delete(early_assignments).where(early_assignments.c.suspicion_id == suspicion_id)
    returning = stmt.returning(early_assignments.c.verification_id, early_assignments.c.due_on)
    row = (await session.execute(returning)).first()
    return dict(row._mapping) if row else None


async def update_suspect(session: AsyncSession, entry_id: UUID, values: dict[str, Any]) -> None:
    """Change columns of one entry and stamp it."""
    stmt = sa.update(suspected).where(suspected.c.entry_id == entry_id).values(**values, updated_at=sa.func.now())
    await session.execute(stmt)
