"""Queries and bulk writes of attendance marks, inside a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_ingest.adapters.orm import attendance


async def day_statuses(session: AsyncSession, school_code: str, day: date) -> dict[str, tuple[str, str | None]]:
    """Status and reason already recorded for each pupil of a school on a day."""
    rows = await session.execute(
        sa.select(attendance.c.student_id, attendance.c.status, attendance.c.reason).where(
            attendance.c.school_code == school_code, attendance.c.day == day
        )
    )
    return {r.student_id: (r.status, r.reason) for r in rows}


async def previous_statuses(session: AsyncSession, school_code: str, day: date, ids: Sequence[str]) -> dict[str, str]:
    """Each pupil's status on the last recorded day before `day` (to tell a return after an absence)."""
    if not ids:
        return {}
    rows = await session.execute(
        sa.select(attendance.c.student_id, attendance.c.status)
        .distinct(attendance.c.student_id)
        .where(attendance.c.school_code == school_code, attendance.c.day < day, attendance.c.student_id.in_(ids))
        .order_by(attendance.c.student_id, attendance.c.day.desc())
    )
    return dict(rows.tuples().all())


async def upsert_marks(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Write a day's changed marks in one statement; a later push replaces an earlier one."""
    if not rows:
        return
    stmt = insert(attendance)
    stmt = stmt.on_conflict_do_update(
        index_elements=[attendance.c.day, attendance.c.school_code, attendance.c.student_id],
        set_={c: stmt.excluded[c] for c in ("status", "reason", "note", "batch_id")},
    )
    await session.execute(stmt, list(rows))


async def day_counts(session: AsyncSession, school_code: str, day: date) -> dict[str, int]:
    """How many pupils had each status on a day."""
    rows = await session.execute(
        sa.select(attendance.c.status, sa.func.count())
        .where(attendance.c.school_code == school_code, attendance.c.day == day)
        .group_by(attendance.c.status)
    )
    return dict(rows.tuples().all())
