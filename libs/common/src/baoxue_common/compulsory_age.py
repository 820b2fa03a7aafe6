"""Compulsory-school age (义务教育适龄), the one rule verification's cross-checks and the ledgers share.

The school year of a day starts on 1 September of the day's year (from September on) or of the year before
(January to August); its cut-off is 31 August of that start year. A child is of compulsory-school age on the
day when their age on the cut-off is 6 to 14 inclusive: 6 on the cut-off is grade 1 age, 14 is grade 9 age
(the child turns 15 during that year, the last compulsory one). In birth dates: born 1 September
(start - 15) to 31 August (start - 6), both included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

YOUNGEST, OLDEST = 6, 14  # age on the 31 August cut-off, inclusive


def school_year_start(day: date) -> int:
    """The calendar year the school year containing `day` began in (1 September)."""
    return day.year if day.month >= 9 else day.year - 1


def cut_off(day: date) -> date:
    """31 August of the school year's start: the day ages are taken on."""
    return date(school_year_start(day), 8, 31)


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on a day."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


@dataclass(frozen=True, slots=True)
class BirthWindow:
    """Birth dates of the children of compulsory-school age on a day, both ends included."""

    earliest: date
    latest: date


def compulsory_births(day: date) -> BirthWindow:
    """The birth dates of compulsory-school age on `day` (see the module docstring)."""
    start = school_year_start(day)
    return BirthWindow(earliest=date(start - OLDEST - 1, 9, 1), latest=date(start - YOUNGEST, 8, 31))


def of_compulsory_age(birth_date: date, day: date) -> bool:
    """Whether a child born on `birth_date` is of compulsory-school age on `day`."""
    return YOUNGEST <= age_on(birth_date, cut_off(day)) <= OLDEST
