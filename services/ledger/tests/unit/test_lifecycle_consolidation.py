"""Consolidation counts school days after its start up to the sweep day; a new streak restarts it; leaving reopens."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from baoxue_common.calendar import Calendar, SchoolDays, Term
from ledger.domain.consolidation import (
    CLEARED_ON_REOPEN,
    can_assign,
    can_confirm,
    consolidation_days,
    is_due,
    reopened,
    restarted_from,
    school_days_back,
    seen_later,
)

# Mon 2 Mar – Fri 27 Mar 2026, weekdays teach, Wed 11 Mar a holiday.
TERM = Calendar(
    "000000", "2025-2026", (Term("春", date(2026, 3, 2), date(2026, 3, 27)),), frozenset({date(2026, 3, 11)})
)
DAYS = SchoolDays((TERM,))


@pytest.mark.parametrize(
    ("start", "today", "back"),
    [
        (date(2026, 3, 2), date(2026, 3, 2), 0),  # the start itself is not counted
        (date(2026, 3, 2), date(2026, 3, 3), 1),
        (date(2026, 3, 6), date(2026, 3, 9), 1),  # Fri → Mon: the weekend does not count
        (date(2026, 3, 10), date(2026, 3, 12), 1),  # the holiday does not count
        (date(2026, 3, 2), date(2026, 3, 13), 8),
        (date(2026, 3, 13), date(2026, 3, 2), 0),  # a sweep day before the start
        (date(2026, 3, 20), date(2026, 4, 30), 5),  # beyond the calendar: only known school days
    ],
)
def test_school_days_back_count_after_the_start_up_to_the_day(start: date, today: date, back: int) -> None:
    assert school_days_back(DAYS, start, today) == back


def test_due_once_the_period_is_stayed() -> None:
    assert not is_due(2, 3)
    assert is_due(3, 3)
    assert is_due(4, 3)


def test_the_period_comes_from_the_nearest_region_else_sixty() -> None:
    assert consolidation_days("140108", {}) == 60
    assert consolidation_days("140108", {"140000": {"return_consolidation_school_days": 20}}) == 20
    nearer = {"140000": {"return_consolidation_school_days": 20}, "140100": {"return_consolidation_school_days": 5}}
    assert consolidation_days("140108", nearer) == 5
    assert consolidation_days("130108", nearer) == 60


def case(status: str, **values: Any) -> dict[str, Any]:
    return {"status": status, "relapses": 0, "seen_at_school_on": None} | values


@pytest.mark.parametrize("status", ["returned", "closure_proposed"])
def test_a_new_streak_restarts_consolidation_the_day_after(status: str) -> None:
    back = case(status, returned_on=date(2026, 3, 2), consolidation_from=date(2026, 3, 2))
    assert restarted_from(back, date(2026, 3, 10)) == date(2026, 3, 11)


def test_no_restart_outside_consolidation_or_from_an_older_streak() -> None:
    assert restarted_from(case("open"), date(2026, 3, 10)) is None
    assert restarted_from(case("closed", consolidation_from=date(2026, 3, 2)), date(2026, 3, 10)) is None
    current = case("returned", consolidation_from=date(2026, 3, 11))
    assert restarted_from(current, date(2026, 3, 10)) is None, "the same streak redelivered"
    assert restarted_from(current, date(2026, 3, 9)) is None, "an older streak"
    assert restarted_from(current, date(2026, 3, 12)) == date(2026, 3, 13)
    assert restarted_from(case("returned", returned_on=date(2026, 3, 5)), date(2026, 3, 1)) is None


def test_reopening_counts_a_relapse_and_clears_the_return() -> None:
    closed = case("closed", relapses=1, returned_on=date(2026, 3, 2), closed_on=date(2026, 6, 1), closed_by="李")
    changes = reopened(closed)
    assert changes["status"] == "open"
    assert changes["relapses"] == 2
    assert all(changes[name] is None for name in CLEARED_ON_REOPEN)
    assert {"returned_on", "consolidation_from", "proposed_on", "closed_on", "closed_by"} <= set(CLEARED_ON_REOPEN)


def test_seen_at_school_only_moves_forward_on_an_open_case() -> None:
    day = date(2026, 3, 10)
    assert seen_later(case("open"), day)
    assert seen_later(case("open", seen_at_school_on=day - timedelta(days=1)), day)
    assert not seen_later(case("open", seen_at_school_on=day), day)
    assert not seen_later(case("open", seen_at_school_on=day + timedelta(days=1)), day)
    assert not seen_later(case("returned"), day)


@pytest.mark.parametrize(
    ("status", "assign", "confirm"),
    [
        ("pending", True, True),
        ("verifying", False, True),
        ("confirmed_dropout", False, False),
        ("cleared", False, False),
    ],
)
def test_suspects_move_only_forward(status: str, assign: bool, confirm: bool) -> None:
    assert can_assign(status) is assign
    assert can_confirm(status) is confirm
