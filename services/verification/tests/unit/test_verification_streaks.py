"""Runs of unexcused school days containing a day, term totals and what they call for, on the county's calendar."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from baoxue_common.calendar import Calendar, SchoolDays, Term, school_days_of
from baoxue_common.rules import Rules
from verification.domain.streaks import assess, can_judge, run_containing, still_grounded, unexcused_in_term

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


RULES = Rules(
    home_visit_after_consecutive_unexcused=3,
    suspect_after_consecutive_unexcused=5,
    suspect_after_cumulative_unexcused_in_term=8,
)
ELEVEN = days(0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14)
# Scattered unexcused days of the spring term (Mondays and Wednesdays from 12 Oct): no run longer than one.
SCATTERED = [d(35 + 7 * w + k) for w in range(4) for k in (0, 2)]


@pytest.mark.parametrize(
    ("unexcused", "excused", "day", "expected"),
    [
        pytest.param(days(0), [], 0, days(0), id="single-day"),
        pytest.param(days(0, 1, 2), [], 2, days(0, 1, 2), id="three-ending-on-the-day"),
        pytest.param(days(0, 1, 2), [], 0, days(0, 1, 2), id="three-starting-on-the-day"),
        pytest.param(days(0, 1, 2, 3, 4), [], 2, days(0, 1, 2, 3, 4), id="the-whole-run-around-the-day"),
        pytest.param(days(2, 3, 4, 7), [], 3, days(2, 3, 4, 7), id="over-a-weekend"),
        pytest.param(days(4, 7, 8), [], 4, days(4, 7, 8), id="friday-to-tuesday-from-friday"),
        pytest.param(days(0, 1, 3, 4), [], 4, days(3, 4), id="a-day-with-no-record-breaks-the-run"),
        pytest.param(days(0, 1, 3, 4), [], 1, days(0, 1), id="a-day-with-no-record-breaks-it-forwards"),
        pytest.param(days(0, 1, 2), [], 3, [], id="the-day-not-absent"),
        pytest.param([], [], 0, [], id="no-absences"),
        pytest.param(days(4, 5), [], 5, [], id="a-saturday"),
        pytest.param(days(0, 1, 3, 4), days(2), 0, days(0, 1, 3, 4), id="excused-inside-neither-breaks-nor-counts"),
        pytest.param(days(1, 3), days(2), 2, days(1, 3), id="judged-from-an-excused-day"),
        pytest.param(days(0, 1), days(2, 3), 0, days(0, 1), id="excused-at-the-end-does-not-extend"),
        pytest.param(days(2, 3), days(0, 1), 1, days(2, 3), id="excused-before-does-not-extend"),
        pytest.param([], days(0, 1, 2), 1, [], id="excused-only-is-no-run"),
        pytest.param(
            days(0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14), [], 7, days(0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14), id="11"
        ),
    ],
)
def test_run_containing(unexcused: list[date], excused: list[date], day: int, expected: list[date]) -> None:
    assert run_containing(d(day), set(unexcused), set(excused), PLAIN) == expected


def test_weekend_absences_are_neither_counted_nor_needed() -> None:
    assert run_containing(d(4), set(days(4, 5, 6, 7)), set(), PLAIN) == days(4, 7)


def test_a_holiday_inside_a_run_does_not_break_it() -> None:
    assert run_containing(d(0), set(days(0, 1, 3)), set(), calendar(holidays=(2,))) == days(0, 1, 3)
    assert run_containing(d(0), set(days(0, 1, 3)), set(), PLAIN) == days(0, 1)


def test_a_make_up_saturday_counts() -> None:
    with_saturday = calendar(makeup=(5,))
    assert run_containing(d(4), set(days(4, 5, 7)), set(), with_saturday) == days(4, 5, 7)
    assert run_containing(d(7), set(days(4, 7)), set(), with_saturday) == days(7), "present on the make-up day"


def test_the_break_between_terms_ends_nothing() -> None:
    # Friday 2 Oct is the autumn term's last day, Monday 12 Oct the spring term's first.
    assert run_containing(d(24), set(days(24, 25, 35)), set(), PLAIN) == days(24, 25, 35)
    # An absence on a day outside every term is no school day: it neither starts nor extends a run.
    assert run_containing(d(28), set(days(25, 28, 35)), set(), PLAIN) == []
    assert run_containing(d(35), set(days(25, 28, 35)), set(), PLAIN) == days(25, 35)


def test_without_a_calendar_nothing_is_a_run() -> None:
    assert run_containing(d(2), set(days(0, 1, 2)), set(), SchoolDays(())) == []


@pytest.mark.parametrize("order", list(itertools.permutations(range(5))), ids=lambda o: "".join(map(str, o)))
def test_any_arrival_order_makes_one_run_and_crosses_once(order: tuple[int, ...]) -> None:
    """Monday to Friday arriving in any order: the run that holds the last arrival is the whole week."""
    seen: set[date] = set()
    warned_runs: list[list[date]] = []
    for offset in order:
        seen.add(d(offset))
        run = run_containing(d(offset), seen, set(), PLAIN)
        assert d(offset) in run
        if assess(d(offset), seen, set(), PLAIN, RULES).warn and not any(set(run) & set(w) for w in warned_runs):
            warned_runs.append(run)
    assert run_containing(d(order[-1]), seen, set(), PLAIN) == days(0, 1, 2, 3, 4)
    assert len(warned_runs) == 1, "one warning per run whichever way it grows"


def test_a_late_monday_joins_the_days_after_it() -> None:
    tue_to_fri = set(days(1, 2, 3, 4))
    assert assess(d(0), tue_to_fri | {d(0)}, set(), PLAIN, RULES).run == days(0, 1, 2, 3, 4)
    late_only = assess(d(0), set(days(0, 1, 2)), set(), PLAIN, RULES)
    assert late_only.warn and late_only.run == days(0, 1, 2)


@pytest.mark.parametrize(
    ("unexcused", "excused", "day", "warn", "reason"),
    [
        pytest.param(days(0, 1), [], 1, False, None, id="two-days-nothing"),
        pytest.param(days(0, 2, 4), [], 2, False, None, id="three-apart-nothing"),
        pytest.param(days(0, 1, 2), [], 0, True, None, id="three-warn"),
        pytest.param(days(0, 1, 3, 4), days(2), 4, True, None, id="excused-inside-four-warn"),
        pytest.param(days(0, 1, 2, 3, 4), [], 2, True, "consecutive", id="five-suspect"),
        pytest.param(days(0, 1, 3, 4), days(2), 1, True, None, id="excused-does-not-make-the-fifth"),
        pytest.param(days(0, 1, 3, 4, 7), days(2), 7, True, "consecutive", id="five-over-an-excused-day"),
        pytest.param(days(1, 2, 3, 4, 7, 8), [], 7, True, "consecutive", id="six-over-a-weekend"),
        pytest.param([], days(0, 1, 2, 3, 4, 7), 2, False, None, id="excused-week-nothing"),
        pytest.param(SCATTERED, [], 56, False, "cumulative", id="eight-in-the-term"),
        pytest.param(SCATTERED[:-1], [], 56, False, None, id="seven-in-the-term-nothing"),
        pytest.param(days(0, 2, 4, 14) + SCATTERED[:4], [], 35, False, None, id="other-term-days-not-counted"),
        pytest.param(days(0, 2, 4, 14) + SCATTERED[:4], [], 14, False, None, id="other-term-days-not-counted-back"),
        pytest.param(SCATTERED[:7], days(57), 56, False, None, id="excused-not-cumulative"),
    ],
)
def test_assess(unexcused: list[date], excused: list[date], day: int, warn: bool, reason: str | None) -> None:
    found = assess(d(day), set(unexcused), set(excused), PLAIN, RULES)
    assert found.warn is warn
    assert found.suspect_by == reason
    assert (found.suspect_reason is None) is (reason is None)


def test_grounds_and_term_totals() -> None:
    run = assess(d(2), set(days(0, 1, 2, 3, 4)), set(), PLAIN, RULES)
    assert run.grounds == (d(0), d(4))
    assert run.suspect_reason == "5 consecutive school days of unexcused absence from 2026-09-07 to 2026-09-11"
    total = assess(d(56), set(SCATTERED), set(), PLAIN, RULES)
    assert total.grounds == (SCATTERED[0], SCATTERED[-1]) and total.in_term == SCATTERED
    assert total.suspect_reason == "cumulative: 8 school days of unexcused absence in the term by 2026-11-04"
    assert assess(d(1), set(days(0, 1)), set(), PLAIN, RULES).grounds is None
    assert unexcused_in_term(d(28), set(days(25, 28)), PLAIN) == [], "no term between terms"
    assert unexcused_in_term(d(3), set(days(0, 5, 3, 36)), PLAIN) == days(0, 3), "school days of the term only"


FIVE = set(days(0, 1, 2, 3, 4))


@pytest.mark.parametrize(
    ("unexcused", "excused", "grounded"),
    [
        pytest.param(FIVE, set(), True, id="unchanged"),
        pytest.param(FIVE - {d(2)}, set(), False, id="middle-day-present"),
        pytest.param(FIVE - {d(2)}, {d(2)}, False, id="middle-day-excused"),
        pytest.param(FIVE - {d(4)}, set(), False, id="last-day-present"),
        pytest.param((FIVE | {d(7)}) - {d(0)}, set(), True, id="five-remain"),
        pytest.param(FIVE - {d(2)} | set(SCATTERED[:4]), set(), False, id="term-total-short"),
    ],
)
def test_still_grounded(unexcused: set[date], excused: set[date], grounded: bool) -> None:
    assert still_grounded((d(0), d(4)), unexcused, excused, PLAIN, RULES) is grounded


def test_a_term_total_stays_grounded_until_it_falls_short() -> None:
    grounds = (SCATTERED[0], SCATTERED[-1])
    assert still_grounded(grounds, set(SCATTERED) | {d(14)}, set(), PLAIN, RULES)
    assert not still_grounded(grounds, set(SCATTERED[1:]), set(), PLAIN, RULES)
    assert still_grounded(grounds, set(SCATTERED[1:]) | {d(70)}, set(), PLAIN, RULES), "another day keeps eight"


def test_a_day_can_be_judged_only_within_the_known_calendars() -> None:
    assert not can_judge(SchoolDays(()), d(0))
    assert can_judge(PLAIN, d(0)) and can_judge(PLAIN, d(30)) and can_judge(PLAIN, date(2027, 1, 15))
    assert not can_judge(PLAIN, d(-1)) and not can_judge(PLAIN, date(2027, 1, 16))
