"""Queries and writes of roster-gap suspicions, inside a unit of work."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from verification.adapters.orm import pupils, suspicions


async def pupil_school(session: AsyncSession, student_id: str) -> str | None:
    """The school of the last roll verification knows the pupil on, None if it never heard of the pupil."""
    found: str | None = await session.scalar(sa.select(pupils.c.school_code).where(pupils.c.student_id == student_id))
    return found


async def open_roster_suspicion(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Open a roster suspicion unless it exists (redelivery) or the pupil has one open; return whether opened."""
    stmt = insert(suspicions).values(**row).on_conflict_do_nothing()
    return (await session.scalar(stmt.returning(suspicions.c.suspicion_id))) is not None


async def open_roster_suspicion_of(session: AsyncSession, student_id: str) -> sa.Row[Any] | None:
    """The pupil's open roster suspicion, locked for update."""
    rows = await session.execute(
        sa.select(suspicions)
        .where(suspicions.c.student_id == student_id, suspicions.c.status == "open", suspicions.c.source == "roster")
        .with_for_update()
    )
    return rows.first()
