"""Publish a region's school calendar (校历) for a school year."""

from __future__ import annotations

from datetime import UTC, datetime

from baoxue_common.calendar import Calendar
from baoxue_common.calendar_store import save_calendar
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.attendance import CalendarPublished, Term

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
