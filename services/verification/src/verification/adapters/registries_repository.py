"""Storage of the county registries: a whole list COPYed into a temporary table, then merged set-based."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from verification.adapters.orm import SCHEMA, group_children, household_children, poverty_children, registries

TABLES: dict[str, sa.Table] = {"household": household_children, "poverty": poverty_children, "groups": group_children}
KEY = ("county_code", "national_id_hash")
ANALYZE_AFTER = 10_000  # rows changed: the planner's statistics of a registry that grew or shrank a lot go stale


@dataclass(frozen=True, slots=True)
class Counts:
    """How a replacement changed a registry."""

    added: int
    changed: int
    removed: int
    unchanged: int


async def driver(session: AsyncSession) -> Any:
    """The asyncpg connection of the session's transaction (begun first: SQLAlchemy begins it lazily)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    if raw.driver_connection is None or not raw.driver_connection.is_in_transaction():
        await conn.exec_driver_sql("SELECT 1")
    return raw.driver_connection


async def lock(session: AsyncSession, county: str, kind: str) -> None:
    """Serialise replacements of one registry of one county until the transaction ends."""
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"registry:{county}:{kind}"))))


async def stored_as_of(session: AsyncSession, county: str, kind: str) -> date | None:
    """The as_of date of the registry on record, if any."""
    return await session.scalar(
        sa.select(registries.c.as_of).where(registries.c.county_code == county, registries.c.kind == kind)
    )


async def set_as_of(session: AsyncSession, county: str, kind: str, as_of: date, children: int) -> None:
    """Record the registry's new as_of date and size."""
    stmt = insert(registries).values(county_code=county, kind=kind, as_of=as_of, children=children)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[registries.c.county_code, registries.c.kind],
            set_={"as_of": as_of, "children": children, "updated_at": sa.func.now()},
        )
    )


Before = Callable[[Any], Awaitable[object]]
"""Called with the driver connection once `incoming` holds the new registry, before the merge."""


async def replace(
    session: AsyncSession, kind: str, county: str, records: Sequence[tuple[Any, ...]], before: Before | None = None
) -> Counts:
    """Make the county's registry exactly `records` (rows of the table's columns in order, county first)."""
    table = TABLES[kind]
    columns = [c.name for c in table.columns]
    values = [c for c in columns if c not in KEY]
    name = f'"{SCHEMA}"."{table.name}"'
    conn = await driver(session)
    await conn.execute(f"CREATE TEMP TABLE incoming (LIKE {name}) ON COMMIT DROP")
    await conn.copy_records_to_table("incoming", records=records, columns=columns)
    if before is not None:
        await before(conn)
    removed = await conn.fetchval(
        f"WITH gone AS (DELETE FROM {name} r WHERE r.county_code = $1 AND NOT EXISTS "
        "(SELECT 1 FROM incoming i WHERE i.national_id_hash = r.national_id_hash) RETURNING 1) "
        "SELECT count(*) FROM gone",
        county,
    )
    differs = " OR ".join(f"r.{c} IS DISTINCT FROM excluded.{c}" for c in values)
    added, changed = await conn.fetchrow(
        f"WITH up AS (INSERT INTO {name} AS r ({', '.join(columns)}) SELECT {', '.join(columns)} FROM incoming "
        f"ON CONFLICT (county_code, national_id_hash) DO UPDATE SET "
        f"{', '.join(f'{c} = excluded.{c}' for c in values)} WHERE {differs} RETURNING (r.xmax = 0) AS added) "
        "SELECT count(*) FILTER (WHERE added), count(*) FILTER (WHERE NOT added) FROM up"
    )
    await conn.execute("DROP TABLE incoming")
    if removed + added >= ANALYZE_AFTER:
        await conn.execute(f"ANALYZE {name}")
    return Counts(added=added, changed=changed, removed=removed, unchanged=len(records) - added - changed)
