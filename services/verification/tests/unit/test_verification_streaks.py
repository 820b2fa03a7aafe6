"""Consecutive unexcused school days ending on a day (连续旷课), counted on the county's calendar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from baoxue_common.calendar import Calendar, SchoolDays, Term, school_days_of
from verification.domain.streaks import can_judge, streak_ending

MON = date(2026, 9, 7)
COUNTY = "110101"


def d(offset: int) -> date:
    """MON + offset days (0 = Monday 7 Sept 2026, 5 = Saturday, 7 = next Monday)."""
    return MON + timedelta(days=offset)


def days(*offsets: int) -> list[date]:
    return [d(o) for o in offsets]


def calendar(*, holidays: tuple[int, ...] = (), makeup: tuple[int, ...] = (), region: str = "000000") -> SchoolDays:
    """Autumn term from Monday 7 Sept to Friday 2 Oct, spring from Monday 12 Oct to 15 Jan (a gap between)."""
    terms = (Term("autumn", d(0), d(25)), Term("spring", d(35), date(2027, 1, 15)))
    year = Calendar(region, "2026-2027", terms, frozenset(days(*holidays)), frozenset(days(*makeup)))
    assert year.problems() == []
    return school_days_of(COUNTY, [year])


PLAIN = calendar()


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
        pytest.param(days(0, 1), 0, days(0), id="first-day-of-the-calendar"),
        pytest.param(days(4, 5), 5, [], id="until-a-saturday"),
        pytest.param(
            days(0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14), 14, days(0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14), id="11-days"
        ),
    ],
)
def test_streak_ending(unexcused: list[date], until: int, expected: list[date]) -> None:
    assert streak_ending(set(unexcused), d(until), PLAIN) == expected


def test_weekend_absences_are_neither_counted_nor_needed() -> None:
    assert streak_ending(set(days(4, 5, 6, 7)), d(7), PLAIN) == days(4, 7)


def test_a_holiday_inside_a_run_does_not_break_it() -> None:
    assert streak_ending(set(days(0, 1, 3)), d(3), calendar(holidays=(2,))) == days(0, 1, 3)
    assert streak_ending(set(days(0, 1, 3)), d(3), PLAIN) == days(3)


def test_a_make_up_saturday_counts() -> None:
    with_saturday = calendar(makeup=(5,))
    assert streak_ending(set(days(4, 5, 7)), d(7), with_saturday) == days(4, 5, 7)
    assert streak_ending(set(days(4, 7)), d(7), with_saturday) == days(7), "present on the make-up day breaks it"
    assert streak_ending(set(days(4, 5)), d(5), with_saturday) == days(4, 5)


def test_the_break_between_terms_ends_nothing() -> None:
    # Friday 2 Oct is the autumn term's last day, Monday 12 Oct the spring term's first.
    assert streak_ending(set(days(24, 25, 35)), d(35), PLAIN) == days(24, 25, 35)
    # An absence on a day outside every term is no school day: it neither starts nor extends a run.
    assert streak_ending(set(days(25, 28, 35)), d(28), PLAIN) == []
    assert streak_ending(set(days(25, 28, 35)), d(35), PLAIN) == days(25, 35)


def test_without_a_calendar_nothing_is_a_streak() -> None:
    assert streak_ending(set(days(0, 1, 2)), d(2), SchoolDays(())) == []


def test_streak_is_oldest_first_and_accepts_any_collection() -> None:
    run = streak_ending(frozenset(days(0, 1, 2, 3)), d(3), PLAIN)
    assert run == sorted(run) == days(0, 1, 2, 3)
    assert streak_ending(days(0, 1), d(1), PLAIN) == days(0, 1)


def test_a_day_can_be_judged_only_within_the_known_calendars() -> None:
    assert not can_judge(SchoolDays(()), d(0))
    assert can_judge(PLAIN, d(0)) and can_judge(PLAIN, d(30)) and can_judge(PLAIN, date(2027, 1, 15))
    assert not can_judge(PLAIN, d(-1)) and not can_judge(PLAIN, date(2027, 1, 16))
