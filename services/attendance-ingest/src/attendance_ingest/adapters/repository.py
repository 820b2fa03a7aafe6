"""Queries and bulk writes of schools and rolls, inside a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from attendance_ingest.adapters.orm import schools, students
from attendance_ingest.domain.model import Pupil

_PUPIL_COLUMNS = [students.c[name] for name in Pupil.__slots__]


async def school_county(session: AsyncSession | AsyncConnection, school_code: str) -> str | None:
    """The county of a registered school."""
    return await session.scalar(sa.select(schools.c.county_code).where(schools.c.school_code == school_code))


async def upsert_school(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Insert or update a school; return whether anything changed."""
    stmt = insert(schools).values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=[schools.c.school_code],
        set_={k: stmt.excluded[k] for k in ("name", "county_code", "kind")} | {"updated_at": sa.func.now()},
        where=sa.tuple_(schools.c.name, schools.c.county_code, schools.c.kind).is_distinct_from(
            sa.tuple_(stmt.excluded.name, stmt.excluded.county_code, stmt.excluded.kind)
        ),
    )
    return bool((await session.execute(stmt.returning(schools.c.school_code))).first())


async def roll(session: AsyncSession, school_code: str) -> dict[str, Pupil]:
    """The active pupils of a school, by student id."""
    rows = await session.execute(
        sa.select(*_PUPIL_COLUMNS).where(students.c.school_code == school_code, students.c.active)
    )
    return {r.student_id: Pupil(**{**r._asdict(), "groups": tuple(r.groups)}) for r in rows}


async def active_elsewhere(session: AsyncSession, school_code: str, student_ids: Sequence[str]) -> dict[str, str]:
    """Pupils of this list that are active on another school's roll, with that school."""
    rows = await session.execute(
        sa.select(students.c.student_id, students.c.school_code).where(
            students.c.student_id.in_(student_ids), students.c.active, students.c.school_code != school_code
        )
    )
    return dict(rows.tuples().all())


async def save_pupils(session: AsyncSession, school_code: str, pupils: Sequence[Pupil]) -> None:
    """Insert or replace pupils as active on this school's roll (one statement)."""
    if not pupils:
        return
    rows = [{**{n: getattr(p, n) for n in Pupil.__slots__}, "school_code": school_code, "active": True} for p in pupils]
    rows = [{**r, "groups": list(r["groups"])} for r in rows]
    stmt = insert(students)
    columns = [*Pupil.__slots__, "school_code", "active"]
    stmt = stmt.on_conflict_do_update(
        index_elements=[students.c.student_id],
        set_={c: stmt.excluded[c] for c in columns} | {"updated_at": sa.func.now()},
    )
    await session.execute(stmt, rows)


async def deactivate(session: AsyncSession, school_code: str, student_ids: Sequence[str]) -> None:
    """Take pupils off this school's roll."""
    if student_ids:
        await session.execute(
            sa.update(students)
            .where(students.c.school_code == school_code, students.c.student_id.in_(student_ids))
            .values(active=False, updated_at=sa.func.now())
        )
