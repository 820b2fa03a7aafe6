"""Reviews of long excused absences, inside a unit of work."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from verification.adapters.orm import absences, reviews
from verification.adapters.repository import once_per_run


async def add_review(session: AsyncSession, student_id: str, run: tuple[date, date]) -> uuid.UUID | None:
    """Record one review per excused run; return its id, or None if a review overlaps the run (it is widened)."""
    return await once_per_run(session, reviews, "review_id", "run_start", student_id, run, run[1])


async def excused_reasons(session: AsyncSession, student_id: str, run: tuple[date, date]) -> tuple[str, ...]:
    """The distinct reasons the school gave for the pupil's excused absences within a run, sorted."""
    start, end = run
    rows = await session.scalars(
        sa.select(absences.c.reason)
        .where(
            absences.c.student_id == student_id,
            absences.c.day.between(start, end),
            absences.c.status == "absent_excused",
            absences.c.reason.is_not(None),
        )
        .distinct()
        .order_by(absences.c.reason)
    )
    return tuple(rows)
