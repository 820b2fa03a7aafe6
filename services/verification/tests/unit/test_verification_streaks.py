"""Consecutive unexcused school days ending on a day (连续旷课)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from verification.domain.streaks import previous_school_day, streak_ending, weekdays

MON = date(2026, 9, 7)


def d(offset: int) -> date:
    """MON + offset days (0 = Monday 7 Sept 2026, 5 = Saturday, 7 = next Monday)."""
    return MON + timedelta(days=offset)


def days(*offsets: int) -> list[date]:
    return [d(o) for o in offsets]


@pytest.mark.parametrize(("offset", "school"), [(0, True), (4, True), (5, False), (6, False), (7, True)])
def test_weekdays(offset: int, school: bool) -> None:
    assert weekdays(d(offset)) is school


@pytest.mark.parametrize(
    ("offset", "previous"),
    [(1, 0), (4, 3), (7, 4), (5, 4), (6, 4), (0, -3)],
)
def test_previous_school_day_skips_weekends(offset: int, previous: int) -> None:
    assert previous_school_day(d(offset), weekdays) == d(previous)


def test_previous_school_day_skips_holidays() -> None:
    holidays = {d(3), d(2)}

    def calendar(day: date) -> bool:
        return weekdays(day) and day not in holidays

    assert previous_school_day(d(4), calendar) == d(1)


@pytest.mark.parametrize(
    ("unexcused", "until", "expected"),
    [
        pytest.param(days(0), 0, days(0), id="single-day"),
        pytest.param(days(0, 1, 2), 2, days(0, 1, 2), id="three-in-a-row"),
        pytest.param(days(2, 3, 4, 7), 7, days(2, 3, 4, 7), id="over-a-weekend"),
        pytest.param(days(4, 7, 8), 8, days(4, 7, 8), id="friday-to-tuesday"),
        pytest.param(days(0, 1, 3, 4), 4, days(3, 4), id="a-gap-breaks-the-streak"),
        pytest.param(days(0, 1, 2, 3, 4), 2, days(0, 1, 2), id="ends-on-until-not-later"),
        pytest.param(days(0, 1, 2), 3, [], id="until-not-absent"),
        pytest.param([], 0, [], id="no-absences"),
        pytest.param(days(3, 7), 7, days(7), id="friday-missing"),
        pytest.param(
            days(0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14), 14, days(0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14), id="11-days"
        ),
    ],
)
def test_streak_ending(unexcused: list[date], until: int, expected: list[date]) -> None:
    assert streak_ending(set(unexcused), d(until), weekdays) == expected


def test_streak_is_oldest_first() -> None:
    run = streak_ending(set(days(0, 1, 2, 3)), d(3), weekdays)
    assert run == sorted(run)


def test_a_holiday_does_not_break_the_streak() -> None:
    holiday = d(2)

    def calendar(day: date) -> bool:
        return weekdays(day) and day != holiday

    assert streak_ending(set(days(0, 1, 3)), d(3), calendar) == days(0, 1, 3)
    assert streak_ending(set(days(0, 1, 3)), d(3), weekdays) == days(3)


def test_streak_accepts_any_collection() -> None:
    assert streak_ending(frozenset(days(0, 1)), d(1), weekdays) == days(0, 1)
    assert streak_ending(days(0, 1), d(1), weekdays) == days(0, 1)
