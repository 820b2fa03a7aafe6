"""Queries and writes of field findings, inside a unit of work."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from verification.adapters.orm import field_findings, pupils, suspicions


async def keep_pupil_hash(session: AsyncSession, student_id: str, national_id_hash: str) -> None:
    """Record the blind index of a known pupil's ID number."""
    await session.execute(
        sa.update(pupils)
        .where(pupils.c.student_id == student_id, pupils.c.national_id_hash.is_distinct_from(national_id_hash))
        .values(national_id_hash=national_id_hash)
    )


async def pupil_by_hash(session: AsyncSession, national_id_hash: str) -> sa.Row[Any] | None:
    """The pupil whose ID number has this blind index (the first by id should two rolls share it)."""
    rows = await session.execute(
        sa.select(pupils).where(pupils.c.national_id_hash == national_id_hash).order_by(pupils.c.student_id).limit(1)
    )
    return rows.first()


async def add_finding(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Store a finding unless the same one is stored; return whether it was added."""
    stmt = insert(field_findings).values(**row).on_conflict_do_nothing(index_elements=[field_findings.c.dedup_key])
    return (await session.scalar(stmt.returning(field_findings.c.finding_id))) is not None


async def finding_by_key(session: AsyncSession, dedup_key: str) -> sa.Row[Any] | None:
    """The stored finding with this dedup key."""
    return (await session.execute(sa.select(field_findings).where(field_findings.c.dedup_key == dedup_key))).first()


async def open_field_suspicion_of(session: AsyncSession, student_id: str) -> uuid.UUID | None:
    """The id of the pupil's open field suspicion, if any."""
    return await session.scalar(
        sa.select(suspicions.c.suspicion_id).where(
            suspicions.c.student_id == student_id, suspicions.c.source == "field", suspicions.c.status == "open"
        )
    )


async def set_finding_suspicion(session: AsyncSession, finding_id: uuid.UUID, suspicion_id: uuid.UUID) -> None:
    """Attach a finding to the suspicion it joined."""
    await session.execute(
        sa.update(field_findings).where(field_findings.c.finding_id == finding_id).values(suspicion_id=suspicion_id)
    )
