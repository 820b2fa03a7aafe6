"""Reads and writes of dropout cases and their assignees, attempts, escalations and transfers."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.adapters.orm import case_assignees, case_attempts, case_escalations, case_transfers, cases, timeline
from ledger.adapters.timeline_repository import oldest_first

# Transfers of one day in the order they happened: answered ones before the one still pending.
TRANSFER_ORDER = (
    case_transfers.c.requested_on,
    case_transfers.c.answered_on.asc().nulls_last(),
    case_transfers.c.transfer_id,
)


def _one(row: sa.Row[Any] | None) -> dict[str, Any] | None:
    return dict(row._mapping) if row is not None else None


async def case_of(session: AsyncSession, case_id: UUID, *, lock: bool = False) -> dict[str, Any] | None:
    """A case; locked until the unit of work ends when `lock` (commands on one case serialise here)."""
    stmt = sa.select(cases).where(cases.c.case_id == case_id)
    return _one((await session.execute(stmt.with_for_update() if lock else stmt)).first())


async def update_case(session: AsyncSession, case_id: UUID, values: dict[str, Any]) -> dict[str, Any]:
    """Change columns of a case, bump its version and stamp it; return the whole new row."""
    stmt = (
        sa.update(cases)
        .where(cases.c.case_id == case_id)
        .values(**values, version=cases.c.version + 1, updated_at=sa.func.now())
        .returning(*cases.c)
    )
    return dict((await session.execute(stmt)).one()._mapping)


async def add_assignee(session: AsyncSession, row: dict[str, Any]) -> dict[str, Any]:
    """Name a person working on a case."""
    return dict(
        (await session.execute(sa.insert(case_assignees).values(**row).returning(*case_assignees.c))).one()._mapping
    )


async def add_attempt(session: AsyncSession, row: dict[str, Any]) -> dict[str, Any]:
    """Record an attempt to persuade the family."""
    return dict(
        (await session.execute(sa.insert(case_attempts).values(**row).returning(*case_attempts.c))).one()._mapping
    )


async def add_escalation(session: AsyncSession, row: dict[str, Any]) -> dict[str, Any]:
    """Record a step up the legal ladder."""
    stmt = sa.insert(case_escalations).values(**row).returning(*case_escalations.c)
    return dict((await session.execute(stmt)).one()._mapping)


async def last_escalation_on(session: AsyncSession, case_id: UUID) -> date | None:
    """The date of the case's highest level so far, if any."""
    stmt = sa.select(sa.func.max(case_escalations.c.escalated_on)).where(case_escalations.c.case_id == case_id)
    found: date | None = await session.scalar(stmt)
    return found


async def add_transfer(session: AsyncSession, row: dict[str, Any]) -> dict[str, Any]:
    """Offer a case to another county."""
    return dict(
        (await session.execute(sa.insert(case_transfers).values(**row).returning(*case_transfers.c))).one()._mapping
    )


async def pending_transfer(session: AsyncSession, case_id: UUID) -> dict[str, Any] | None:
    """The transfer of a case still waiting for the receiving county's answer, if any."""
    stmt = sa.select(case_transfers).where(case_transfers.c.case_id == case_id, case_transfers.c.status == "pending")
    return _one((await session.execute(stmt)).first())


async def transfers_of(session: AsyncSession, case_id: UUID) -> list[dict[str, Any]]:
    """Every transfer of a case, oldest first."""
    stmt = sa.select(case_transfers).where(case_transfers.c.case_id == case_id)
    return await _rows(session, stmt.order_by(*TRANSFER_ORDER))


async def answer_transfer(session: AsyncSession, transfer_id: UUID, values: dict[str, Any]) -> dict[str, Any]:
    """Record the receiving county's answer to a transfer."""
    stmt = (
        sa.update(case_transfers)
        .where(case_transfers.c.transfer_id == transfer_id)
        .values(**values)
        .returning(*case_transfers.c)
    )
    return dict((await session.execute(stmt)).one()._mapping)


async def _rows(session: AsyncSession, stmt: sa.Select[Any]) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in await session.execute(stmt)]


async def case_view(session: AsyncSession, case: dict[str, Any]) -> dict[str, Any]:
    """A case with its assignees, attempts, escalations, transfers and timeline lines, each oldest first."""
    case_id = case["case_id"]
    assignees = sa.select(case_assignees).where(case_assignees.c.case_id == case_id)
    attempts = sa.select(case_attempts).where(case_attempts.c.case_id == case_id)
    escalations = sa.select(case_escalations).where(case_escalations.c.case_id == case_id)
    lines = sa.select(
        timeline.c.event_type, timeline.c.producer, timeline.c.occurred_at, timeline.c.actor, timeline.c.summary
    ).where(timeline.c.case_id == case_id)
    return {
        **case,
        "assignees": await _rows(session, assignees.order_by(case_assignees.c.added_at, case_assignees.c.assignee_id)),
        "attempts": await _rows(session, attempts.order_by(case_attempts.c.attempted_on, case_attempts.c.recorded_at)),
        "escalations": await _rows(session, escalations.order_by(case_escalations.c.recorded_at)),
        "transfers": await transfers_of(session, case_id),
        "timeline": await _rows(session, lines.order_by(*oldest_first())),
    }


async def assignee_names(session: AsyncSession, case_id: Any) -> tuple[str, ...]:
    """The names of the people working on a case, first named first."""
    a = case_assignees.c
    found = await session.scalars(sa.select(a.name).where(a.case_id == case_id).order_by(a.added_at, a.assignee_id))
    return tuple(found)
