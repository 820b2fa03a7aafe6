"""Queries and bulk writes of attendance marks, inside a unit of work."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_ingest.adapters.orm import attendance, students
from attendance_ingest.domain.attendance import StoredMark


def school_day_key(school_code: str, day: date) -> int:
    """A stable signed 64-bit advisory-lock key for one (school, day)."""
    digest = hashlib.blake2b(f"attendance:{school_code}:{day.isoformat()}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_school_day(session: AsyncSession, school_code: str, day: date) -> None:
    """Wait for any other push of this (school, day) to end; held until this transaction ends."""
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(school_day_key(school_code, day))))


async def roll_ids(session: AsyncSession, school_code: str) -> set[str]:
    """The student ids active on a school's roll."""
    rows = await session.scalars(
        sa.select(students.c.student_id).where(students.c.school_code == school_code, students.c.active)
    )
    return set(rows)


async def day_marks(session: AsyncSession, school_code: str, day: date) -> dict[str, StoredMark]:
    """The marks already recorded for the pupils of a school on a day."""
    rows = await session.execute(
        sa.select(attendance.c.student_id, attendance.c.status, attendance.c.reason, attendance.c.note).where(
            attendance.c.school_code == school_code, attendance.c.day == day
        )
    )
    return {r.student_id: StoredMark(r.status, r.reason, r.note) for r in rows}


_PREVIOUS = sa.text(
    f"""
    SELECT ids.student_id, last.status
    FROM unnest(CAST(:ids AS text[])) AS ids(student_id)
    CROSS JOIN LATERAL (
        SELECT a.status FROM {attendance.fullname} AS a
        WHERE a.student_id = ids.student_id AND a.school_code = :school_code
          AND a.day < :day AND a.day >= :since
        ORDER BY a.day DESC
        LIMIT 1
    ) AS last
    """
)


async def previous_statuses(
    session: AsyncSession, school_code: str, day: date, since: date, ids: Sequence[str]
) -> dict[str, str]:
    """Each pupil's status on its last recorded day in [since, day) (to tell a return after an absence).

    Bounded on purpose: one backward probe of the (student_id, day) index per pupil (LATERAL ... ORDER BY day
    DESC LIMIT 1), and never further back than `since` (a few school days), so a push costs the same on the
    last day of the year as on the first. A `last_marks` table would also be O(1) per pupil but is a second
    write on the hot path and one more thing to keep in step; the index already exists.
    """
    if not ids:
        return {}
    params = {"ids": list(ids), "school_code": school_code, "day": day, "since": since}
    rows = await session.execute(_PREVIOUS, params)
    return {r.student_id: r.status for r in rows}


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
    return {status: int(n) for status, n in rows}
