"""Absence streaks: consecutive unexcused school days ending on a day (连续旷课)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from baoxue_common.calendar import SchoolDays


def streak_ending(unexcused: Collection[date], until: date, days: SchoolDays) -> list[date]:
    """The run of consecutive unexcused school days that ends on `until` (empty if `until` is not one).

    Days that are not school days (weekends, holidays, the break between terms) neither count nor break the run.
    """
    run: list[date] = []
    day: date | None = until if days.is_school_day(until) else None
    while day is not None and day in unexcused:
        run.append(day)
        day = days.before(day)
    run.reverse()
    return run


def can_judge(days: SchoolDays, day: date) -> bool:
    """Whether the calendars known say what `day` was: it lies within them (else it waits for a calendar)."""
    return bool(days.calendars) and days.calendars[0].first_day <= day <= max(c.last_day for c in days.calendars)
