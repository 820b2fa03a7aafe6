"""Roster sweeps: when a stalled transfer or a pupil the attendance does not name has lasted long enough."""

from __future__ import annotations

from datetime import date

import pytest
from baoxue_common.calendar import Calendar, SchoolDays, Term, school_days_of
from verification.domain.roster_sweeps import cutoff, overdue, transfer_overdue

COUNTY = "620103"
# Term from Mon 2026-09-07; Thu 1 Oct and Fri 2 Oct are holidays, Sat 10 Oct a make-up school day.
TERM = Term("秋季", date(2026, 9, 7), date(2027, 1, 15))
DAYS = school_days_of(
    COUNTY,
    [
        Calendar(
            COUNTY,
            "2026-2027",
            (TERM,),
            frozenset({date(2026, 10, 1), date(2026, 10, 2)}),
            frozenset({date(2026, 10, 10)}),
        )
    ],
)


@pytest.mark.parametrize(
    ("today", "n", "expected"),
    [
        (date(2026, 9, 14), 1, date(2026, 9, 11)),  # Monday: the Friday before, the weekend skipped
        (date(2026, 9, 14), 5, date(2026, 9, 7)),
        (date(2026, 10, 5), 2, date(2026, 9, 29)),  # Mon 5 Oct: 1-2 Oct are holidays, 30 Sep and 29 Sep teach
        (date(2026, 10, 12), 1, date(2026, 10, 10)),  # the make-up Saturday counts
        (date(2026, 9, 8), 2, None),  # before the first calendar: cannot tell
        (date(2026, 9, 14), 0, None),
    ],
)
def test_the_cutoff_is_the_nth_school_day_before_today(today: date, n: int, expected: date | None) -> None:
    assert cutoff(DAYS, today, n) == expected


@pytest.mark.parametrize(
    ("since", "today", "n", "flags"),
    [
        (date(2026, 9, 7), date(2026, 9, 14), 5, False),  # 8-11 Sep: four school days between, today excluded
        (date(2026, 9, 4), date(2026, 9, 14), 5, True),  # enrolled before the term: 7-11 Sep are five
        (date(2026, 9, 7), date(2026, 9, 15), 5, True),  # 8-14 Sep: five
        (date(2026, 9, 28), date(2026, 10, 5), 3, False),  # 29, 30 Sep; the holidays are not school days
        (date(2026, 9, 28), date(2026, 10, 6), 3, True),  # 29, 30 Sep and 5 Oct
    ],
)
def test_a_gap_is_overdue_once_n_school_days_lie_between_its_start_and_today(
    since: date, today: date, n: int, flags: bool
) -> None:
    assert overdue(DAYS, since, today, n) is flags


def test_a_gap_from_a_weekend_counts_only_the_school_days_after_it() -> None:
    # Last seen Saturday 12 Sep: Monday 14 Sep is the first school day missed, so on Tuesday one has lapsed.
    assert not overdue(DAYS, date(2026, 9, 12), date(2026, 9, 14), 1)
    assert overdue(DAYS, date(2026, 9, 12), date(2026, 9, 15), 1)


def test_a_transfer_is_overdue_after_its_last_school_day_in_the_receiving_calendar() -> None:
    requested = date(2026, 9, 7)
    due = DAYS.after(requested, 20)
    assert due == date(2026, 10, 7)  # 20 school days, the two holidays skipped
    assert not transfer_overdue(DAYS, requested, None, due, 20)  # the due day itself is still in time
    assert transfer_overdue(DAYS, requested, None, date(2026, 10, 8), 20)
    # A request on a holiday counts from the next school day.
    assert DAYS.after(date(2026, 10, 1), 1) == date(2026, 10, 5)


def test_without_a_calendar_the_transfer_uses_the_due_day_it_carried() -> None:
    none = SchoolDays(())
    assert not transfer_overdue(none, date(2026, 9, 7), None, date(2027, 9, 7), 20)
    assert not transfer_overdue(none, date(2026, 9, 7), date(2026, 10, 6), date(2026, 10, 6), 20)
    assert transfer_overdue(none, date(2026, 9, 7), date(2026, 10, 6), date(2026, 10, 7), 20)
