"""Reads of the early warnings (家访预警) a school still has open."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from verification.adapters.orm import pupils, warnings


async def school_county(conn: AsyncConnection, school_code: str) -> str | None:
    """The county of the school's pupils (None when no pupil of it is known)."""
    query = sa.select(pupils.c.county_code).where(pupils.c.school_code == school_code).limit(1)
    county: str | None = await conn.scalar(query)
    return county


async def open_warnings(conn: AsyncConnection, school_code: str, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """How many warnings of the school are open, and the newest `limit` of them.

    Open: the pupil is on this school's roll and no later school day recorded them (present or otherwise)."""
    p, w = pupils.c, warnings.c
    open_ = sa.and_(
        p.school_code == school_code,
        p.left_on.is_(None),
        sa.or_(p.last_recorded_on.is_(None), w.run_end >= p.last_recorded_on),
    )
    joined = warnings.join(pupils, p.student_id == w.student_id)
    total = await conn.scalar(sa.select(sa.func.count()).select_from(joined).where(open_))
    query = sa.select(w.warning_id, w.student_id, w.streak_start, w.run_end, w.raised_on).select_from(joined)
    rows = await conn.execute(query.where(open_).order_by(w.raised_on.desc(), w.student_id).limit(limit))
    return int(total or 0), [dict(r._mapping) for r in rows]
