"""Absence streaks: consecutive unexcused school days ending on a day (连续旷课)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, timedelta


def previous_school_day(day: date, is_school_day: Callable[[date], bool]) -> date:
    """The school day before `day`."""
    day -= timedelta(days=1)
    while not is_school_day(day):
        day -= timedelta(days=1)
    return day


def streak_ending(unexcused: Collection[date], until: date, is_school_day: Callable[[date], bool]) -> list[date]:
    """The run of consecutive unexcused school days that ends on `until` (empty if `until` is not one)."""
    run: list[date] = []
    day = until
    while day in unexcused:
        run.append(day)
        day = previous_school_day(day, is_school_day)
    run.reverse()
    return run


def weekdays(day: date) -> bool:
    """Monday to Friday: the school-day rule until region calendars reach verification."""
    return day.weekday() < 5
