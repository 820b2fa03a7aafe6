"""Consolidation after a return (巩固): when a returned child's case may be proposed for close-out (销号)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession


async def due_on(session: AsyncSession, county_code: str, from_day: date) -> date | None:
    """The school day after which a child back since `from_day` has stayed the consolidation period, if known."""
    return None
