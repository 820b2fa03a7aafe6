"""Reviews of long excused absences, inside a unit of work."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from verification.adapters.orm import absences, reviews


async def add_review(session: AsyncSession, student_id: str, run: tuple[date, date]) -> uuid.UUID | None:
    """Record one review per excused run; return its id, or None if a review overlaps the run (it is widened)."""
    start, end = run
    overlapping = (
        sa.select(reviews.c.review_id)
        .where(reviews.c.student_id == student_id, reviews.c.run_start <= end, reviews.c.run_end >= start)
        .order_by(reviews.c.run_start)
        .limit(1)
        .with_for_update()
    )
    earlier = await session.scalar(overlapping)
    if earlier is not None:
        await session.execute(
            sa.update(reviews)
            .where(reviews.c.review_id == earlier)
            .values(
                run_start=sa.func.least(reviews.c.run_start, start),
                run_end=sa.func.greatest(reviews.c.run_end, end),
            )
        )
        return None
    review_id = uuid.uuid4()
    await session.execute(
        insert(reviews).values(review_id=review_id, student_id=student_id, run_start=start, run_end=end, raised_on=end)
    )
    return review_id


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
