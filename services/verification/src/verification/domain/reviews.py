"""Runs of excused absence (连续请假) long enough to need a second look (复核): sick notes can hide a dropout.

How an excused run is counted, on the school days of the pupil's county calendar, like an unexcused run
(domain.streaks) with the roles swapped:

- It is the whole stretch of consecutive excused school days containing a day, walking both ways, so days
  may arrive in any order.
- Weekends, holidays and the break between terms neither count nor break it.
- A school day with no record, a presence, or an unexcused absence breaks it: an unexcused day is a
  different matter (the warnings and suspects of domain.streaks), and the excused days on either side of
  it are two runs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date

from baoxue_common.calendar import SchoolDays


def excused_run_containing(day: date, excused: Collection[date], days: SchoolDays) -> list[date]:
    """The excused school days of the run that contains `day`, oldest first (empty if `day` is in none)."""
    if not days.is_school_day(day) or day not in excused:
        return []
    return sorted([day, *_walk(day, days.before, excused), *_walk(day, days.after, excused)])


def _walk(day: date, step: Callable[[date], date | None], excused: Collection[date]) -> list[date]:
    """The excused days met from `day` (excluded) in one direction, up to the first school day not excused."""
    met: list[date] = []
    current = step(day)
    while current is not None and current in excused:
        met.append(current)
        current = step(current)
    return met


def needs_review(run: list[date], threshold: int) -> bool:
    """Whether an excused run is long enough to need a review."""
    return bool(run) and len(run) >= threshold
