"""The school roll (学籍): pupils, the diff of a whole roll against the one on record, and why a pupil left.

Glossary: 学籍 roll, 转学 transfer, 毕业 graduation, 建档立卡贫困户 poverty household (`poverty_household`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Literal, NamedTuple

from baoxue_common.pii import check_national_id

LeaveReason = Literal["transfer", "graduation", "unexplained"]

# The last grade of each kind of school: leaving from it once the school year has ended is graduation.
FINAL_GRADES: Mapping[str, frozenset[int]] = {
    "primary": frozenset({6}),
    "junior": frozenset({9}),
    "nine_year": frozenset({9}),
    "special": frozenset({6, 9}),
}


@dataclass(frozen=True, slots=True)
class Pupil:
    """A pupil as the school's roll shows them; the resident ID only as its keyed hash (blind index)."""

    student_id: str
    name: str
    gender: str
    birth_date: date
    grade: int
    class_name: str
    hukou_county_code: str
    residence_county_code: str
    national_id_hash: str
    groups: tuple[str, ...] = ()
    poverty_household: bool = False


@dataclass(frozen=True, slots=True)
class RosterDiff:
    """Who joined, whose record changed (with the changed fields) and who left the roll."""

    joined: list[Pupil] = field(default_factory=list)
    changed: list[tuple[Pupil, tuple[str, ...]]] = field(default_factory=list)
    left: list[Pupil] = field(default_factory=list)


def diff_roster(current: Mapping[str, Pupil], incoming: Mapping[str, Pupil]) -> RosterDiff:
    """Compare the roll on record with a new whole roll; the blind index decides whether the ID number changed."""
    diff = RosterDiff()
    for student_id, pupil in incoming.items():
        before = current.get(student_id)
        if before is None:
            diff.joined.append(pupil)
        elif before != pupil:
            changed = tuple(f.name for f in fields(Pupil) if getattr(before, f.name) != getattr(pupil, f.name))
            diff.changed.append((pupil, changed))
    diff.left.extend(p for sid, p in current.items() if sid not in incoming)
    return diff


def leave_reason(pupil: Pupil, *, transfer_pending: bool, school_kind: str, year_ended: bool) -> LeaveReason:
    """Transfer when one is under way; graduation from the last grade once the school year ended; else unexplained."""
    if transfer_pending:
        return "transfer"
    if year_ended and pupil.grade in FINAL_GRADES.get(school_kind, frozenset()):
        return "graduation"
    return "unexplained"


class RollEntry(NamedTuple):
    """What the identity checks of one roll entry need."""

    student_id: str
    national_id: str
    birth_date: date


Problem = tuple[int, str, str]
"""(index in the roll, field, why)."""


def roll_problems(entries: Sequence[RollEntry]) -> list[Problem]:
    """Every identity problem of a roll: bad ID numbers, a G-number not made of the ID, duplicates; never raises."""
    problems: list[Problem] = []
    by_student: dict[str, int] = {}
    by_number: dict[str, int] = {}
    for i, entry in enumerate(entries):
        number = entry.national_id.upper()
        if (first := by_student.setdefault(entry.student_id, i)) != i:
            problems.append((i, "student_id", f"duplicate pupil in this roll (also at index {first})"))
        if why := check_national_id(entry.national_id, entry.birth_date):
            problems.append((i, "national_id", why))
            continue
        if (first := by_number.setdefault(number, i)) != i:
            problems.append((i, "national_id", f"the same ID number as the pupil at index {first}"))
        if entry.student_id.startswith("G") and entry.student_id[1:] != number:
            problems.append((i, "student_id", "a G-number is G followed by the pupil's own ID number"))
    return problems
