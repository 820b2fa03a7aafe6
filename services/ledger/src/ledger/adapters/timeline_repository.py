"""Reads and batch writes of children's timelines (ledger.timeline), and who a child is across keys."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.adapters.orm import cases, school_age, suspected, timeline
from ledger.domain.timeline import CASE_STAGE, ROLL_EVENTS, STAGE


@dataclass(frozen=True, slots=True)
class Child:
    """Every key one child is known by: its student numbers and its ID number's blind indexes."""

    student_ids: frozenset[str]
    hashes: frozenset[str]

    @property
    def keys(self) -> list[str]:
        """The timeline's child keys of this child."""
        return sorted(self.student_ids | {f"h:{h}" for h in self.hashes})


async def add_lines(session: AsyncSession, lines: Sequence[dict[str, Any]]) -> None:
    """Add many lines in one statement; a line whose event id is already there is left out (a redelivery)."""
    if lines:
        # SQLAlchemy sends these as multi-row INSERTs ("insertmanyvalues", 1,000 rows each), compiled once and cached.
        await session.execute(insert(timeline).on_conflict_do_nothing(index_elements=["event_id"]), list(lines))


async def suspect_keys(
    session: AsyncSession, suspicion_ids: Collection[UUID]
) -> dict[UUID, tuple[str | None, str | None]]:
    """The student number and ID hash the suspected ledger knows for each suspicion it has (one query)."""
    if not suspicion_ids:
        return {}
    stmt = sa.select(suspected.c.suspicion_id, suspected.c.student_id, suspected.c.national_id_hash).where(
        suspected.c.suspicion_id.in_(list(suspicion_ids))
    )
    return {row.suspicion_id: (row.student_id, row.national_id_hash) for row in await session.execute(stmt)}


async def resolve(session: AsyncSession, student_id: str | None, national_id_hash: str | None) -> Child:
    """The child named by a student number or an ID hash, with the other keys its rolls and lines link to it."""
    sids = {student_id} if student_id else set()
    hashes = {national_id_hash} if national_id_hash else set()
    # Each lookup by an indexed column; a timeline line with a student number is keyed by it (child_key).
    if student_id:
        for table, column in ((school_age, school_age.c.student_id), (timeline, timeline.c.child_key)):
            found = sa.select(table.c.national_id_hash).distinct()
            found = found.where(column == student_id, table.c.national_id_hash.is_not(None))
            hashes |= set((await session.execute(found)).scalars())
    if hashes:
        for table in (school_age, timeline):
            found = sa.select(table.c.student_id).distinct()
            found = found.where(table.c.national_id_hash.in_(hashes), table.c.student_id.is_not(None))
            sids |= set((await session.execute(found)).scalars())
    return Child(frozenset(sids), frozenset(hashes))


def _of(child: Child) -> sa.ColumnElement[bool]:
    """The lines of a child, under any of its keys (by the indexes on child_key and national_id_hash)."""
    conditions = [timeline.c.child_key.in_(child.keys)]
    if child.hashes:
        conditions.append(timeline.c.national_id_hash.in_(child.hashes))
    return sa.or_(*conditions)


async def counties_of(session: AsyncSession, child: Child) -> set[str]:
    """The counties a child has lines or school-age entries in."""
    found = set(
        (
            await session.execute(
                sa.select(timeline.c.county_code).distinct().where(_of(child), timeline.c.county_code.is_not(None))
            )
        ).scalars()
    )
    conditions = []
    if child.student_ids:
        conditions.append(school_age.c.student_id.in_(child.student_ids))
    if child.hashes:
        conditions.append(school_age.c.national_id_hash.in_(child.hashes))
    if conditions:
        found |= set((await session.execute(sa.select(school_age.c.county_code).where(sa.or_(*conditions)))).scalars())
    return found


async def latest_roll(session: AsyncSession, child: Child) -> tuple[str | None, str | None]:
    """The school and county of the child's latest roll line (enrolled or updated), or (None, None)."""
    stmt = (
        sa.select(timeline.c.summary["school_code"].astext.label("school_code"), timeline.c.county_code)
        .where(_of(child), timeline.c.event_type.in_(sorted(ROLL_EVENTS)))
        .order_by(timeline.c.occurred_at.desc(), timeline.c.seq.desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return (row.school_code, row.county_code) if row else (None, None)


def visible(counties: Sequence[str] | None, school_code: str | None) -> sa.ColumnElement[bool]:
    """The lines a caller may see: of the counties it covers, or of its school and its school's cases."""
    if school_code is not None:
        school_cases = sa.select(cases.c.case_id).where(cases.c.school_code == school_code)
        return sa.or_(
            timeline.c.summary["school_code"].astext == school_code,
            timeline.c.case_id.in_(school_cases.scalar_subquery()),
        )
    if counties is not None:
        return timeline.c.county_code.in_(list(counties))
    return sa.true()


def oldest_first() -> tuple[sa.ColumnElement[Any], ...]:
    """Lines by day, then in the order one causes the next, then as recorded."""
    stage = sa.case(STAGE, value=timeline.c.event_type, else_=CASE_STAGE)
    return (timeline.c.occurred_at, stage, timeline.c.seq)


async def lines_page(
    session: AsyncSession, child: Child, where: sa.ColumnElement[bool], *, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """The total and one page of a child's visible lines, oldest first."""
    condition = sa.and_(_of(child), where)
    total = (await session.execute(sa.select(sa.func.count()).select_from(timeline).where(condition))).scalar_one()
    stmt = sa.select(timeline).where(condition).order_by(*oldest_first()).limit(limit).offset(offset)
    return total, [dict(r._mapping) for r in await session.execute(stmt)]
