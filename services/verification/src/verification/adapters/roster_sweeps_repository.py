"""Queries and writes of the roster sweeps: transfers, the roll dates of pupils, who the attendance named."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from verification.adapters.orm import absences, pupils, school_attendance, suspicions, transfers
from verification.domain.roster_sweeps import NOT_ATTENDING


async def transfer_requested(session: AsyncSession, row: dict[str, Any]) -> None:
    """Keep a requested transfer; one already known (redelivered, or completed first) keeps its status."""
    stmt = insert(transfers).values(**row)
    keep = {k: stmt.excluded[k] for k in ("from_school_code", "from_county_code", "requested_on", "due_on")}
    await session.execute(stmt.on_conflict_do_update(index_elements=[transfers.c.transfer_id], set_=keep))


async def transfer_completed(session: AsyncSession, row: dict[str, Any]) -> uuid.UUID | None:
    """Mark a transfer completed (kept even if its request has not arrived yet); the suspicion it opened, if any."""
    stmt = insert(transfers).values(**row, status="completed")
    done = {"status": "completed", "completed_on": sa.func.coalesce(transfers.c.completed_on, row["completed_on"])}
    upsert = stmt.on_conflict_do_update(index_elements=[transfers.c.transfer_id], set_=done)
    found: uuid.UUID | None = await session.scalar(upsert.returning(transfers.c.suspicion_id))
    return found


async def enrolled_at_receiver(session: AsyncSession, student_id: str, school_code: str, on: date) -> list[uuid.UUID]:
    """Complete the pupil's pending transfers to this school; the suspicions they opened."""
    stmt = (
        sa.update(transfers)
        .where(
            transfers.c.student_id == student_id,
            transfers.c.to_school_code == school_code,
            transfers.c.status == "pending",
        )
        .values(status="completed", completed_on=on)
        .returning(transfers.c.suspicion_id)
    )
    return [found for found in (await session.scalars(stmt)) if found is not None]


async def stalled_candidates(session: AsyncSession) -> list[sa.Row[Any]]:
    """Pending transfers that opened no suspicion yet, with the receiving county (else the sender's) and standing.

    The receiving school's county is the one verification's roll copy shows for that school.
    """
    at_receiver = pupils.alias("at_receiver")
    receiving = (
        sa.select(at_receiver.c.county_code)
        .where(at_receiver.c.school_code == transfers.c.to_school_code)
        .limit(1)
        .correlate(transfers)
        .scalar_subquery()
    )
    stmt = (
        sa.select(
            transfers,
            sa.func.coalesce(receiving, transfers.c.from_county_code).label("receiving_county"),
            sa.func.coalesce(pupils.c.groups, sa.cast(sa.literal([]), ARRAY(sa.Text))).label("groups"),
            sa.func.coalesce(pupils.c.poverty_household, sa.false()).label("poverty_household"),
        )
        .select_from(transfers.outerjoin(pupils, pupils.c.student_id == transfers.c.student_id))
        .where(
            transfers.c.status == "pending",
            transfers.c.suspicion_id.is_(None),
            transfers.c.requested_on.is_not(None),
            transfers.c.from_county_code.is_not(None),
        )
        .order_by(transfers.c.requested_on, transfers.c.transfer_id)
    )
    return list(await session.execute(stmt))


async def set_transfer_suspicion(session: AsyncSession, transfer_id: uuid.UUID, suspicion_id: uuid.UUID) -> None:
    """Record the suspicion a stalled transfer opened: the sweep flags each transfer once."""
    await session.execute(
        sa.update(transfers).where(transfers.c.transfer_id == transfer_id).values(suspicion_id=suspicion_id)
    )


async def open_suspicion(session: AsyncSession, suspicion_id: uuid.UUID) -> sa.Row[Any] | None:
    """A suspicion if still open, locked for update."""
    rows = await session.execute(
        sa.select(suspicions)
        .where(suspicions.c.suspicion_id == suspicion_id, suspicions.c.status == "open")
        .with_for_update()
    )
    return rows.first()


async def pupil_left(session: AsyncSession, student_id: str, school_code: str, left_on: date) -> None:
    """Take the pupil off the roll verification knows, if it is the roll the pupil left (else the leave is stale)."""
    await session.execute(
        sa.update(pupils)
        .where(
            pupils.c.student_id == student_id,
            pupils.c.school_code == school_code,
            sa.or_(pupils.c.enrolled_on.is_(None), pupils.c.enrolled_on <= left_on),
        )
        .values(left_on=left_on)
    )


def _on_roll_that_day(day: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        sa.func.coalesce(pupils.c.enrolled_on, day) <= day,
        sa.or_(pupils.c.left_on.is_(None), pupils.c.left_on > day),
        sa.or_(pupils.c.last_recorded_on.is_(None), pupils.c.last_recorded_on < day),
    )


async def named_by_school(session: AsyncSession, school_code: str, day: date, unrecorded: Sequence[str]) -> None:
    """The school's attendance of `day` named every pupil on its roll that day except `unrecorded` (one UPDATE)."""
    await session.execute(
        sa.update(pupils)
        .where(
            pupils.c.school_code == school_code,
            pupils.c.student_id != sa.func.all_(sa.cast(list(unrecorded), ARRAY(sa.String))),
            _on_roll_that_day(day),
        )
        .values(last_recorded_on=sa.func.greatest(pupils.c.last_recorded_on, day))
    )


async def keep_school_day(session: AsyncSession, school_code: str, day: date, unrecorded: Sequence[str]) -> None:
    """Remember the school's latest attendance day and whom it did not name (a correction of that day replaces it)."""
    stmt = insert(school_attendance).values(school_code=school_code, day=day, unrecorded=list(unrecorded))
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[school_attendance.c.school_code],
            set_={"day": stmt.excluded.day, "unrecorded": stmt.excluded.unrecorded},
            where=school_attendance.c.day <= stmt.excluded.day,
        )
    )


async def credit_earlier_days(session: AsyncSession, student_id: str, school_code: str) -> None:
    """Credit a pupil with the days attendance named them before verification knew them on this roll."""
    school_day = (
        sa.select(school_attendance.c.day)
        .where(school_attendance.c.school_code == school_code, sa.not_(school_attendance.c.unrecorded.any(student_id)))
        .scalar_subquery()
    )
    own_day = sa.select(sa.func.max(absences.c.day)).where(absences.c.student_id == student_id).scalar_subquery()
    seen = sa.func.greatest(school_day, own_day)  # PostgreSQL's greatest skips NULLs
    await session.execute(
        sa.update(pupils)
        .where(
            pupils.c.student_id == student_id,
            pupils.c.school_code == school_code,
            pupils.c.left_on.is_(None),
            sa.func.coalesce(pupils.c.enrolled_on, seen) <= seen,
        )
        .values(last_recorded_on=sa.func.greatest(pupils.c.last_recorded_on, seen))
    )


async def named_again(session: AsyncSession, school_code: str) -> list[sa.Row[Any]]:
    """Open not_attending suspicions of a school whose pupil attendance has named since the gap began, locked."""
    stmt = (
        sa.select(suspicions, pupils.c.last_recorded_on)
        .join(pupils, pupils.c.student_id == suspicions.c.student_id)
        .where(
            suspicions.c.school_code == school_code,
            suspicions.c.source == "roster",
            suspicions.c.reason == NOT_ATTENDING,
            suspicions.c.status == "open",
            pupils.c.last_recorded_on > suspicions.c.grounds_start,
        )
        .with_for_update(of=suspicions)
    )
    return list(await session.execute(stmt))


async def roll_counties(session: AsyncSession) -> list[str]:
    """The counties with pupils on a roll."""
    found = await session.scalars(sa.select(pupils.c.county_code).where(pupils.c.left_on.is_(None)).distinct())
    return sorted(found)


async def unnamed_pupils(session: AsyncSession, cutoffs: Mapping[str, date]) -> list[sa.Row[Any]]:
    """Pupils on a roll last seen (named, or enrolled if later) before their county's cutoff, in one SELECT.

    Pupils with an open roster suspicion, or whose suspicion for this same gap was already raised (and maybe
    cleared by a verification), are left out: a gap is flagged once.
    """
    if not cutoffs:
        return []
    counties = (
        sa.func.unnest(sa.cast(list(cutoffs), ARRAY(sa.String)), sa.cast(list(cutoffs.values()), ARRAY(sa.Date)))
        .table_valued("county", "cutoff")
        .render_derived(name="cutoffs")
    )
    seen = sa.func.greatest(pupils.c.last_recorded_on, pupils.c.enrolled_on)
    flagged = sa.exists().where(
        suspicions.c.student_id == pupils.c.student_id,
        suspicions.c.source == "roster",
        sa.or_(
            suspicions.c.status == "open",
            sa.and_(suspicions.c.reason == NOT_ATTENDING, suspicions.c.grounds_start == seen),
        ),
    )
    stmt = (
        sa.select(
            pupils.c.student_id,
            pupils.c.school_code,
            pupils.c.county_code,
            pupils.c.groups,
            pupils.c.poverty_household,
            seen.label("seen"),
        )
        .join(counties, counties.c.county == pupils.c.county_code)
        .where(pupils.c.left_on.is_(None), seen < counties.c.cutoff, ~flagged)
        .order_by(pupils.c.county_code, pupils.c.student_id)
    )
    return list(await session.execute(stmt))
