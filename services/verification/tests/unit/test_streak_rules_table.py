"""The streak rules as tables: a calendar, the days as they arrive (corrections included), what they call for.

A history is read left to right: `3U` is day 3 recorded unexcused, `3E` excused, `3P` present; a later entry for
the same day is the school's correction of it. Days are offsets from Monday 7 Sept 2026 (5 = Saturday). The
autumn term runs to Friday 2 Oct (25), the spring term from Monday 12 Oct (35); home visit after 3 consecutive
unexcused school days, suspect after 5 consecutive or 8 in the term.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from baoxue_common.calendar import Calendar, SchoolDays, Term, school_days_of
from baoxue_common.rules import Rules
from verification.domain.streaks import assess, still_grounded

MON = date(2026, 9, 7)
RULES = Rules(
    home_visit_after_consecutive_unexcused=3,
    suspect_after_consecutive_unexcused=5,
    suspect_after_cumulative_unexcused_in_term=8,
)


def d(offset: int) -> date:
    return MON + timedelta(days=offset)


def calendar(*, holidays: tuple[int, ...] = (), makeup: tuple[int, ...] = ()) -> SchoolDays:
    """Autumn 7 Sept – 2 Oct, a break, spring 12 Oct – 15 Jan; holidays and make-up days as offsets."""
    terms = (Term("autumn", d(0), d(25)), Term("spring", d(35), date(2027, 1, 15)))
    year = Calendar("000000", "2026-2027", terms, frozenset(map(d, holidays)), frozenset(map(d, makeup)))
    assert year.problems() == []
    return school_days_of("110101", [year])


PLAIN = calendar()
WED_HOLIDAY = calendar(holidays=(2,))  # Wednesday 9 Sept off
SAT_MAKEUP = calendar(makeup=(5,))  # Saturday 12 Sept taught
SPRING_MAKEUP = calendar(makeup=(40,))  # Saturday 17 Oct taught
SPRING_HOLIDAY = calendar(holidays=(35,))  # Monday 12 Oct off
# Mondays and Wednesdays of the spring term from 12 Oct: eight scattered days, no run longer than one.
SCATTERED = " ".join(f"{35 + 7 * w + k}U" for w in range(4) for k in (0, 2))
SEVEN = " ".join(SCATTERED.split()[:7])


def replay(history: str) -> tuple[set[date], set[date], date]:
    """The unexcused and excused days once every entry (and correction) is applied, and the last day recorded."""
    status: dict[date, str] = {}
    last = MON
    for entry in history.split():
        last = d(int(entry[:-1]))
        status[last] = entry[-1]
    unexcused = {day for day, s in status.items() if s == "U"}
    excused = {day for day, s in status.items() if s == "E"}
    return unexcused, excused, last


def row(
    days: SchoolDays, history: str, warn: bool, suspect: str | None, grounds: tuple[int, int] | None, id: str
) -> Any:
    """One table row, its id readable."""
    return pytest.param(days, history, warn, suspect, grounds, id=id)


@pytest.mark.parametrize(
    ("days", "history", "warn", "suspect", "grounds"),
    [
        # Weekends.
        row(PLAIN, "4U 7U 8U", True, None, None, "fri-mon-tue-three-over-a-weekend-warn"),
        row(PLAIN, "2U 3U 4U 7U 8U", True, "consecutive", (2, 8), "five-over-a-weekend-suspect"),
        row(PLAIN, "4U 5U 6U 7U", False, None, None, "weekend-absences-not-counted"),
        row(PLAIN, "3U 4U 5U 6U", False, None, None, "judged-on-a-sunday-nothing"),
        # Holidays.
        row(WED_HOLIDAY, "0U 1U 3U 4U 7U", True, "consecutive", (0, 7), "holiday-inside-does-not-break"),
        row(PLAIN, "0U 1U 3U 4U 7U", True, None, None, "same-days-no-holiday-unrecorded-wed-breaks"),
        row(WED_HOLIDAY, "0U 1U 2U 3U 4U", True, None, None, "absent-on-a-holiday-not-counted"),
        # Make-up days.
        row(SAT_MAKEUP, "3U 4U 5U 7U 8U", True, "consecutive", (3, 8), "makeup-saturday-counts"),
        row(SAT_MAKEUP, "3U 4U 7U 8U", False, None, None, "makeup-saturday-unrecorded-breaks"),
        row(SAT_MAKEUP, "3U 4U 5P 7U 8U", False, None, None, "present-on-makeup-saturday-breaks"),
        row(SPRING_MAKEUP, f"{SEVEN} 40U", False, "cumulative", (35, 56), "makeup-day-in-the-term-total"),
        # Term boundaries.
        row(PLAIN, "22U 23U 24U 25U 35U", True, "consecutive", (22, 35), "run-across-the-break-between-terms"),
        row(PLAIN, "25U 28U 29U 30U 35U", False, None, None, "break-days-are-no-school-days"),
        row(PLAIN, "14U 16U 18U 21U 23U 25U 35U 37U", False, None, None, "eight-over-two-terms-not-cumulative"),
        row(SPRING_HOLIDAY, SCATTERED, False, None, None, "a-holiday-in-the-total-is-not-counted"),
        row(PLAIN, SCATTERED, False, "cumulative", (35, 58), "eight-scattered-in-the-term"),
        row(PLAIN, f"{SCATTERED} 60U", False, "cumulative", (35, 60), "a-ninth-moves-the-grounds"),
        # Days arriving out of order.
        row(PLAIN, "1U 2U 3U 4U 0U", True, "consecutive", (0, 4), "late-monday-joins-the-week"),
        row(PLAIN, "0U 1U 3U 4U 2U", True, "consecutive", (0, 4), "late-middle-day-fills-the-gap"),
        row(PLAIN, "7U 8U 9U 4U 3U", True, "consecutive", (3, 9), "late-days-before-a-weekend"),
        row(PLAIN, "4U 3U", False, None, None, "two-late-days-nothing"),
        row(PLAIN, "8U 7U 9U 11U 10U", True, "consecutive", (7, 11), "a-week-backwards-and-forwards"),
        # Corrections, both ways.
        row(PLAIN, "0U 1U 2U 1P", False, None, None, "absent-to-present-ends-the-warning"),
        row(PLAIN, "0U 1U 2U 3U 4U 2E", True, None, None, "unexcused-to-excused-leaves-four"),
        row(PLAIN, "0U 1U 2U 3U 4U 7U 2P", False, None, None, "present-in-the-middle-splits-the-run"),
        row(PLAIN, "0U 1U 2P 3U 4U 2U", True, "consecutive", (0, 4), "present-to-absent-regrounds"),
        row(PLAIN, "0U 1U 2E 3U 4U 2U", True, "consecutive", (0, 4), "excused-to-unexcused-regrounds"),
        row(PLAIN, "0U 1U 2E 3U 4U 7U 2P", False, None, None, "excused-to-present-judged-on-the-present-day"),
        row(PLAIN, f"{SCATTERED} 56P", False, None, None, "a-term-day-corrected-present-falls-short"),
        row(PLAIN, f"{SCATTERED} 56P 56U", False, "cumulative", (35, 58), "term-day-corrected-back-to-absent"),
        # Excused absences.
        row(PLAIN, "0E 1E 2E 3E 4E 7E 8E 9E 10E 11E", False, None, None, "two-excused-weeks-nothing"),
        row(PLAIN, "0U 1E 2U 3E 4U 7E 8U 9E 10U", True, "consecutive", (0, 10), "excused-stepped-over-not-counted"),
        row(PLAIN, "0U 1U 2U 3E", True, None, None, "judged-on-an-excused-day-sees-the-run"),
        row(PLAIN, "0E 1E 2U 3U 4E", False, None, None, "excused-around-does-not-extend"),
        row(PLAIN, f"{SEVEN} 57E 59E", False, None, None, "excused-not-in-the-term-total"),
    ],
)
def test_what_a_history_calls_for(
    days: SchoolDays, history: str, warn: bool, suspect: str | None, grounds: tuple[int, int] | None
) -> None:
    unexcused, excused, last = replay(history)
    found = assess(last, unexcused, excused, days, RULES)
    assert (found.warn, found.suspect_by) == (warn, suspect)
    assert found.grounds == (None if grounds is None else (d(grounds[0]), d(grounds[1])))


@pytest.mark.parametrize(
    ("days", "history", "corrections", "grounded"),
    [
        pytest.param(PLAIN, "0U 1U 2U 3U 4U", "", True, id="no-correction-holds"),
        pytest.param(PLAIN, "0U 1U 2U 3U 4U", "2P", False, id="absent-to-present-retracts"),
        pytest.param(PLAIN, "0U 1U 2U 3U 4U", "2E", False, id="unexcused-to-excused-retracts"),
        pytest.param(PLAIN, "0U 1U 2U 3U 4U", "0P", False, id="first-day-present-retracts"),
        pytest.param(PLAIN, "0U 1U 2U 3U 4U", "2P 2U", True, id="present-then-absent-again-holds"),
        pytest.param(PLAIN, "0U 1U 2U 3U 4U", "0P 7U", True, id="the-run-moves-on-still-five"),
        pytest.param(PLAIN, "0U 1U 2U 3U 4U", "4E 7U", True, id="excused-end-stepped-over-to-a-later-day-holds"),
        pytest.param(WED_HOLIDAY, "0U 1U 3U 4U 7U", "3P", False, id="holiday-run-corrected-retracts"),
        pytest.param(SAT_MAKEUP, "3U 4U 5U 7U 8U", "5P", False, id="makeup-day-present-retracts"),
        pytest.param(PLAIN, "22U 23U 24U 25U 35U", "35E", False, id="across-the-break-excused-retracts"),
        pytest.param(PLAIN, "0U 1U 2E 3U 4U 7U", "2P", False, id="excused-to-present-retracts"),
        pytest.param(PLAIN, "0U 1U 2U 3U 4U 14U 16U 18U 21U", "2P", True, id="term-total-still-holds"),
        pytest.param(PLAIN, SCATTERED, "35E", False, id="term-total-first-day-excused-retracts"),
        pytest.param(PLAIN, SCATTERED, "56P", False, id="term-total-last-day-present-retracts"),
        pytest.param(PLAIN, SCATTERED, "35P 63U", True, id="a-later-term-day-keeps-eight"),
    ],
)
def test_what_a_correction_retracts(days: SchoolDays, history: str, corrections: str, grounded: bool) -> None:
    unexcused, excused, last = replay(history)
    before = assess(last, unexcused, excused, days, RULES)
    assert before.grounds is not None, "the history must make a suspect"
    unexcused, excused, _ = replay(f"{history} {corrections}")
    assert still_grounded(before.grounds, unexcused, excused, days, RULES) is grounded
