"""Reporting periods (统计周期): a month, quarter, semester, school year or two months, as a run of months."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from baoxue_contracts.topics import Tier

PeriodKind = Literal["month", "quarter", "semester", "school_year", "bimonth"]
CADENCE: dict[Tier, PeriodKind] = {
    "school": "month",
    "county": "quarter",
    "city": "semester",
    "province": "school_year",
    "national": "bimonth",
}
"""Each tier's reporting cadence: the period its stats topic and its report are keyed by."""

_PATTERNS: dict[PeriodKind, re.Pattern[str]] = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "semester": re.compile(r"^(\d{4})-S([12])$"),
    "school_year": re.compile(r"^(\d{4})-(\d{4})$"),
    "bimonth": re.compile(r"^(\d{4})-B([1-6])$"),
}
EXAMPLES: dict[PeriodKind, str] = {
    "month": "2026-03",
    "quarter": "2026-Q1",
    "semester": "2026-S1",
    "school_year": "2026-2027",
    "bimonth": "2026-B1",
}


def month_of(day: date) -> date:
    """The first day of the month `day` is in: the key counters are kept by."""
    return date(day.year, day.month, 1)


def _add_months(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period: its label (e.g. `2026-Q1`) and the months it covers, first to last."""

    kind: PeriodKind
    label: str
    first_month: date
    months_count: int

    @property
    def months(self) -> tuple[date, ...]:
        """The first day of each month in the period."""
        return tuple(_add_months(self.first_month, i) for i in range(self.months_count))

    @property
    def start(self) -> date:
        """The period's first day."""
        return self.first_month

    @property
    def end(self) -> date:
        """The period's last day."""
        return date.fromordinal(_add_months(self.first_month, self.months_count).toordinal() - 1)

    @property
    def last_month(self) -> date:
        """The first day of the period's last month."""
        return _add_months(self.first_month, self.months_count - 1)


def parse_period(kind: PeriodKind, text: str) -> Period:
    """The period a label names; ValueError saying what is expected otherwise.

    Semesters: S1 is the autumn term of YYYY (September to January), S2 the spring term of YYYY+1
    (February to August). A school year YYYY-YYYY runs September to August.
    """
    found = _PATTERNS[kind].match(text)
    if found is None:
        raise ValueError(f"expected a {kind.replace('_', ' ')} like {EXAMPLES[kind]}, got {text!r}")
    year, n = int(found.group(1)), found.group(2)
    if not 1900 <= year <= 2999:
        raise ValueError(f"year {year} is out of range")
    if kind == "month":
        return Period(kind, text, date(year, int(n), 1), 1)
    if kind == "quarter":
        return Period(kind, text, date(year, 3 * int(n) - 2, 1), 3)
    if kind == "semester":
        return Period(kind, text, date(year, 9, 1), 5) if n == "1" else Period(kind, text, date(year + 1, 2, 1), 7)
    if kind == "school_year":
        if int(n) != year + 1:
            raise ValueError(f"a school year is two consecutive years like {EXAMPLES[kind]}, got {text!r}")
        return Period(kind, text, date(year, 9, 1), 12)
    return Period(kind, text, date(year, 2 * int(n) - 1, 1), 2)


@functools.lru_cache(maxsize=4096)
def period_of(kind: PeriodKind, day: date) -> Period:
    """The period of a kind that contains `day` (cached: every counter delta asks)."""
    y, m = day.year, day.month
    if kind == "month":
        return parse_period(kind, f"{y}-{m:02d}")
    if kind == "quarter":
        return parse_period(kind, f"{y}-Q{(m - 1) // 3 + 1}")
    if kind == "semester":
        if m >= 9:
            return parse_period(kind, f"{y}-S1")
        return parse_period(kind, f"{y - 1}-S1") if m == 1 else parse_period(kind, f"{y - 1}-S2")
    if kind == "school_year":
        start = y if m >= 9 else y - 1
        return parse_period(kind, f"{start}-{start + 1}")
    return parse_period(kind, f"{y}-B{(m - 1) // 2 + 1}")


def previous_period(period: Period) -> Period:
    """The period of the same kind just before (for trends)."""
    return period_of(period.kind, date.fromordinal(period.start.toordinal() - 1))
