"""Record one school day's attendance (到校日报告): all or nothing, events only for absences and returns."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from baoxue_common.calendar_store import school_days
from baoxue_common.clock import Clock
from baoxue_common.errors import Unprocessable
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.attendance import AbsenceRecorded, AttendanceSubmitted, PresenceRecorded

from attendance_ingest.adapters import attendance_repository as marks
from attendance_ingest.adapters.orm import calendars
from attendance_ingest.domain.attendance import (
    AttendanceRecord,
    classify,
    day_problems,
    record_problems,
)
from attendance_ingest.handlers.common import county_of

__all__ = ["AttendanceRecord", "AttendanceResult", "record_attendance"]

LOOKBACK_SCHOOL_DAYS = 10
"""How far back a return after an absence is looked for (school days; a school pushes every school day)."""


@dataclass(frozen=True, slots=True)
class AttendanceResult:
    """What a day's push changed."""

    batch_id: uuid.UUID
    accepted: int
    absences: int
    corrections: int


async def record_attendance(
    uow: UnitOfWork, *, school_code: str, day: date, records: Sequence[AttendanceRecord], clock: Clock
) -> AttendanceResult:
    """All or nothing: check every record, store the changes, emit one event per absence or return.

    Pushes of one (school, day) are serialised by a transaction-scoped advisory lock taken first, so a retry
    racing its original sees the original's rows (and emits nothing), and of two differing pushes the one
    committed last is both the stored mark and the last event.
    """
    batch_id = uuid.uuid4()
    async with uow:
        await marks.lock_school_day(uow.session, school_code, day)
        county = await county_of(uow, school_code)
        days = await school_days(uow.session, calendars, county)
        errors = day_problems(day, clock.today(), days)
        errors += record_problems(records, await marks.off_roll(uow.session, school_code, ids_of(records)))
        if errors:
            raise Unprocessable(f"{len(errors)} problem(s) in the attendance of {day}", errors=errors)
        since = days.before(day, LOOKBACK_SCHOOL_DAYS) or day - timedelta(days=2 * LOOKBACK_SCHOOL_DAYS)
        written = await marks.write_day(
            uow.session, school_code=school_code, day=day, since=since, batch_id=batch_id, records=records
        )
        absences = corrections = 0
        at = clock.at(day)  # 08:00 local time on the school day
        for w in written:
            record, earlier = w.record, w.before
            mark = classify(record, earlier, w.previous_status)
            corrections += mark.correction
            common = {
                "student_id": record.student_id,
                "school_code": school_code,
                "date": day,
                "batch_id": batch_id,
                "correction": mark.correction,
                "previous_status": earlier.status if earlier else None,
            }
            event: AbsenceRecorded | PresenceRecorded | None = None
            if mark.kind == "absence":
                absences += 1
                event = AbsenceRecorded(**common, status=record.status, reason=record.reason)
            elif mark.kind == "presence":
                event = PresenceRecorded(**common, status=record.status)
            if event is not None:
                uow.emit(event, region=county, occurred_at=at, school_code=school_code, subject_id=record.student_id)
        if written:
            counts = await marks.day_counts(uow.session, school_code, day)
            submitted = AttendanceSubmitted(
                school_code=school_code,
                date=day,
                batch_id=batch_id,
                counts=counts,
                total=sum(counts.values()),
                unrecorded=await marks.unrecorded(uow.session, school_code, day),
            )
            uow.emit(submitted, region=county, occurred_at=at, school_code=school_code)
        await uow.commit()
    return AttendanceResult(batch_id, len(records), absences, corrections)


def ids_of(records: Sequence[AttendanceRecord]) -> list[str]:
    """The student ids of a push, in order."""
    return [r.student_id for r in records]
