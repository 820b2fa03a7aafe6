"""Queries and writes of the case lifecycle (cases following events, rules and calendars), in a unit of work."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from baoxue_common import rules_store
from baoxue_common.rules_store import Overrides
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.adapters.cases_repository import update_case as update_case
from ledger.adapters.orm import cases, rules

RULE_COLUMNS = ("return_consolidation_school_days", "home_visit_after_consecutive_unexcused")


async def lock_child(session: AsyncSession, child_key: str) -> None:
    """Serialise the changes of one child's cases until the transaction ends (two suspicions, a leave)."""
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(child_key, 14))))


async def case_of_suspicion(session: AsyncSession, suspicion_id: UUID) -> dict[str, Any] | None:
    """The case a suspicion opened, if any."""
    row = (await session.execute(sa.select(cases).where(cases.c.suspicion_id == suspicion_id))).first()
    return dict(row._mapping) if row else None


async def latest_case_of_child(session: AsyncSession, child_key: str) -> dict[str, Any] | None:
    """The child's most recent case, locked until the unit of work ends; None when it has none."""
    stmt = (
        sa.select(cases)
        .where(cases.c.child_key == child_key)
        .order_by(cases.c.confirmed_on.desc(), cases.c.updated_at.desc())
        .limit(1)
        .with_for_update()
    )
    row = (await session.execute(stmt)).first()
    return dict(row._mapping) if row else None


async def cases_of_students(
    session: AsyncSession, student_ids: Collection[str], statuses: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    """Pupils' cases in the given statuses by student number, locked until the unit of work ends (one query)."""
    stmt = (
        sa.select(cases)  # a pupil's child key is its student number: the indexed column
        .where(cases.c.child_key.in_(list(student_ids)), cases.c.status.in_(list(statuses)))
        .order_by(cases.c.case_id)
        .with_for_update()
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for r in await session.execute(stmt):
        found.setdefault(r.child_key, []).append(dict(r._mapping))
    return found


async def add_case(session: AsyncSession, row: dict[str, Any]) -> dict[str, Any] | None:
    """Open a case once per suspicion; return its whole row, or None when the suspicion already has one."""
    stmt = insert(cases).values(**row).on_conflict_do_nothing(index_elements=[cases.c.suspicion_id])
    added = (await session.execute(stmt.returning(*cases.c))).first()
    return dict(added._mapping) if added else None


async def returned_cases(session: AsyncSession, counties: Collection[str] | None) -> list[dict[str, Any]]:
    """Every returned case with a consolidation start (of `counties`, None: all), locked, skipping busy ones."""
    stmt = sa.select(cases).where(cases.c.status == "returned", cases.c.consolidation_from.is_not(None))
    if counties is not None:
        stmt = stmt.where(cases.c.county_code.in_(list(counties)))
    stmt = stmt.order_by(cases.c.county_code, cases.c.case_id).with_for_update(skip_locked=True)
    return [dict(r._mapping) for r in await session.execute(stmt)]


async def save_rules(session: AsyncSession, region_code: str, values: dict[str, int | None]) -> None:
    """Replace a region's own values of the rules the ledger uses (None: inherited)."""
    row = {"region_code": region_code} | {name: values.get(name) for name in RULE_COLUMNS}
    stmt = insert(rules).values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=[rules.c.region_code],
        set_={name: stmt.excluded[name] for name in RULE_COLUMNS} | {"updated_at": sa.func.now()},
    )
    await session.execute(stmt)


async def chain_overrides(session: AsyncSession, county_code: str) -> Overrides:
    """The values the county and the regions above it set themselves, per region."""
    return await rules_store.chain_overrides(session, rules, county_code, RULE_COLUMNS)
