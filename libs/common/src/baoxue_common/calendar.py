"""School calendars (校历) and the one school-day rule every service uses.

A school day is Monday to Friday inside a term, minus holidays, plus make-up days (调休上课). A school
uses, for each school year, the nearest calendar above it: its county's, else its city's, its
province's, or the national one (`000000`).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from baoxue_common.regions import region_chain

Problem = tuple[tuple[str | int, ...], str]
"""Where a calendar is wrong (a location inside its body) and why."""


@dataclass(frozen=True, slots=True)
class Term:
    """One term of a school year (学期), both ends included."""

    name: str
    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Calendar:
    """A region's calendar for one school year (`2026-2027`)."""

    region_code: str
    school_year: str
    terms: tuple[Term, ...]
    holidays: frozenset[date] = frozenset()
    makeup_days: frozenset[date] = frozenset()

    @property
    def first_day(self) -> date:
        """The first day of its first term."""
        return min(t.start for t in self.terms)

    @property
    def last_day(self) -> date:
        """The last day of its last term: the school year's end for graduation."""
        return max(t.end for t in self.terms)

    def term_of(self, day: date) -> Term | None:
        """The term a day falls in, if any."""
        return next((t for t in self.terms if day in t), None)

    def is_school_day(self, day: date) -> bool:
        """Inside a term: a make-up day, or a weekday that is not a holiday."""
        if self.term_of(day) is None:
            return False
        return day in self.makeup_days or (day.weekday() < 5 and day not in self.holidays)

    def school_days(self) -> list[date]:
        """Every school day of the year, in order."""
        days: list[date] = []
        for term in sorted(self.terms, key=lambda t: t.start):
            day = term.start
            while day <= term.end:
                if self.is_school_day(day):
                    days.append(day)
                day += timedelta(days=1)
        return days

    def problems(self) -> list[Problem]:
        """Why this calendar cannot be published (empty when it can)."""
        return calendar_problems(self)


def calendar_problems(calendar: Calendar) -> list[Problem]:
    """Check a school year's name, its terms, holidays and make-up days; never raises."""
    problems: list[Problem] = []
    year = calendar.school_year
    if not (len(year) == 9 and year[4] == "-" and year[:4].isdigit() and year[5:].isdigit() and year.isascii()):
        return [(("school_year",), "a school year is written YYYY-YYYY, e.g. 2026-2027")]
    first, second = int(year[:4]), int(year[5:])
    if second != first + 1 or not 1900 <= first <= 2999:
        return [(("school_year",), "the second year must follow the first, e.g. 2026-2027")]
    if not calendar.terms:
        return [(("terms",), "a calendar needs at least one term")]
    opens, closes = date(first, 8, 1), date(second, 8, 31)
    ordered = sorted(enumerate(calendar.terms), key=lambda it: it[1].start)
    for i, term in enumerate(calendar.terms):
        if term.end < term.start:
            problems.append((("terms", i, "end"), f"term ends ({term.end}) before it starts ({term.start})"))
        elif term.start < opens or term.end > closes:
            problems.append((("terms", i), f"a term of {year} must lie between {opens} and {closes}"))
    for k, (j, later) in enumerate(ordered):
        # Compare with every earlier-starting term: a long term may overlap more than its neighbour.
        for _, earlier in ordered[:k]:
            if later.start <= earlier.end:
                problems.append((("terms", j, "start"), f"term {later.name!r} overlaps term {earlier.name!r}"))
                break
    for i, day in enumerate(sorted(calendar.holidays)):
        if calendar.term_of(day) is None:
            problems.append((("holidays", i), f"holiday {day} is outside every term"))
    for i, day in enumerate(sorted(calendar.makeup_days)):
        if calendar.term_of(day) is None:
            problems.append((("makeup_days", i), f"make-up day {day} is outside every term"))
        elif day.weekday() < 5:
            problems.append((("makeup_days", i), f"make-up day {day} is a weekday, not a weekend day"))
        if day in calendar.holidays:
            problems.append((("makeup_days", i), f"{day} is both a holiday and a make-up day"))
    return problems


@dataclass(frozen=True)
class SchoolDays:
    """The school days of one school: for each school year, the nearest calendar above it."""

    calendars: tuple[Calendar, ...]
    _days: list[date] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.calendars, key=lambda c: c.first_day))
        object.__setattr__(self, "calendars", ordered)
        object.__setattr__(self, "_days", sorted({d for c in ordered for d in c.school_days()}))

    @classmethod
    def resolve(cls, county_code: str, published: Mapping[tuple[str, str], Calendar]) -> SchoolDays:
        """Pick, for every school year, the calendar of the nearest region above the county."""
        chosen: dict[str, Calendar] = {}
        for region in reversed(region_chain(county_code)):  # farthest first: nearer ones overwrite
            for (code, year), calendar in published.items():
                if code == region:
                    chosen[year] = calendar
        return cls(tuple(chosen.values()))

    def is_school_day(self, day: date) -> bool:
        """Whether the school teaches on this day."""
        i = bisect.bisect_left(self._days, day)
        return i < len(self._days) and self._days[i] == day

    def calendar_for(self, day: date) -> Calendar | None:
        """The calendar of the school year a day falls in (the latest one begun by then)."""
        begun = [c for c in self.calendars if c.first_day <= day]
        return begun[-1] if begun else None

    def term_of(self, day: date) -> Term | None:
        """The term a day falls in, if any."""
        calendar = self.calendar_for(day)
        return calendar.term_of(day) if calendar else None

    def year_ended(self, day: date) -> bool:
        """Whether the last term of the school year `day` falls in has ended by `day` (graduation)."""
        calendar = self.calendar_for(day)
        return calendar is not None and day > calendar.last_day

    def after(self, day: date, n: int = 1) -> date | None:
        """The n-th school day after `day` (n ≥ 1); None beyond the published calendars."""
        i = bisect.bisect_right(self._days, day) + n - 1
        return self._days[i] if n >= 1 and i < len(self._days) else None

    def before(self, day: date, n: int = 1) -> date | None:
        """The n-th school day before `day` (n ≥ 1); None before the published calendars."""
        i = bisect.bisect_left(self._days, day) - n
        return self._days[i] if n >= 1 and i >= 0 else None

    def count(self, start: date, end: date) -> int:
        """How many school days lie in [start, end], both ends included."""
        if end < start:
            return 0
        return bisect.bisect_right(self._days, end) - bisect.bisect_left(self._days, start)

    def between(self, start: date, end: date) -> list[date]:
        """The school days in [start, end], in order."""
        return self._days[bisect.bisect_left(self._days, start) : bisect.bisect_right(self._days, end)]


def school_days_of(county_code: str, calendars: Iterable[Calendar]) -> SchoolDays:
    """SchoolDays for a county from any calendars (those of unrelated regions are ignored)."""
    return SchoolDays.resolve(county_code, {(c.region_code, c.school_year): c for c in calendars})


def dates(values: Sequence[date] | None) -> frozenset[date]:
    """A set of dates from an optional list."""
    return frozenset(values or ())
