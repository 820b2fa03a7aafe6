"""Reporting periods: labels, the months they cover, and the period a day falls in."""

from __future__ import annotations

from datetime import date

import pytest
from reporting.domain.periods import parse_period, period_of, previous_period


@pytest.mark.parametrize(
    ("kind", "label", "start", "end"),
    [
        ("month", "2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("quarter", "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("semester", "2026-S1", date(2026, 9, 1), date(2027, 1, 31)),
        ("semester", "2026-S2", date(2027, 2, 1), date(2027, 8, 31)),
        ("school_year", "2026-2027", date(2026, 9, 1), date(2027, 8, 31)),
        ("bimonth", "2026-B6", date(2026, 11, 1), date(2026, 12, 31)),
    ],
)
def test_a_label_names_its_months(kind: str, label: str, start: date, end: date) -> None:
    period = parse_period(kind, label)  # type: ignore[arg-type]
    assert (period.start, period.end) == (start, end)
    assert period.months[0] == start and period.months[-1] == date(end.year, end.month, 1)


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("month", "2026-13"),
        ("quarter", "2026-Q5"),
        ("semester", "2026-S3"),
        ("school_year", "2026-2028"),
        ("bimonth", "26-B1"),
    ],
)
def test_a_bad_label_says_what_is_expected(kind: str, label: str) -> None:
    with pytest.raises(ValueError, match=r"expected|consecutive"):
        parse_period(kind, label)  # type: ignore[arg-type]


def test_the_period_of_a_day_and_the_one_before() -> None:
    assert period_of("semester", date(2027, 1, 15)).label == "2026-S1"
    assert period_of("semester", date(2027, 2, 1)).label == "2026-S2"
    assert period_of("school_year", date(2027, 8, 31)).label == "2026-2027"
    assert period_of("bimonth", date(2026, 4, 30)).label == "2026-B2"
    assert previous_period(parse_period("semester", "2026-S1")).label == "2025-S2"
    assert previous_period(parse_period("quarter", "2026-Q1")).label == "2025-Q4"
