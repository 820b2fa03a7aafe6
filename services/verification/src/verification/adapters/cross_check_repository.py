"""The three comparisons as set-based SQL over every county's pupils, and the runs' findings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from verification.adapters.orm import cross_check_findings, cross_check_runs
from verification.adapters.registries_repository import driver
from verification.domain.cross_checks import BirthWindow

V = "verification"
CROSS_CHECK_LOCK = 0x6363_6B73  # one run at a time system-wide: runs of two counties may find the same child
# On an active roll anywhere, in any county.
_ON_A_ROLL = (
    f"EXISTS (SELECT 1 FROM {V}.pupils p WHERE p.national_id_hash = {{alias}}.national_id_hash AND p.left_on IS NULL)"
)
_GROUPS = (
    f"coalesce((SELECT g.groups FROM {V}.group_children g"
    " WHERE g.county_code = $2 AND g.national_id_hash = {alias}.national_id_hash), '{{}}')"
)
_POOR = (
    f"EXISTS (SELECT 1 FROM {V}.poverty_children pc"
    " WHERE pc.county_code = $2 AND pc.national_id_hash = {alias}.national_id_hash)"
)
_COLUMNS = (
    "run_id, kind, national_id_hash, national_id_masked, name, birth_date,"
    " student_id, school_code, groups, poverty_household"
)

OUT_OF_SCHOOL = f"""
INSERT INTO {V}.cross_check_findings ({_COLUMNS})
SELECT $1, 'out_of_school', h.national_id_hash, h.national_id_masked, h.name, h.birth_date, NULL, NULL,
       {_GROUPS.format(alias="h")}, {_POOR.format(alias="h")}
FROM {V}.household_children h
WHERE h.county_code = $2 AND h.birth_date BETWEEN $3 AND $4 AND NOT {_ON_A_ROLL.format(alias="h")}
"""

NOT_ATTENDING = f"""
INSERT INTO {V}.cross_check_findings ({_COLUMNS})
SELECT $1, 'not_attending', p.national_id_hash, reg.national_id_masked, reg.name, reg.birth_date,
       p.student_id, p.school_code,
       ARRAY(SELECT DISTINCT unnest(p.groups || {_GROUPS.format(alias="p")}) ORDER BY 1),
       p.poverty_household OR {_POOR.format(alias="p")}
FROM {V}.pupils p
LEFT JOIN LATERAL (
    SELECT h.national_id_masked, h.name, h.birth_date FROM {V}.household_children h
    WHERE h.national_id_hash = p.national_id_hash ORDER BY h.county_code <> $2 LIMIT 1
) reg ON true
WHERE p.county_code = $2 AND p.left_on IS NULL AND coalesce(p.last_recorded_on, p.enrolled_on) < $3
"""

POVERTY_DROPOUT = f"""
INSERT INTO {V}.cross_check_findings ({_COLUMNS})
SELECT $1, 'poverty_dropout', pc.national_id_hash, pc.national_id_masked, reg.name, pc.birth_date, NULL, NULL,
       {_GROUPS.format(alias="pc")}, true
FROM {V}.poverty_children pc
LEFT JOIN LATERAL (
    SELECT h.name FROM {V}.household_children h
    WHERE h.national_id_hash = pc.national_id_hash ORDER BY h.county_code <> $2 LIMIT 1
) reg ON true
WHERE pc.county_code = $2 AND pc.birth_date BETWEEN $3 AND $4 AND NOT {_ON_A_ROLL.format(alias="pc")}
"""


def _inserted(status: str) -> int:
    return int(status.split()[-1])


async def lock_runs(session: AsyncSession) -> None:
    """Serialise cross-check runs until the transaction ends."""
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(CROSS_CHECK_LOCK)))


async def find_out_of_school(session: AsyncSession, run_id: uuid.UUID, county: str, born: BirthWindow) -> int:
    """Children of the county's household register of school age on no active roll anywhere."""
    return _inserted(await (await driver(session)).execute(OUT_OF_SCHOOL, run_id, county, born.earliest, born.latest))


async def find_not_attending(session: AsyncSession, run_id: uuid.UUID, county: str, before: date) -> int:
    """Pupils on the county's rolls last recorded (or, never recorded, enrolled) before `before`."""
    return _inserted(await (await driver(session)).execute(NOT_ATTENDING, run_id, county, before))


async def find_poverty_dropouts(session: AsyncSession, run_id: uuid.UUID, county: str, born: BirthWindow) -> int:
    """Children of the county's poverty households of school age on no active roll anywhere."""
    return _inserted(await (await driver(session)).execute(POVERTY_DROPOUT, run_id, county, born.earliest, born.latest))


async def add_run(session: AsyncSession, run_id: uuid.UUID, county: str, run_on: date, counts: dict[str, int]) -> None:
    """Record a run and its counts per kind."""
    await session.execute(
        sa.insert(cross_check_runs).values(run_id=run_id, county_code=county, run_on=run_on, **counts)
    )


async def findings_of(session: AsyncSession, run_id: uuid.UUID) -> list[sa.Row[Any]]:
    """Every finding of a run, a child's findings together."""
    rows = await session.execute(
        sa.select(cross_check_findings)
        .where(cross_check_findings.c.run_id == run_id)
        .order_by(
            sa.func.coalesce(cross_check_findings.c.student_id, cross_check_findings.c.national_id_hash),
            cross_check_findings.c.finding_id,
        )
    )
    return list(rows)


async def open_suspicions_by_hash(
    session: AsyncSession, run_id: uuid.UUID, hashes: Sequence[str]
) -> dict[str, uuid.UUID]:
    """The open suspicion an earlier cross-check opened for each child (by ID hash) that has one."""
    rows = await (await driver(session)).fetch(
        f"SELECT DISTINCT ON (f.national_id_hash) f.national_id_hash, f.suspicion_id "
        f"FROM {V}.cross_check_findings f JOIN {V}.suspicions s ON s.suspicion_id = f.suspicion_id "
        "WHERE s.status = 'open' AND f.run_id <> $1 AND f.national_id_hash = ANY($2::text[]) "
        "ORDER BY f.national_id_hash, f.finding_id DESC",
        run_id,
        list(hashes),
    )
    return {r["national_id_hash"]: r["suspicion_id"] for r in rows}


async def set_suspicions(session: AsyncSession, finding_ids: Sequence[int], suspicion_ids: Sequence[uuid.UUID]) -> None:
    """Attach each finding to the suspicion its child has."""
    await (await driver(session)).execute(
        f"UPDATE {V}.cross_check_findings f SET suspicion_id = s.suspicion_id "
        "FROM unnest($1::bigint[], $2::uuid[]) AS s(finding_id, suspicion_id) WHERE f.finding_id = s.finding_id",
        list(finding_ids),
        list(suspicion_ids),
    )


async def run_of(session: AsyncSession, run_id: uuid.UUID) -> sa.Row[Any] | None:
    """A run, if recorded."""
    return (await session.execute(sa.select(cross_check_runs).where(cross_check_runs.c.run_id == run_id))).first()


async def page_of(
    session: AsyncSession, run_id: uuid.UUID, kind: str | None, limit: int, offset: int
) -> list[sa.Row[Any]]:
    """A page of a run's findings, of one kind or all, in kind and finding order."""
    f = cross_check_findings
    stmt = sa.select(f).where(f.c.run_id == run_id)
    if kind is not None:
        stmt = stmt.where(f.c.kind == kind)
    rows = await session.execute(stmt.order_by(f.c.kind, f.c.finding_id).limit(limit).offset(offset))
    return list(rows)
