"""Queries and bulk writes of schools and rolls, inside a unit of work (set-based: no query per pupil)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from attendance_ingest.adapters.orm import schools, students
from attendance_ingest.domain.roll import Pupil

_PUPIL_COLUMNS = [students.c[name] for name in Pupil.__slots__]


class School(NamedTuple):
    """What the roll needs of a school."""

    county_code: str
    kind: str


class ActiveElsewhere(NamedTuple):
    """A pupil active on another school's roll."""

    student_id: str
    school_code: str
    national_id_hash: str


def any_of(values: Sequence[str]) -> Any:
    """`= ANY(:array)`: one bound array instead of thousands of parameters."""
    return sa.any_(sa.bindparam(None, list(values), type_=ARRAY(sa.Text)))


async def school_county(session: AsyncSession | AsyncConnection, school_code: str) -> str | None:
    """The county of a registered school."""
    return await session.scalar(sa.select(schools.c.county_code).where(schools.c.school_code == school_code))


async def schools_of(session: AsyncSession, codes: Sequence[str]) -> dict[str, School]:
    """County and kind of registered schools, by code."""
    rows = await session.execute(
        sa.select(schools.c.school_code, schools.c.county_code, schools.c.kind).where(
            schools.c.school_code == any_of(codes)
        )
    )
    return {r.school_code: School(r.county_code, r.kind) for r in rows}


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


async def lock_roll(session: AsyncSession, school_code: str) -> None:
    """Serialise roll pushes of one school until the transaction ends (a retry must not emit every event twice)."""
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("roll:" + school_code))))


async def latest_roll_as_of(session: AsyncSession, school_code: str) -> date | None:
    """The as_of date of the newest roll this school has pushed (over active and departed pupils)."""
    newest: date | None = await session.scalar(
        sa.select(sa.func.max(students.c.roll_as_of)).where(students.c.school_code == school_code)
    )
    return newest


async def roll(session: AsyncSession, school_code: str) -> dict[str, Pupil]:
    """The active pupils of a school, by student id."""
    return (await roll_and_unsealed(session, school_code))[0]


async def roll_and_unsealed(session: AsyncSession, school_code: str) -> tuple[dict[str, Pupil], set[str]]:
    """The active pupils of a school by student id, and those whose ID number is not sealed yet (older rows)."""
    rows = await session.execute(
        sa.select(*_PUPIL_COLUMNS, students.c.national_id_enc.is_(None).label("unsealed")).where(
            students.c.school_code == school_code, students.c.active
        )
    )
    pupils: dict[str, Pupil] = {}
    unsealed: set[str] = set()
    for r in rows:
        values = r._asdict()
        if values.pop("unsealed"):
            unsealed.add(r.student_id)
        pupils[r.student_id] = Pupil(**{**values, "groups": tuple(r.groups)})
    return pupils, unsealed


async def active_elsewhere(
    session: AsyncSession, school_code: str, student_ids: Sequence[str], hashes: Sequence[str]
) -> list[ActiveElsewhere]:
    """Pupils active on another school's roll with one of these student ids or ID-number hashes."""
    rows = await session.execute(
        sa.select(students.c.student_id, students.c.school_code, students.c.national_id_hash).where(
            students.c.active,
            students.c.school_code != school_code,
            sa.or_(students.c.student_id == any_of(student_ids), students.c.national_id_hash == any_of(hashes)),
        )
    )
    return [ActiveElsewhere(*r) for r in rows]


# (column, SQL array type) of the rows a roll writes; groups travel as comma-joined text (no group has a comma).
_ARRAYS = (
    ("student_id", "text"),
    ("name", "text"),
    ("gender", "text"),
    ("birth_date", "date"),
    ("grade", "smallint"),
    ("class_name", "text"),
    ("hukou_county_code", "text"),
    ("residence_county_code", "text"),
    ("national_id_hash", "text"),
    ("groups", "text"),
    ("poverty_household", "boolean"),
    ("national_id_enc", "bytea"),
    ("national_id_key", "text"),
    ("national_id_masked", "text"),
)
_NAMES = [c for c, _ in _ARRAYS]
_SELECTED = ["string_to_array(u.groups, ',')" if c == "groups" else "u." + c for c in _NAMES]
_SAVE = sa.text(
    f"INSERT INTO {students.fullname} AS s ({', '.join(_NAMES)}, school_code, roll_as_of, active)"
    f" SELECT {', '.join(_SELECTED)},"
    " CAST(:school_code AS text), CAST(:as_of AS date), true"
    f" FROM unnest({', '.join(f'CAST(:{c} AS {t}[])' for c, t in _ARRAYS)}) AS u({', '.join(_NAMES)})"
    " ON CONFLICT (student_id) DO UPDATE SET"
    f" {', '.join(f'{c} = excluded.{c}' for c in [*_NAMES, 'school_code', 'roll_as_of'])},"
    " active = true, left_on = NULL, updated_at = now()"
    " WHERE s.school_code = excluded.school_code OR NOT s.active"
    " RETURNING s.student_id"
)


async def save_pupils(session: AsyncSession, school_code: str, rows: Sequence[dict[str, Any]], as_of: date) -> int:
    """Insert or replace pupils as active on this school's roll (one statement over arrays); return how many.

    A pupil still active on another school's roll is not taken over: the caller compares the count.
    """
    if not rows:
        return 0
    arrays: dict[str, Any] = {c: [r[c] for r in rows] for c in _NAMES}
    arrays["groups"] = [",".join(r["groups"]) for r in rows]
    result = await session.execute(_SAVE, {**arrays, "school_code": school_code, "as_of": as_of})
    return len(result.all())


async def touch_roll(session: AsyncSession, school_code: str, as_of: date) -> None:
    """Record the as_of date of the roll that last showed each active pupil."""
    await session.execute(
        sa.update(students)
        .where(
            students.c.school_code == school_code,
            students.c.active,
            students.c.roll_as_of.is_distinct_from(as_of),
        )
        .values(roll_as_of=as_of)
    )


async def deactivate(session: AsyncSession, school_code: str, student_ids: Sequence[str], left_on: date) -> None:
    """Take pupils off this school's roll, noting the day."""
    if student_ids:
        await session.execute(
            sa.update(students)
            .where(students.c.school_code == school_code, students.c.student_id == any_of(student_ids))
            .values(active=False, left_on=left_on, updated_at=sa.func.now())
        )


async def on_roll(session: AsyncSession, school_code: str, student_id: str) -> bool:
    """Whether a pupil is active on this school's roll."""
    found = await session.scalar(
        sa.select(sa.literal(True)).where(
            students.c.student_id == student_id, students.c.school_code == school_code, students.c.active
        )
    )
    return bool(found)
