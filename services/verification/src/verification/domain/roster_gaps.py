"""Roster gaps (学籍异动): a pupil who leaves a roll with no transfer or graduation is a suspect (source roster).

A pupil removed from a roll with no receiving school is a classic way to vanish; the flag ends when a roll
shows the pupil again, at the same school (`returned`) or another (`studying_elsewhere`).
"""

from __future__ import annotations

import uuid
from datetime import date

from baoxue_contracts.events.verification import ClearReason

# Fixed so the same leave always names the same suspicion: a redelivered StudentLeft opens nothing new.
_NAMESPACE = uuid.UUID("5b0c1f3e-6d2a-4f57-9a41-7e0d3c2b9a10")


def unexplained_leave(reason: str, school_code: str, left_on: date, current_school: str | None) -> str | None:
    """The suspect reason of a leave, or None if it flags nothing.

    Only an unexplained leave flags, and only while the school it left is the last roll verification knows the
    pupil on (None: unknown); a pupil already enrolled elsewhere is at school.
    """
    if reason != "unexplained":
        return None
    if current_school is not None and current_school != school_code:
        return None
    return f"left the roll of school {school_code} on {left_on} without a transfer or graduation"


def leave_suspicion_id(student_id: str, school_code: str, left_on: date) -> uuid.UUID:
    """The id of the suspicion one leave opens, the same however often the leave is delivered."""
    return uuid.uuid5(_NAMESPACE, f"roster:{student_id}:{school_code}:{left_on.isoformat()}")


def back_on_a_roll(
    left_school: str | None, enrolled_school: str, flagged_on: date, enrolled_on: date | None
) -> ClearReason | None:
    """Why a pupil's enrolment ends a roster suspicion, or None if the enrolment predates the leave."""
    if enrolled_on is not None and enrolled_on < flagged_on:
        return None
    return "returned" if enrolled_school == left_school else "studying_elsewhere"
