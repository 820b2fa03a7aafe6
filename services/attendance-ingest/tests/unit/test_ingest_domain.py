"""How a mark becomes an event, and the interim school-day rule (the roll is tested in test_roll.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from attendance_ingest.domain.model import ABSENT, Mark, classify, is_school_day

NOT_ABSENT = ("present", "late", "left_early")


@pytest.mark.parametrize(
    ("new", "same_day_before", "previous_day", "mark"),
    [
        # first mark of the day
        ("absent_unexcused", None, None, Mark("absence", False)),
        ("absent_excused", None, None, Mark("absence", False)),
        ("absent_unexcused", None, "absent_unexcused", Mark("absence", False)),
        ("absent_excused", None, "present", Mark("absence", False)),
        ("present", None, "absent_unexcused", Mark("presence", False)),
        ("late", None, "absent_excused", Mark("presence", False)),
        ("left_early", None, "absent_unexcused", Mark("presence", False)),
        ("present", None, "present", Mark(None, False)),
        ("present", None, "late", Mark(None, False)),
        ("present", None, None, Mark(None, False)),
        # a second push for the same day
        ("present", "absent_unexcused", None, Mark("presence", True)),
        ("late", "absent_excused", "present", Mark("presence", True)),
        ("absent_unexcused", "present", None, Mark("absence", True)),
        ("absent_excused", "late", "absent_unexcused", Mark("absence", True)),
        ("absent_excused", "absent_unexcused", None, Mark("absence", True)),
        ("absent_unexcused", "absent_excused", None, Mark("absence", True)),
        ("late", "present", "absent_unexcused", Mark(None, True)),
        ("present", "left_early", None, Mark(None, True)),
        # identical repeats are no-ops
        ("present", "present", "absent_unexcused", Mark(None, False)),
        ("absent_unexcused", "absent_unexcused", None, Mark(None, False)),
        ("absent_excused", "absent_excused", "present", Mark(None, False)),
    ],
)
def test_classify(new: str, same_day_before: str | None, previous_day: str | None, mark: Mark) -> None:
    assert classify(new, same_day_before, previous_day) == mark


@pytest.mark.parametrize("status", sorted(ABSENT))
@pytest.mark.parametrize("previous_day", [None, *NOT_ABSENT, *sorted(ABSENT)])
def test_every_first_absence_is_an_absence_event(status: str, previous_day: str | None) -> None:
    assert classify(status, None, previous_day) == Mark("absence", False)


@pytest.mark.parametrize("status", NOT_ABSENT)
@pytest.mark.parametrize("previous_day", [None, *NOT_ABSENT])
def test_presence_after_presence_is_silent(status: str, previous_day: str | None) -> None:
    assert classify(status, None, previous_day).kind is None


MONDAY = date(2026, 9, 7)


@pytest.mark.parametrize(
    ("offset", "school_day"), [(0, True), (1, True), (2, True), (3, True), (4, True), (5, False), (6, False)]
)
def test_is_school_day_is_monday_to_friday(offset: int, school_day: bool) -> None:
    assert is_school_day(MONDAY + timedelta(days=offset)) is school_day
