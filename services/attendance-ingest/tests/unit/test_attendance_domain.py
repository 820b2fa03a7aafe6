"""How a mark becomes an event, which days take a push, and which records are bad."""

from __future__ import annotations

from datetime import date

import pytest
from attendance_ingest.domain.attendance import (
    ABSENT,
    AttendanceRecord,
    Mark,
    StoredMark,
    classify,
    day_problems,
    record_problems,
)
from baoxue_common.calendar import Calendar, SchoolDays, Term, school_days_of

NOT_ABSENT = ("present", "late", "left_early")


def rec(status: str, reason: str | None = None, note: str | None = None) -> AttendanceRecord:
    return AttendanceRecord("G1", status, reason, note)


def stored(status: str | None, reason: str | None = None, note: str | None = None) -> StoredMark | None:
    return None if status is None else StoredMark(status, reason, note)


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
    assert classify(rec(new), stored(same_day_before), previous_day) == mark


@pytest.mark.parametrize("status", sorted(ABSENT))
@pytest.mark.parametrize("previous_day", [None, *NOT_ABSENT, *sorted(ABSENT)])
def test_every_first_absence_is_an_absence_event(status: str, previous_day: str | None) -> None:
    assert classify(rec(status), None, previous_day) == Mark("absence", False)


@pytest.mark.parametrize("status", NOT_ABSENT)
@pytest.mark.parametrize("previous_day", [None, *NOT_ABSENT])
def test_presence_after_presence_is_silent(status: str, previous_day: str | None) -> None:
    assert classify(rec(status), None, previous_day).kind is None


def test_a_new_reason_for_an_absence_is_an_absence_correction_and_a_new_note_a_silent_one() -> None:
    before = StoredMark("absent_excused", "sick", "fever")
    assert classify(rec("absent_excused", "family", "fever"), before, None) == Mark("absence", True)
    assert classify(rec("absent_excused", "sick", "better"), before, None) == Mark(None, True)
    assert classify(rec("present", None, "x"), StoredMark("present", None, None), None) == Mark(None, True)


# 2026-2027: term 1 Sep 1 – Jan 20, term 2 Feb 20 – Jul 10; Oct 1 a holiday; Sat Sep 26 a make-up day.
NATIONAL = Calendar(
    "000000",
    "2026-2027",
    (Term("秋季", date(2026, 9, 1), date(2027, 1, 20)), Term("春季", date(2027, 2, 20), date(2027, 7, 10))),
    frozenset({date(2026, 10, 1)}),
    frozenset({date(2026, 9, 26)}),
)
TODAY = date(2027, 7, 31)


def msgs(day: date, days: SchoolDays, today: date = TODAY) -> list[str]:
    problems = day_problems(day, today, days)
    assert all(p["loc"] == ["body", "date"] for p in problems)
    return [p["msg"] for p in problems]


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (date(2026, 9, 1), None),  # Tuesday, first day of the term
        (date(2027, 1, 20), None),  # last day of term 1
        (date(2026, 9, 26), None),  # make-up Saturday
        (date(2026, 10, 1), "holiday"),
        (date(2026, 9, 27), "weekend"),  # plain Sunday
        (date(2026, 8, 31), "outside every term"),
        (date(2027, 2, 1), "outside every term"),  # winter break, a Monday
        (date(2027, 7, 12), "outside every term"),
    ],
)
def test_day_problems_follow_the_calendar(day: date, words: str | None) -> None:
    found = msgs(day, school_days_of("110101", [NATIONAL]))
    assert found == [] if words is None else (len(found) == 1 and words in found[0]), found


def test_future_and_no_calendar_are_refused() -> None:
    days = school_days_of("110101", [NATIONAL])
    assert "in the future" in msgs(date(2026, 9, 2), days, today=date(2026, 9, 1))[0]
    assert "no school calendar" in msgs(date(2026, 9, 1), school_days_of("110101", []))[0]
    assert "no school calendar" in msgs(date(2026, 3, 2), days)[0], "a school year nobody published"


def test_a_county_calendar_overrides_the_national_one() -> None:
    county = Calendar("110101", "2026-2027", (Term("全年", date(2026, 8, 15), date(2027, 7, 31)),))
    days = school_days_of("110101", [NATIONAL, county])
    assert msgs(date(2026, 10, 1), days) == [], "the county has no holiday on Oct 1"
    assert "weekend" in msgs(date(2026, 9, 26), days)[0], "nor the national make-up day"
    assert msgs(date(2026, 8, 17), days) == []
    assert msgs(date(2026, 10, 1), school_days_of("110102", [NATIONAL, county])) != [], "other counties keep it"


def test_record_problems_lists_every_bad_record_with_its_index() -> None:
    records = [
        AttendanceRecord("A", "present"),
        AttendanceRecord("X", "present"),
        AttendanceRecord("A", "absent_excused"),
        AttendanceRecord("B", "sleeping"),
        AttendanceRecord("Y", "gone"),
    ]
    assert record_problems(records, {"X", "Y"}) == [  # A and B are on the roll
        {"loc": ["body", "records", 1, "student_id"], "msg": "not on this school's roll"},
        {"loc": ["body", "records", 2, "student_id"], "msg": "duplicate pupil in this request"},
        {"loc": ["body", "records", 3, "status"], "msg": "unknown status 'sleeping'"},
        {"loc": ["body", "records", 4, "student_id"], "msg": "not on this school's roll"},
        {"loc": ["body", "records", 4, "status"], "msg": "unknown status 'gone'"},
    ]
    assert record_problems(records[:1], {"X", "Y"}) == []
