"""Pupils on a roll (学籍), roster diffs and how an attendance mark turns into events (到校日报告)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from attendance_ingest.domain.roll import Pupil as Pupil  # re-export: the roll moved to domain/roll.py

AttendanceStatus = Literal["present", "late", "left_early", "absent_excused", "absent_unexcused"]
ABSENT: frozenset[str] = frozenset({"absent_excused", "absent_unexcused"})


@dataclass(frozen=True, slots=True)
class Mark:
    """What one record of a day's push means for the bus."""

    kind: Literal["absence", "presence"] | None
    correction: bool


def classify(new: str, same_day_before: str | None, previous_day: str | None) -> Mark:
    """AbsenceRecorded for any absence; PresenceRecorded only after an absence or when correcting one."""
    if new == same_day_before:
        return Mark(None, False)
    correction = same_day_before is not None
    if new in ABSENT:
        return Mark("absence", correction)
    if (same_day_before in ABSENT) or (not correction and previous_day in ABSENT):
        return Mark("presence", correction)
    return Mark(None, correction)


def is_school_day(day: date) -> bool:
    """Monday to Friday; region calendars (terms, holidays, make-up days) replace this in the calendar issue."""
    return day.weekday() < 5
