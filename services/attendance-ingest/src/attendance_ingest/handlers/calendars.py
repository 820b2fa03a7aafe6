"""Publish a region's school calendar (校历) for a school year, and read the published ones."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from baoxue_common.calendar import Calendar
from baoxue_common.calendar_store import calendar_of, save_calendar, school_days
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.attendance import CalendarPublished, Term
from sqlalchemy.ext.asyncio import AsyncEngine

from attendance_ingest.adapters.orm import calendars


async def publish_calendar(uow: UnitOfWork, calendar: Calendar) -> bool:
    """Store a checked calendar; emit CalendarPublished when it differs from the one on record."""
    async with uow:
        changed = await save_calendar(uow.session, calendars, calendar)
        if changed:
            event = CalendarPublished(
                region_code=calendar.region_code,
                school_year=calendar.school_year,
                terms=tuple(Term(name=t.name, start=t.start, end=t.end) for t in calendar.terms),
                holidays=tuple(sorted(calendar.holidays)),
                makeup_days=tuple(sorted(calendar.makeup_days)),
            )
            uow.emit(event, region=calendar.region_code, occurred_at=datetime.now(UTC))
        await uow.commit()
        return changed


async def region_calendar(engine: AsyncEngine, region_code: str, school_year: str) -> Calendar | None:
    """A region's own published calendar for a school year."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa.select(calendars).where(
                    calendars.c.region_code == region_code, calendars.c.school_year == school_year
                )
            )
        ).first()
    return calendar_of(dict(row._mapping)) if row else None


async def effective_calendar(engine: AsyncEngine, county_code: str, school_year: str) -> Calendar | None:
    """The calendar a county's schools use for a school year: the nearest one published above them."""
    async with engine.connect() as conn:
        days = await school_days(conn, calendars, county_code)
    return next((c for c in days.calendars if c.school_year == school_year), None)
