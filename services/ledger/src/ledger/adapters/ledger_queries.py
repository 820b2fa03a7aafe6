"""Reads of the three ledgers: filtered, sorted pages and batched streams, today or as of a past day."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.adapters.orm import access_log, cases, school_age, suspected
from ledger.domain.exports import LedgerSpec, parse_sort

TABLES: dict[str, sa.Table] = {"school_age": school_age, "suspected": suspected, "dropouts": cases}
BATCH = 2000


@dataclass(frozen=True)
class Filters:
    """What a caller narrows a ledger to."""

    school_code: str | None = None
    status: str | None = None
    group: str | None = None
    poverty_household: bool | None = None
    from_day: date | None = None
    to_day: date | None = None
    as_of: date | None = None
    suspicion_id: UUID | None = None


def as_of_source(spec: LedgerSpec, county_code: str, as_of: date, status: str | None = None) -> Any:
    """The ledger as it stood at the end of `as_of`: each entry's latest kept state, removed ones left out.

    The kept JSON state is typed back into the table's columns (jsonb_populate_record), so the filters and sorts
    of today's ledger apply unchanged; a state whose row says `"removed": true` is an entry that had left.
    A status filter is applied before the typing too (fewer states to type; the outer filter still holds).
    """
    table = TABLES[spec.key]
    sql = sa.text(
        f"SELECT {', '.join(_kept_column(c) for c in table.columns)} FROM ("
        " SELECT l.row FROM ("
        "  SELECT DISTINCT ON (entry_id) seq FROM ledger.ledger_history"
        "  WHERE ledger = :asof_ledger AND county_code = :asof_county AND changed_on <= :asof_day"
        "  ORDER BY entry_id DESC, changed_on DESC, seq DESC"
        " ) AS latest JOIN ledger.ledger_history AS l USING (seq)"
        " WHERE NOT coalesce((l.row ->> 'removed')::boolean, false)"
        " AND (CAST(:asof_status AS text) IS NULL OR l.row ->> 'status' = :asof_status)"
        " OFFSET 0"  # a fence: only the chosen states are typed, not every kept one
        f") AS kept, jsonb_populate_record(NULL::ledger.{table.name}, kept.row) AS r"
    ).bindparams(
        sa.bindparam("asof_ledger", spec.key, type_=sa.Text),
        sa.bindparam("asof_county", county_code, type_=sa.Text),
        sa.bindparam("asof_day", as_of, type_=sa.Date),
        sa.bindparam("asof_status", status, type_=sa.Text),
    )
    return sql.columns(*(sa.column(c.name, c.type) for c in table.columns)).subquery("asof")


def _kept_column(column: sa.Column[Any]) -> str:
    """A column of a kept state; one the state lacks takes the table's default (an empty array, false, 0)."""
    fallback = {"ARRAY": "'{}'", "BOOLEAN": "false", "INTEGER": "0"}.get(column.type.__visit_name__.upper())
    if column.nullable or fallback is None:
        return f"r.{column.name}"
    return f"coalesce(r.{column.name}, {fallback}) AS {column.name}"


def source_of(spec: LedgerSpec, county_code: str, f: Filters) -> Any:
    """The table, or the as-of set of rows, a read selects from."""
    return as_of_source(spec, county_code, f.as_of, f.status) if f.as_of else TABLES[spec.key]


def conditions(spec: LedgerSpec, src: Any, county_code: str, f: Filters) -> list[Any]:
    """The WHERE of a read: county, school, status (the ledger's default hides some), group, poverty, dates."""
    c = src.c
    where = [c.county_code == county_code]
    if f.school_code:
        where.append(c.school_code == f.school_code)
    if f.suspicion_id:
        where.append(c.suspicion_id == f.suspicion_id)
    if f.status:
        where.append(c.status == f.status)
    elif spec.hidden_by_default:
        where.append(c.status.not_in(sorted(spec.hidden_by_default)))
    if f.group:
        where.append(c.groups.any(f.group))
    if f.poverty_household is not None:
        where.append(c.poverty_household.is_(f.poverty_household))
    if f.from_day:
        where.append(c[spec.main_date] >= f.from_day)
    if f.to_day:
        where.append(c[spec.main_date] <= f.to_day)
    return where


def ordering(spec: LedgerSpec, src: Any, sort: str | None) -> list[Any]:
    """ORDER BY the whitelisted column, then the entry id the same way, so pages never overlap.

    The id follows the column's direction (and NULLs go last only on nullable columns) so that an index on
    (county, status, date, id) is walked as it is, backward for a descending sort, and the page stops early.
    """
    column, descending = parse_sort(spec, sort)
    table_column = TABLES[spec.key].c[column]
    keys = [src.c[column], src.c[spec.id_column]]
    ordered = [k.desc() if descending else k.asc() for k in keys]
    if table_column.nullable:
        ordered[0] = ordered[0].nulls_last()
    return ordered


async def page(
    session: AsyncSession, spec: LedgerSpec, county_code: str, f: Filters, sort: str | None, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """The total matching and one page of entries."""
    src = source_of(spec, county_code, f)
    where = conditions(spec, src, county_code, f)
    stmt = sa.select(src).where(*where).order_by(*ordering(spec, src, sort)).limit(limit).offset(offset)
    if f.as_of:  # one pass over the day's states: the total rides along as a window count
        result = await session.execute(stmt.add_columns(sa.func.count().over().label("_total")))
        rows = [dict(r._mapping) for r in result]
        totals = [row.pop("_total") for row in rows]
        if rows or offset == 0:
            return (totals[0] if totals else 0), rows
    total = await session.scalar(sa.select(sa.func.count()).select_from(src).where(*where)) or 0
    return total, [dict(r._mapping) for r in await session.execute(stmt)]


async def count(session: AsyncSession, spec: LedgerSpec, county_code: str, f: Filters) -> int:
    """How many entries match."""
    src = source_of(spec, county_code, f)
    stmt = sa.select(sa.func.count()).select_from(src).where(*conditions(spec, src, county_code, f))
    return await session.scalar(stmt) or 0


async def stream(
    session: AsyncSession, spec: LedgerSpec, county_code: str, f: Filters, sort: str | None
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every matching entry in order, in batches read through a server-side cursor."""
    src = source_of(spec, county_code, f)
    stmt = sa.select(src).where(*conditions(spec, src, county_code, f)).order_by(*ordering(spec, src, sort))
    result = await session.stream(stmt.execution_options(yield_per=BATCH))
    async for part in result.partitions():
        yield [dict(r._mapping) for r in part]


async def school_in_county(session: AsyncSession, county_code: str, school_code: str) -> bool:
    """Whether the county's ledgers hold any entry of this school."""
    found = sa.union_all(
        *(
            sa.select(sa.literal(1)).where(t.c.county_code == county_code, t.c.school_code == school_code).limit(1)
            for t in TABLES.values()
        )
    )
    return (await session.execute(sa.select(sa.exists(found.subquery().select())))).scalar() is True


async def access_page(
    session: AsyncSession, county_code: str, *, action: str | None, actor: str | None, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """A page of the county's read-access log, newest first."""
    c = access_log.c
    where = [c.county_code == county_code]
    if action:
        where.append(c.action == action)
    if actor:
        where.append(c.actor == actor)
    total = await session.scalar(sa.select(sa.func.count()).select_from(access_log).where(*where)) or 0
    stmt = (
        sa.select(c.read_at, c.actor, c.scope, c.action, c.subject, c.detail)
        .where(*where)
        .order_by(c.read_at.desc(), c.seq.desc())
        .limit(limit)
        .offset(offset)
    )
    return total, [dict(r._mapping) for r in await session.execute(stmt)]
