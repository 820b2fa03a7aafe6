"""Absence runs (连续旷课) and term totals (累计旷课) of unexcused school days, and what they call for.

How a run is counted, on the school days of the pupil's county calendar:

- A run is the whole stretch of consecutive unexcused school days that contains a day, found by walking
  both backwards and forwards from it, so days may arrive in any order (Tuesday to Friday first, then
  Monday late, is one run of five).
- Weekends, holidays and the break between terms are no school days: they neither count nor break a run.
- An excused absence (请假) neither breaks nor extends a run: it is stepped over and not counted.
- A school day with no record, or with a presence, is not an absence: it breaks the run.
- The cumulative total counts the unexcused school days in the term of the day only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from typing import Literal

from baoxue_common.calendar import SchoolDays
from baoxue_common.rules import Rules


def run_containing(day: date, unexcused: Collection[date], excused: Collection[date], days: SchoolDays) -> list[date]:
    """The unexcused school days of the run that contains `day`, oldest first (empty if `day` is in none)."""
    if not days.is_school_day(day) or (day not in unexcused and day not in excused):
        return []
    run = [day] if day in unexcused else []
    for step in (days.before, days.after):
        run += _walk(day, step, unexcused, excused)
    return sorted(run)


def _walk(
    day: date, step: Callable[[date], date | None], unexcused: Collection[date], excused: Collection[date]
) -> list[date]:
    """The unexcused days met from `day` (excluded) in one direction, up to the first school day not absent."""
    met: list[date] = []
    current = step(day)
    while current is not None and (current in unexcused or current in excused):
        if current in unexcused:
            met.append(current)
        current = step(current)
    return met


def unexcused_in_term(day: date, unexcused: Collection[date], days: SchoolDays) -> list[date]:
    """The unexcused school days of the term `day` falls in, oldest first (empty outside every term)."""
    term = days.term_of(day)
    if term is None:
        return []
    return sorted(d for d in unexcused if term.start <= d <= term.end and days.is_school_day(d))


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a pupil's absences around a day call for."""

    run: list[date]
    in_term: list[date]
    warn: bool
    suspect_by: Literal["consecutive", "cumulative"] | None

    @property
    def suspect_reason(self) -> str | None:
        """Why the pupil is a suspect, in words, if they are."""
        if self.suspect_by == "consecutive":
            return f"{len(self.run)} consecutive school days of unexcused absence from {self.run[0]} to {self.run[-1]}"
        if self.suspect_by == "cumulative":
            return f"cumulative: {len(self.in_term)} school days of unexcused absence in the term by {self.in_term[-1]}"
        return None

    @property
    def grounds(self) -> tuple[date, date] | None:
        """The first and last day the suspicion rests on (the run, else the term's absences)."""
        basis = {"consecutive": self.run, "cumulative": self.in_term}.get(self.suspect_by or "")
        return (basis[0], basis[-1]) if basis else None


def assess(
    day: date, unexcused: Collection[date], excused: Collection[date], days: SchoolDays, rules: Rules
) -> Assessment:
    """Judge the run containing `day` and the term's total against the thresholds."""
    run = run_containing(day, unexcused, excused, days)
    in_term = unexcused_in_term(day, unexcused, days)
    by: Literal["consecutive", "cumulative"] | None = None
    if len(run) >= rules.suspect_after_consecutive_unexcused:
        by = "consecutive"
    elif len(in_term) >= rules.suspect_after_cumulative_unexcused_in_term:
        by = "cumulative"
    return Assessment(run, in_term, len(run) >= rules.home_visit_after_consecutive_unexcused, by)


def still_grounded(
    grounds: tuple[date, date], unexcused: Collection[date], excused: Collection[date], days: SchoolDays, rules: Rules
) -> bool:
    """Whether the unexcused days left within a suspicion's grounds still meet either threshold."""
    start, end = grounds
    for day in sorted(d for d in unexcused if start <= d <= end):
        if assess(day, unexcused, excused, days, rules).suspect_by is not None:
            return True
    return False


def can_judge(days: SchoolDays, day: date) -> bool:
    """Whether the calendars known say what `day` was: it lies within them (else it waits for a calendar)."""
    return bool(days.calendars) and days.calendars[0].first_day <= day <= max(c.last_day for c in days.calendars)
