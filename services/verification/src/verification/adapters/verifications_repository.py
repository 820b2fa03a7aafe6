"""Queries and writes of verifications, inside a unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from verification.adapters.orm import suspicions, verifications

_SOURCES = (
    sa.select(sa.func.array_agg(sa.distinct(suspicions.c.source)))
    .where(suspicions.c.suspect_id == verifications.c.suspicion_id)
    .scalar_subquery()
    .label("sources")
)


async def add_verification(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Store a suspect's verification unless it has one; return whether it was added."""
    stmt = insert(verifications).values(**row).on_conflict_do_nothing(index_elements=[verifications.c.suspicion_id])
    return (await session.scalar(stmt.returning(verifications.c.verification_id))) is not None


async def add_verifications(session: AsyncSession, rows: list[dict[str, Any]], chunk: int = 1000) -> set[uuid.UUID]:
    """add_verification for many suspects; the suspicion ids whose verification was added."""
    added: set[uuid.UUID] = set()
    for at in range(0, len(rows), chunk):
        stmt = insert(verifications).values(rows[at : at + chunk])
        stmt = stmt.on_conflict_do_nothing(index_elements=[verifications.c.suspicion_id])
        added.update(await session.scalars(stmt.returning(verifications.c.suspicion_id)))
    return added


async def verification_for_update(session: AsyncSession, verification_id: uuid.UUID) -> sa.Row[Any] | None:
    """A verification, locked for update: two outcomes at once wait for each other."""
    query = sa.select(verifications).where(verifications.c.verification_id == verification_id).with_for_update()
    return (await session.execute(query)).first()


async def verification_of_suspect(session: AsyncSession, suspect_id: uuid.UUID) -> sa.Row[Any] | None:
    """The verification of a suspect, locked for update."""
    query = sa.select(verifications).where(verifications.c.suspicion_id == suspect_id).with_for_update()
    return (await session.execute(query)).first()


async def close(session: AsyncSession, verification_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Record the outcome of a verification (status done)."""
    await session.execute(
        sa.update(verifications)
        .where(verifications.c.verification_id == verification_id)
        .values(status="done", **values)
    )


async def due_before(session: AsyncSession, today: date, counties: Collection[str] | None = None) -> list[sa.Row[Any]]:
    """Open verifications whose deadline passed before `today` (in `counties`, None: all), locked; skips locked ones."""
    where = [verifications.c.status == "open", verifications.c.due_on < today]
    if counties is not None:
        where.append(verifications.c.county_code.in_(list(counties)))
    query = (
        sa.select(verifications)
        .where(*where)
        .order_by(verifications.c.due_on, verifications.c.verification_id)
        .with_for_update(skip_locked=True)
    )
    return list(await session.execute(query))


async def mark_overdue(session: AsyncSession, verification_id: uuid.UUID, today: date) -> None:
    """Record that a verification's deadline passed and was raised today."""
    await session.execute(
        sa.update(verifications)
        .where(verifications.c.verification_id == verification_id)
        .values(status="overdue", overdue_raised_on=today)
    )


async def page(
    session: AsyncSession,
    county: str,
    status: str | None,
    *,
    limit: int,
    offset: int,
    suspicion_id: uuid.UUID | None = None,
) -> tuple[int, list[sa.Row[Any]]]:
    """The county's verifications (optionally of one status or suspect), due first, with each suspect's sources."""
    where = [verifications.c.county_code == county]
    if status is not None:
        where.append(verifications.c.status == status)
    if suspicion_id is not None:
        where.append(verifications.c.suspicion_id == suspicion_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(verifications).where(*where))
    query = (
        sa.select(verifications, _SOURCES)
        .where(*where)
        .order_by(verifications.c.due_on, verifications.c.verification_id)
        .limit(limit)
        .offset(offset)
    )
    return int(total or 0), list(await session.execute(query))


async def sources_of(session: AsyncSession, suspect_id: uuid.UUID) -> tuple[str, ...]:
    """Every source that flagged the suspect, sorted."""
    found = await session.scalars(
        sa.select(sa.distinct(suspicions.c.source)).where(suspicions.c.suspect_id == suspect_id)
    )
    return tuple(sorted(found))
