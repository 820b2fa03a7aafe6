"""The copy of published school calendars (校历) each service keeps, built from CalendarPublished."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from baoxue_common.calendar import Calendar, SchoolDays, Term, dates, school_days_of
from baoxue_common.regions import region_chain
from baoxue_common.stamped import StampedCache, table_stamp


def add_calendar_table(metadata: sa.MetaData) -> sa.Table:
    """Define the `calendars` table (one row per region and school year) in a service's metadata."""
    return sa.Table(
        "calendars",
        metadata,
        sa.Column("region_code", sa.String(6), primary_key=True),
        sa.Column("school_year", sa.String(9), primary_key=True),
        sa.Column("terms", JSONB, nullable=False),
        sa.Column("holidays", ARRAY(sa.Date), nullable=False, server_default="{}"),
        sa.Column("makeup_days", ARRAY(sa.Date), nullable=False, server_default="{}"),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


async def save_calendar(
    conn: AsyncConnection | AsyncSession, table: sa.Table, calendar: Calendar, published_at: datetime | None = None
) -> bool:
    """Insert or replace a region's calendar for a school year; return whether anything changed.

    With `published_at` (a copy built from events), an older publication never replaces a newer one.
    """
    row = {
        "region_code": calendar.region_code,
        "school_year": calendar.school_year,
        "terms": [{"name": t.name, "start": t.start.isoformat(), "end": t.end.isoformat()} for t in calendar.terms],
        "holidays": sorted(calendar.holidays),
        "makeup_days": sorted(calendar.makeup_days),
    } | ({"published_at": published_at} if published_at is not None else {})
    stmt = insert(table).values(**row)
    differs = sa.tuple_(table.c.terms, table.c.holidays, table.c.makeup_days).is_distinct_from(
        sa.tuple_(stmt.excluded.terms, stmt.excluded.holidays, stmt.excluded.makeup_days)
    )
    stamp = sa.func.now() if published_at is None else stmt.excluded.published_at
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.region_code, table.c.school_year],
        set_={k: stmt.excluded[k] for k in ("terms", "holidays", "makeup_days")} | {"published_at": stamp},
        where=differs if published_at is None else sa.and_(differs, table.c.published_at < stmt.excluded.published_at),
    )
    if isinstance(conn, AsyncSession):
        _cache(table).forget(conn)  # the session's later reads see the new calendar
    return (await conn.execute(stmt.returning(table.c.region_code))).first() is not None


# SchoolDays resolved per county and per version of its calendars (published_at changes with the content):
# consumers ask once per absence, and listing a year's days costs far more than reading three rows.
_RESOLVED: dict[tuple[Any, ...], SchoolDays] = {}
_RESOLVED_MAX = 4096
# Per process and county, checked once per session (a consumer's poll, a request) against a digest of the
# calendars: a poll of absences from sixty counties asked sixty times. save_calendar on a session re-checks.
_CACHES: dict[str, StampedCache[SchoolDays]] = {}


def _cache(table: sa.Table) -> StampedCache[SchoolDays]:
    if (found := _CACHES.get(table.fullname)) is None:
        found = _CACHES[table.fullname] = StampedCache(table.fullname, table_stamp(table))
    return found


async def school_days(conn: AsyncConnection | AsyncSession, table: sa.Table, county_code: str) -> SchoolDays:
    """The school days of a county's schools, from the calendars of the county and the regions above it.

    On a session they come from a per-process cache checked once per session (see `_CACHES`).
    """
    if not isinstance(conn, AsyncSession):
        return await _read_school_days(conn, table, county_code)
    return await _cache(table).get(conn, county_code, lambda: _read_school_days(conn, table, county_code))


async def _read_school_days(conn: AsyncConnection | AsyncSession, table: sa.Table, county_code: str) -> SchoolDays:
    result = await conn.execute(sa.select(table).where(table.c.region_code.in_(region_chain(county_code))))
    rows = [dict(r._mapping) for r in result]
    key = (county_code, *sorted((r["region_code"], r["school_year"], r["published_at"]) for r in rows))
    if (found := _RESOLVED.get(key)) is None:
        if len(_RESOLVED) >= _RESOLVED_MAX:
            _RESOLVED.clear()
        found = _RESOLVED[key] = school_days_of(county_code, (calendar_of(r) for r in rows))
    return found


def calendar_of(row: Mapping[str, Any]) -> Calendar:
    """A Calendar from a stored row."""
    terms = tuple(Term(t["name"], date.fromisoformat(t["start"]), date.fromisoformat(t["end"])) for t in row["terms"])
    return Calendar(row["region_code"], row["school_year"], terms, dates(row["holidays"]), dates(row["makeup_days"]))
