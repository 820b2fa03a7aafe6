"""Pupils on a roll (学籍) and roster diffs; attendance marks are in `domain.attendance`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Literal


@dataclass(frozen=True, slots=True)
class Pupil:
    """A pupil as the school's roll shows them; the resident ID only as its keyed hash."""

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
    """Compare the roll on record with a new whole roll."""
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


def leave_reason(pupil: Pupil, *, transfer_pending: bool) -> Literal["transfer", "graduation", "unexplained"]:
    """Why a pupil left the roll: a transfer under way, the end of grade 6 or 9, or unexplained."""
    if transfer_pending:
        return "transfer"
    return "graduation" if pupil.grade in (6, 9) else "unexplained"
