"""Verification keeps the roll's dates and transfers, and who the attendance named, for the roster sweeps.

A pupil is on a roll from `enrolled_on` until `left_on`; `last_recorded_on` is the last school day the school's
attendance named the pupil (an AttendanceSubmitted names every pupil of the roll but its `unrecorded`; it comes
after the push's absences and presences, on their partition, so they need no update of their own). A day naming
a pupil after a not_attending gap began ends that suspicion with `attendance_corrected`: the school's own data
closed the gap. A transfer's completion, or the pupil's
enrolment at the receiving school, ends a stalled-transfer suspicion with `transferred`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from baoxue_common.uow import UnitOfWork
from baoxue_contracts import Envelope
from baoxue_contracts.events.attendance import (
    AttendanceSubmitted,
    StudentEnrolled,
    StudentLeft,
    TransferCompleted,
    TransferRequested,
)
from baoxue_contracts.events.verification import ClearReason

from verification import suspects
from verification.adapters import roster_sweeps_repository as sweeps_repo


async def pupil_on_roll(event: StudentEnrolled, envelope: Envelope, uow: UnitOfWork) -> None:
    """Credit the days attendance named the pupil before this enrolment reached verification (topics have no order)."""
    await sweeps_repo.credit_earlier_days(uow.session, event.student_id, event.school_code)


async def pupil_left(event: StudentLeft, envelope: Envelope, uow: UnitOfWork) -> None:
    """The pupil is off the roll they left (whatever the reason: a leave is judged by roster_gaps)."""
    await sweeps_repo.pupil_left(uow.session, event.student_id, event.school_code, event.left_on)


async def transfer_requested(event: TransferRequested, envelope: Envelope, uow: UnitOfWork) -> None:
    """Keep the pending transfer; the stalled-transfer sweep watches it."""
    row = {
        "transfer_id": event.transfer_id,
        "student_id": event.student_id,
        "from_school_code": event.school_code,
        "from_county_code": envelope.region,
        "to_school_code": event.to_school_code,
        "requested_on": event.requested_on,
        "due_on": event.due_on,
    }
    await sweeps_repo.transfer_requested(uow.session, row)


async def transfer_completed(event: TransferCompleted, envelope: Envelope, uow: UnitOfWork) -> None:
    """The transfer is done: a suspicion it opened for being late ends (`transferred`)."""
    row = {
        "transfer_id": event.transfer_id,
        "student_id": event.student_id,
        "from_school_code": event.from_school_code,
        "to_school_code": event.school_code,
        "completed_on": event.completed_on,
    }
    opened = await sweeps_repo.transfer_completed(uow.session, row)
    if opened is not None:
        await _end_transfer_suspicion(uow, opened, event.school_code, event.completed_on, envelope.occurred_at)


async def arrived_by_transfer(event: StudentEnrolled, envelope: Envelope, uow: UnitOfWork) -> None:
    """An enrolment at the receiving school completes the pupil's transfer there, whichever event comes first."""
    on = event.enrolled_on or envelope.occurred_at.date()
    for opened in await sweeps_repo.enrolled_at_receiver(uow.session, event.student_id, event.school_code, on):
        await _end_transfer_suspicion(uow, opened, event.school_code, on, envelope.occurred_at)


async def _end_transfer_suspicion(
    uow: UnitOfWork, suspicion_id: uuid.UUID, school_code: str, on: date, at: datetime
) -> None:
    row = await sweeps_repo.open_suspicion(uow.session, suspicion_id)
    if row is not None:
        await end_roster_suspicion(uow, row, "transferred", on, f"on the roll of school {school_code} as of {on}", at)


async def attendance_submitted(event: AttendanceSubmitted, envelope: Envelope, uow: UnitOfWork) -> None:
    """The day's attendance named every pupil of the school's roll but the unrecorded (one UPDATE)."""
    await sweeps_repo.keep_school_day(uow.session, event.school_code, event.date, event.unrecorded)
    await sweeps_repo.named_by_school(uow.session, event.school_code, event.date, event.unrecorded)
    await _end_named_again(uow, event.school_code, envelope.occurred_at)


async def _end_named_again(uow: UnitOfWork, school_code: str, at: datetime) -> None:
    for row in await sweeps_repo.named_again(uow.session, school_code):
        day = row.last_recorded_on
        note = f"the school's attendance named the pupil on {day}"
        await end_roster_suspicion(uow, row, "attendance_corrected", day, note, at)


async def end_roster_suspicion(
    uow: UnitOfWork, row: Any, reason: ClearReason, on: date, note: str, at: datetime
) -> None:
    """End an open roster suspicion: the suspect is cleared only if no other source holds it (suspects.end)."""
    await suspects.end(uow, row, reason, max(on, row.flagged_on), note, max(at, _noon(row.flagged_on)))


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)
