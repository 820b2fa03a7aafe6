"""Roster gaps: which leaves flag a suspect, and how a later enrolment ends it."""

from __future__ import annotations

from datetime import date

import pytest
from verification.domain.roster_gaps import back_on_a_roll, leave_suspicion_id, unexplained_leave

LEFT_ON = date(2026, 10, 12)
SCHOOL, OTHER = "1501030001", "1501030002"


@pytest.mark.parametrize(
    ("reason", "current", "flags"),
    [
        ("unexplained", SCHOOL, True),
        ("unexplained", None, True),  # the roll's enrolment has not reached verification yet
        ("unexplained", OTHER, False),  # already on another roll: at school
        ("transfer", SCHOOL, False),
        ("graduation", SCHOOL, False),
        ("transfer", None, False),
    ],
)
def test_only_an_unexplained_leave_from_the_last_known_roll_flags(
    reason: str, current: str | None, flags: bool
) -> None:
    found = unexplained_leave(reason, SCHOOL, LEFT_ON, current)
    assert (found is not None) == flags
    if found is not None:
        assert found == f"left the roll of school {SCHOOL} on 2026-10-12 without a transfer or graduation"


def test_the_same_leave_names_the_same_suspicion_and_another_leave_another() -> None:
    first = leave_suspicion_id("G1", SCHOOL, LEFT_ON)
    assert leave_suspicion_id("G1", SCHOOL, LEFT_ON) == first
    assert leave_suspicion_id("G1", SCHOOL, date(2026, 10, 13)) != first
    assert leave_suspicion_id("G1", OTHER, LEFT_ON) != first
    assert leave_suspicion_id("G2", SCHOOL, LEFT_ON) != first


@pytest.mark.parametrize(
    ("enrolled_at", "enrolled_on", "expected"),
    [
        (OTHER, date(2026, 10, 20), "studying_elsewhere"),
        (SCHOOL, date(2026, 10, 20), "returned"),
        (OTHER, LEFT_ON, "studying_elsewhere"),
        (OTHER, None, "studying_elsewhere"),
        (OTHER, date(2026, 10, 11), None),  # an enrolment older than the leave says nothing about it
        (SCHOOL, date(2026, 9, 1), None),
    ],
)
def test_an_enrolment_after_the_leave_ends_the_suspicion(
    enrolled_at: str, enrolled_on: date | None, expected: str | None
) -> None:
    assert back_on_a_roll(SCHOOL, enrolled_at, LEFT_ON, enrolled_on) == expected
