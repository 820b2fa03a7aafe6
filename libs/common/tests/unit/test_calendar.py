"""The one school-day rule: calendars, inheritance, holidays, make-up days, term edges, counting."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from baoxue_common.calendar import Calendar, SchoolDays, Term, school_days_of
from hypothesis import given
from hypothesis import strategies as st

COUNTY, CITY, PROVINCE, NATION = "110101", "110100", "110000", "000000"


def year_calendar(region: str, first: int, *, holidays: frozenset[date] = frozenset(), makeup=frozenset()) -> Calendar:
    """Two terms: 1 Sep – 15 Jan and 1 Mar – 10 Jul, a gap between them."""
    terms = (
        Term("autumn", date(first, 9, 1), date(first + 1, 1, 15)),
        Term("spring", date(first + 1, 3, 1), date(first + 1, 7, 10)),
    )
    return Calendar(region, f"{first}-{first + 1}", terms, holidays, frozenset(makeup))


def whole_year(region: str, first: int) -> Calendar:
    """One term from 1 Aug to 31 Aug of the next year."""
    return Calendar(region, f"{first}-{first + 1}", (Term("all", date(first, 8, 1), date(first + 1, 8, 31)),))


def published(*calendars: Calendar) -> dict[tuple[str, str], Calendar]:
    return {(c.region_code, c.school_year): c for c in calendars}


# A weekday that the county's calendar treats differently from the others: 2026-09-01 is a Tuesday.
MARKER = date(2026, 9, 1)


def marked(region: str) -> Calendar:
    """A 2026-2027 calendar whose only difference is that MARKER is a holiday."""
    return year_calendar(region, 2026, holidays=frozenset({MARKER}))


# --- inheritance ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        ((COUNTY, CITY, PROVINCE, NATION), COUNTY),
        ((CITY, PROVINCE, NATION), CITY),
        ((PROVINCE, NATION), PROVINCE),
        ((NATION,), NATION),
    ],
)
def test_a_school_uses_the_nearest_calendar_above_its_county(available: tuple[str, ...], expected: str) -> None:
    days = SchoolDays.resolve(COUNTY, published(*(year_calendar(r, 2026) for r in available)))
    calendar = days.calendar_for(MARKER)
    assert calendar is not None and calendar.region_code == expected


def test_the_nearest_calendar_decides_the_school_days() -> None:
    # The county makes MARKER a holiday; the nation does not.
    days = SchoolDays.resolve(COUNTY, published(year_calendar(NATION, 2026), marked(COUNTY)))
    assert not days.is_school_day(MARKER)
    days = SchoolDays.resolve(COUNTY, published(marked(NATION), year_calendar(COUNTY, 2026)))
    assert days.is_school_day(MARKER)


def test_calendars_of_other_regions_are_ignored() -> None:
    days = school_days_of(COUNTY, [year_calendar("120101", 2026), year_calendar("110102", 2026), marked("120000")])
    assert days.calendars == ()
    assert not days.is_school_day(MARKER)


def test_inheritance_is_decided_per_school_year() -> None:
    national = [year_calendar(NATION, 2025), marked(NATION)]
    county = whole_year(COUNTY, 2026)
    days = SchoolDays.resolve(COUNTY, published(*national, county))
    assert [(c.region_code, c.school_year) for c in days.calendars] == [(NATION, "2025-2026"), (COUNTY, "2026-2027")]
    assert days.is_school_day(MARKER)  # the county's year, not the nation's holiday
    assert days.is_school_day(date(2026, 8, 3))  # the county's term starts in August
    assert not days.is_school_day(date(2026, 2, 2))  # the nation's gap between terms of 2025-2026


def test_no_calendar_means_no_school_day() -> None:
    days = SchoolDays.resolve(COUNTY, {})
    assert not days.is_school_day(MARKER)
    assert days.calendar_for(MARKER) is None and days.term_of(MARKER) is None
    assert days.after(MARKER) is None and days.before(MARKER) is None
    assert days.count(MARKER, MARKER + timedelta(days=30)) == 0
    assert not days.year_ended(MARKER)


# --- holidays, make-up days, term edges ----------------------------------------------------------


def test_weekends_and_holidays_are_not_school_days() -> None:
    calendar = marked(NATION)
    assert calendar.is_school_day(date(2026, 9, 2))  # Wednesday
    assert not calendar.is_school_day(MARKER)  # holiday
    assert not calendar.is_school_day(date(2026, 9, 5))  # Saturday
    assert not calendar.is_school_day(date(2026, 9, 6))  # Sunday


def test_a_saturday_make_up_day_is_a_school_day() -> None:
    saturday = date(2026, 10, 10)
    calendar = year_calendar(NATION, 2026, makeup={saturday})
    assert calendar.is_school_day(saturday)
    assert not year_calendar(NATION, 2026).is_school_day(saturday)
    days = SchoolDays.resolve(COUNTY, published(calendar))
    assert days.is_school_day(saturday)
    assert days.after(date(2026, 10, 9)) == saturday
    assert days.before(date(2026, 10, 12)) == saturday


def test_term_edges_and_the_gap_between_terms() -> None:
    days = SchoolDays.resolve(COUNTY, published(year_calendar(NATION, 2026)))
    autumn_first, autumn_last = date(2026, 9, 1), date(2027, 1, 15)  # Tuesday, Friday
    spring_first, spring_last = date(2027, 3, 1), date(2027, 7, 9)  # Monday; 10 Jul 2027 is a Saturday
    for day in (autumn_first, autumn_last, spring_first, spring_last):
        assert days.is_school_day(day), day
    assert not days.is_school_day(date(2026, 8, 31))  # Monday before the first term
    assert not days.is_school_day(date(2027, 1, 18))  # Monday after the autumn term
    assert not days.is_school_day(date(2027, 7, 12))  # Monday after the last term
    assert days.term_of(autumn_last) == Term("autumn", autumn_first, autumn_last)
    assert days.term_of(date(2027, 2, 1)) is None
    assert days.after(autumn_last) == spring_first
    assert days.before(spring_first) == autumn_last
    assert days.between(date(2027, 1, 16), date(2027, 2, 28)) == []


def test_year_ended_only_after_the_last_term_of_that_year() -> None:
    days = SchoolDays.resolve(COUNTY, published(year_calendar(NATION, 2025), year_calendar(NATION, 2026)))
    assert not days.year_ended(date(2026, 7, 10))  # the last day of 2025-2026
    assert days.year_ended(date(2026, 7, 11))
    assert days.year_ended(date(2026, 8, 31))  # summer: 2026-2027 has not begun
    assert not days.year_ended(date(2026, 9, 1))  # 2026-2027 has begun
    assert not days.year_ended(date(2027, 1, 20))  # between terms
    assert days.year_ended(date(2027, 7, 11))
    assert not days.year_ended(date(2025, 8, 1))  # before any calendar


def test_counting_school_days() -> None:
    days = SchoolDays.resolve(COUNTY, published(marked(NATION)))
    # Tue 1 Sep is a holiday; Wed 2 – Fri 4, Mon 7 – Fri 11.
    assert days.count(date(2026, 9, 1), date(2026, 9, 11)) == 8
    assert days.between(date(2026, 9, 1), date(2026, 9, 4)) == [date(2026, 9, 2), date(2026, 9, 3), date(2026, 9, 4)]
    assert days.count(date(2026, 9, 11), date(2026, 9, 1)) == 0
    assert days.after(date(2026, 9, 4), 3) == date(2026, 9, 9)
    assert days.before(date(2026, 9, 9), 3) == date(2026, 9, 4)
    assert days.after(date(2026, 9, 4), 0) is None and days.before(date(2026, 9, 9), 0) is None
    assert days.after(date(2027, 7, 9)) is None
    assert days.before(date(2026, 9, 2)) is None


# --- problems ------------------------------------------------------------------------------------


def problems_of(**changes: object) -> list[tuple[tuple[str | int, ...], str]]:
    calendar = year_calendar(NATION, 2026)
    fields = {
        "region_code": calendar.region_code,
        "school_year": calendar.school_year,
        "terms": calendar.terms,
        "holidays": calendar.holidays,
        "makeup_days": calendar.makeup_days,
    } | changes
    return Calendar(**fields).problems()  # type: ignore[arg-type]


def test_a_good_calendar_has_no_problem() -> None:
    assert problems_of() == []
    assert whole_year(NATION, 2026).problems() == []


@pytest.mark.parametrize("year", ["2026", "2026/2027", "26-27", "２０２６-２０２７", "2026-2O27", "²⁰²⁶-2027", ""])
def test_a_malformed_school_year(year: str) -> None:
    assert problems_of(school_year=year) == [(("school_year",), "a school year is written YYYY-YYYY, e.g. 2026-2027")]


@pytest.mark.parametrize("year", ["2026-2028", "2026-2026", "1899-1900", "3000-3001"])
def test_a_school_year_whose_years_do_not_follow(year: str) -> None:
    assert problems_of(school_year=year) == [
        (("school_year",), "the second year must follow the first, e.g. 2026-2027")
    ]


def test_a_calendar_without_terms() -> None:
    assert problems_of(terms=()) == [(("terms",), "a calendar needs at least one term")]


def test_a_term_that_ends_before_it_starts() -> None:
    terms = (Term("autumn", date(2026, 9, 10), date(2026, 9, 1)),)
    assert problems_of(terms=terms) == [(("terms", 0, "end"), "term ends (2026-09-01) before it starts (2026-09-10)")]


@pytest.mark.parametrize(
    "term",
    [Term("early", date(2026, 7, 31), date(2026, 12, 1)), Term("late", date(2027, 3, 1), date(2027, 9, 1))],
)
def test_a_term_outside_the_school_year(term: Term) -> None:
    assert problems_of(terms=(term,)) == [
        (("terms", 0), "a term of 2026-2027 must lie between 2026-08-01 and 2027-08-31")
    ]


def test_overlapping_terms() -> None:
    terms = (Term("b", date(2027, 1, 15), date(2027, 6, 1)), Term("a", date(2026, 9, 1), date(2027, 1, 15)))
    assert problems_of(terms=terms) == [(("terms", 0, "start"), "term 'b' overlaps term 'a'")]


def test_a_long_term_overlapping_a_later_one_that_is_not_its_neighbour() -> None:
    terms = (
        Term("long", date(2026, 9, 1), date(2027, 6, 30)),
        Term("short", date(2026, 10, 1), date(2026, 10, 10)),
        Term("later", date(2027, 3, 1), date(2027, 4, 1)),
    )
    assert problems_of(terms=terms) == [
        (("terms", 1, "start"), "term 'short' overlaps term 'long'"),
        (("terms", 2, "start"), "term 'later' overlaps term 'long'"),
    ]


def test_a_holiday_outside_every_term() -> None:
    assert problems_of(holidays=frozenset({date(2027, 2, 1), MARKER})) == [
        (("holidays", 1), "holiday 2027-02-01 is outside every term")
    ]


def test_make_up_day_problems() -> None:
    assert problems_of(makeup_days=frozenset({date(2027, 2, 6)})) == [
        (("makeup_days", 0), "make-up day 2027-02-06 is outside every term")
    ]
    assert problems_of(makeup_days=frozenset({date(2026, 9, 2)})) == [
        (("makeup_days", 0), "make-up day 2026-09-02 is a weekday, not a weekend day")
    ]
    saturday = date(2026, 10, 10)
    assert problems_of(holidays=frozenset({saturday}), makeup_days=frozenset({saturday})) == [
        (("makeup_days", 0), "2026-10-10 is both a holiday and a make-up day")
    ]


# --- properties ----------------------------------------------------------------------------------

YEARS = st.integers(min_value=2020, max_value=2030)
DAYS = st.dates(min_value=date(2020, 7, 1), max_value=date(2031, 9, 30))


@st.composite
def school_days(draw: st.DrawFn) -> SchoolDays:
    """One or two consecutive school years with random holidays and make-up weekends."""
    first = draw(YEARS)
    calendars = []
    for year in range(first, first + draw(st.integers(1, 2))):
        base = year_calendar(NATION, year)
        inside = st.dates(min_value=base.first_day, max_value=base.last_day).filter(
            lambda d, base=base: base.term_of(d) is not None
        )
        holidays = draw(st.frozensets(inside, max_size=10))
        makeup = draw(
            st.frozensets(inside.filter(lambda d, off=holidays: d.weekday() >= 5 and d not in off), max_size=4)
        )
        calendars.append(Calendar(NATION, base.school_year, base.terms, holidays, makeup))
    assert all(c.problems() == [] for c in calendars)
    return school_days_of(COUNTY, calendars)


@given(school_days(), DAYS, DAYS)
def test_count_is_the_length_of_between(days: SchoolDays, a: date, b: date) -> None:
    assert days.count(a, b) == len(days.between(a, b))
    assert all(days.is_school_day(d) for d in days.between(a, b))


@given(school_days(), DAYS, st.integers(1, 200))
def test_after_undoes_before_on_a_school_day(days: SchoolDays, day: date, n: int) -> None:
    start = days.after(day)  # a school day
    if start is None:
        return
    earlier = days.before(start, n)
    if earlier is not None:
        assert days.after(earlier, n) == start
        assert days.count(earlier, start) == n + 1


@given(school_days(), DAYS)
def test_is_school_day_agrees_with_the_calendars(days: SchoolDays, day: date) -> None:
    listed = {d for c in days.calendars for d in c.school_days()}
    assert days.is_school_day(day) == (day in listed)
    calendar = days.calendar_for(day)
    if days.is_school_day(day):
        assert calendar is not None and calendar.is_school_day(day)
        assert days.term_of(day) is not None
        assert not days.year_ended(day)


@given(school_days(), DAYS, st.integers(1, 30))
def test_after_and_before_land_on_school_days(days: SchoolDays, day: date, n: int) -> None:
    later, earlier = days.after(day, n), days.before(day, n)
    if later is not None:
        assert later > day and days.is_school_day(later) and days.count(day + timedelta(days=1), later) == n
    if earlier is not None:
        assert earlier < day and days.is_school_day(earlier) and days.count(earlier, day - timedelta(days=1)) == n
