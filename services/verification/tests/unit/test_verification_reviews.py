"""Runs of excused school days containing a day, and when they need a review, on the county's calendar."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from baoxue_common.calendar import Calendar, SchoolDays, Term, school_days_of
from verification.domain.reviews import excused_run_containing, needs_review

MON = date(2026, 9, 7)
COUNTY = "110101"
THRESHOLD = 3


def d(offset: int) -> date:
    """MON + offset days (0 = Monday 7 Sept 2026, 5 = Saturday, 7 = next Monday)."""
    return MON + timedelta(days=offset)


def days(*offsets: int) -> list[date]:
    return [d(o) for o in offsets]


def calendar(*, holidays: tuple[int, ...] = ()) -> SchoolDays:
    """Autumn term from Monday 7 Sept to Friday 2 Oct, spring from Monday 12 Oct (a gap between)."""
    terms = (Term("autumn", d(0), d(25)), Term("spring", d(35), date(2027, 1, 15)))
    year = Calendar("000000", "2026-2027", terms, frozenset(days(*holidays)), frozenset())
    assert year.problems() == []
    return school_days_of(COUNTY, [year])


PLAIN = calendar()
# Wednesday 9 Sept a holiday.
HOLIDAY = calendar(holidays=(2,))


@pytest.mark.parametrize(
    ("excused", "day", "cal", "expected", "review"),
    [
        pytest.param(days(0, 1, 2), 2, PLAIN, days(0, 1, 2), True, id="threshold-reached"),
        pytest.param(days(0, 1, 2), 0, PLAIN, days(0, 1, 2), True, id="reached-judged-from-its-first-day"),
        pytest.param(days(0, 1), 1, PLAIN, days(0, 1), False, id="threshold-not-reached"),
        pytest.param(days(0, 2), 2, PLAIN, days(2), False, id="a-day-with-no-record-breaks-it"),
        pytest.param(days(3, 4, 7), 7, PLAIN, days(3, 4, 7), True, id="a-weekend-inside-neither-counts-nor-breaks"),
        pytest.param(days(1, 3, 4), 1, HOLIDAY, days(1, 3, 4), True, id="a-holiday-inside-neither-counts-nor-breaks"),
        pytest.param(days(1, 2, 3), 3, HOLIDAY, days(1, 3), False, id="an-excused-holiday-is-not-counted"),
        pytest.param(days(24, 25, 35), 35, PLAIN, days(24, 25, 35), True, id="the-break-between-terms-is-stepped-over"),
        pytest.param(days(0, 1, 2, 3), 5, PLAIN, [], False, id="a-saturday-is-in-no-run"),
        pytest.param(days(0, 1), 2, PLAIN, [], False, id="the-day-not-excused"),
    ],
)
def test_excused_run_containing(
    excused: list[date], day: int, cal: SchoolDays, expected: list[date], review: bool
) -> None:
    run = excused_run_containing(d(day), set(excused), cal)
    assert run == expected
    assert needs_review(run, THRESHOLD) is review


@pytest.mark.parametrize(
    ("excused", "unexcused", "day", "expected"),
    [
        pytest.param(days(0, 1, 3, 4), days(2), 4, days(3, 4), id="an-unexcused-day-breaks-it-backwards"),
        pytest.param(days(0, 1, 3, 4), days(2), 0, days(0, 1), id="an-unexcused-day-breaks-it-forwards"),
        pytest.param(days(0, 1, 2, 4), days(3), 4, days(4), id="an-unexcused-day-before-it-starts-it"),
    ],
)
def test_an_unexcused_day_breaks_an_excused_run(
    excused: list[date], unexcused: list[date], day: int, expected: list[date]
) -> None:
    # The unexcused days are simply not excused: they break the run like a presence or a missing record.
    assert not set(excused) & set(unexcused)
    run = excused_run_containing(d(day), set(excused), PLAIN)
    assert run == expected


def reviews_raised(arrivals: list[date]) -> list[tuple[date, date]]:
    """The spans a handler keeping one review per overlapping run would raise, days arriving in this order."""
    raised: list[tuple[date, date]] = []
    seen: set[date] = set()
    for day in arrivals:
        seen.add(day)
        run = excused_run_containing(day, seen, PLAIN)
        if not needs_review(run, THRESHOLD):
            continue
        overlapping = [i for i, (s, e) in enumerate(raised) if s <= run[-1] and e >= run[0]]
        if overlapping:
            s, e = raised[overlapping[0]]
            raised[overlapping[0]] = (min(s, run[0]), max(e, run[-1]))
        else:
            raised.append((run[0], run[-1]))
    return raised


@pytest.mark.parametrize("order", list(itertools.permutations(days(0, 1, 2, 3))), ids=str)
def test_one_review_whatever_order_the_days_arrive_in(order: tuple[date, ...]) -> None:
    assert reviews_raised(list(order)) == [(d(0), d(3))]


def test_a_run_growing_backwards_raises_one_review() -> None:
    assert reviews_raised(days(2, 3, 4, 1, 0)) == [(d(0), d(4))]


def test_a_redelivered_day_raises_no_second_review() -> None:
    assert reviews_raised(days(0, 1, 2, 2, 1)) == [(d(0), d(2))]


def test_two_runs_apart_raise_two_reviews() -> None:
    assert reviews_raised(days(0, 1, 2, 7, 8, 9)) == [(d(0), d(2)), (d(7), d(9))]
