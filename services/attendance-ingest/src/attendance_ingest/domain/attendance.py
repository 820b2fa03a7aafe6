"""Daily attendance (到校日报告): which days take a push, which records are valid, what a mark means for the bus."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from baoxue_common.calendar import SchoolDays

AttendanceStatus = Literal["present", "late", "left_early", "absent_excused", "absent_unexcused"]
STATUSES: tuple[str, ...] = ("present", "late", "left_early", "absent_excused", "absent_unexcused")
ABSENT: frozenset[str] = frozenset({"absent_excused", "absent_unexcused"})

Problem = dict[str, Any]
"""One `errors` entry of a 422: where (`loc`) and why (`msg`)."""


@dataclass(frozen=True, slots=True)
class AttendanceRecord:
    """One pupil's mark in a day's push."""

    student_id: str
    status: str
    reason: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class StoredMark:
    """A mark already on record for a pupil on that day."""

    status: str
    reason: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Mark:
    """What one record of a day's push means for the bus."""

    kind: Literal["absence", "presence"] | None
    correction: bool


def classify(record: AttendanceRecord, same_day_before: StoredMark | None, previous_day: str | None) -> Mark:
    """AbsenceRecorded for any new or changed absence; PresenceRecorded only after an absence or correcting one.

    A record identical to the one on record means nothing; a change of note alone is a correction without event.
    """
    before = same_day_before
    correction = before is not None
    if before is not None and (before.status, before.reason) == (record.status, record.reason):
        return Mark(None, before.note != record.note)
    if record.status in ABSENT:
        return Mark("absence", correction)
    if (before is not None and before.status in ABSENT) or (before is None and previous_day in ABSENT):
        return Mark("presence", correction)
    return Mark(None, correction)


def day_problems(day: date, today: date, days: SchoolDays) -> list[Problem]:
    """Why a push for `day` cannot be taken: in the future, no calendar, outside every term, holiday or weekend."""
    loc = ["body", "date"]
    if day > today:
        return [{"loc": loc, "msg": f"{day} is in the future"}]
    if days.is_school_day(day):
        return []
    if not any(_school_year_holds(c.school_year, day) for c in days.calendars):
        msg = f"no school calendar covering {day} is published for this school's county, city, province or nation"
        return [{"loc": loc, "msg": msg}]
    in_term = [c for c in days.calendars if c.term_of(day) is not None]
    if not in_term:
        return [{"loc": loc, "msg": f"{day} is outside every term of this school's calendar"}]
    if any(day in c.holidays for c in in_term):
        return [{"loc": loc, "msg": f"{day} is a holiday in this school's calendar"}]
    return [{"loc": loc, "msg": f"{day} is a weekend day and not a make-up school day in this school's calendar"}]


def _school_year_holds(school_year: str, day: date) -> bool:
    first = int(school_year[:4])
    return date(first, 8, 1) <= day <= date(first + 1, 8, 31)


def record_problems(records: Sequence[AttendanceRecord], off_roll: Collection[str]) -> list[Problem]:
    """Every bad record, each with its index: not on the roll, a duplicate in this request, an unknown status."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, record in enumerate(records):
        if record.student_id in seen:
            problems.append({"loc": ["body", "records", i, "student_id"], "msg": "duplicate pupil in this request"})
        elif record.student_id in off_roll:
            problems.append({"loc": ["body", "records", i, "student_id"], "msg": "not on this school's roll"})
        if record.status not in STATUSES:
            problems.append({"loc": ["body", "records", i, "status"], "msg": f"unknown status {record.status!r}"})
        seen.add(record.student_id)
    return problems
