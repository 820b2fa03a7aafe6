"""Queries and writes of transfers between schools (转学), inside a unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_ingest.adapters.orm import transfers
from attendance_ingest.adapters.repository import any_of

Direction = Literal["out", "in"]
Status = Literal["pending", "completed"]


class Transfer(NamedTuple):
    """One transfer as stored."""

    transfer_id: uuid.UUID
    student_id: str
    from_school_code: str
    to_school_code: str
    requested_on: date
    status: str
    completed_on: date | None


_COLUMNS = [transfers.c[name] for name in Transfer._fields]


async def pending_of(session: AsyncSession, student_id: str) -> Transfer | None:
    """The pending transfer of a pupil, if any."""
    row = (
        await session.execute(
            sa.select(*_COLUMNS).where(transfers.c.student_id == student_id, transfers.c.status == "pending")
        )
    ).first()
    return Transfer(*row) if row else None


async def add_pending(session: AsyncSession, transfer: Transfer) -> bool:
    """Store a new pending transfer; False if the pupil already has one (the partial unique index)."""
    stmt = (
        insert(transfers)
        .values(**transfer._asdict())
        .on_conflict_do_nothing(index_elements=[transfers.c.student_id], index_where=transfers.c.status == "pending")
    )
    return (await session.execute(stmt.returning(transfers.c.transfer_id))).first() is not None


async def pending_between(
    session: AsyncSession, student_ids: Sequence[str], *, to_school: str | None = None, from_school: str | None = None
) -> dict[str, Transfer]:
    """Pending transfers of these pupils into or out of a school, by student id."""
    if not student_ids:
        return {}
    query = sa.select(*_COLUMNS).where(transfers.c.status == "pending", transfers.c.student_id == any_of(student_ids))
    if to_school is not None:
        query = query.where(transfers.c.to_school_code == to_school)
    if from_school is not None:
        query = query.where(transfers.c.from_school_code == from_school)
    return {r.student_id: Transfer(*r) for r in await session.execute(query)}


async def complete(session: AsyncSession, transfer_ids: Sequence[uuid.UUID], on: date) -> None:
    """Mark transfers completed."""
    if transfer_ids:
        await session.execute(
            sa.update(transfers)
            .where(transfers.c.transfer_id.in_(transfer_ids))
            .values(status="completed", completed_on=on)
        )


async def page(
    session: AsyncSession,
    school_code: str,
    *,
    direction: Direction | None,
    status: Status | None,
    limit: int,
    offset: int,
) -> tuple[int, list[Transfer]]:
    """(total, one page) of a school's transfers out, in, or both; newest first."""
    conditions: list[Any] = []
    if direction == "out":
        conditions.append(transfers.c.from_school_code == school_code)
    elif direction == "in":
        conditions.append(transfers.c.to_school_code == school_code)
    else:
        conditions.append(
            sa.or_(transfers.c.from_school_code == school_code, transfers.c.to_school_code == school_code)
        )
    if status is not None:
        conditions.append(transfers.c.status == status)
    total = await session.scalar(sa.select(sa.func.count()).select_from(transfers).where(*conditions))
    rows = await session.execute(
        sa.select(*_COLUMNS)
        .where(*conditions)
        .order_by(transfers.c.requested_on.desc(), transfers.c.created_at.desc(), transfers.c.transfer_id)
        .limit(limit)
        .offset(offset)
    )
    return int(total or 0), [Transfer(*r) for r in rows]
