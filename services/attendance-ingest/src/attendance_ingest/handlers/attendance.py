"""Record one school day's attendance (到校日报告): all or nothing, events only for absences and returns."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from baoxue_common.clock import Clock
from baoxue_common.errors import Unprocessable
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.attendance import AbsenceRecorded, AttendanceSubmitted, PresenceRecorded

from attendance_ingest.adapters import attendance_repository as marks
from attendance_ingest.adapters import repository as repo
from attendance_ingest.domain.model import Pupil, classify, is_school_day
from attendance_ingest.handlers.common import county_of


@dataclass(frozen=True, slots=True)
class AttendanceRecord:
    """One pupil's mark in a day's push."""

    student_id: str
    status: str
    reason: str | None = None
    note: str | None = None


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
    """All or nothing: check every record, store the changes, emit one event per absence or return."""
    batch_id = uuid.uuid4()
    async with uow:
        county = await county_of(uow, school_code)
        roll = await repo.roll(uow.session, school_code)
        errors = _check_day(day, clock.today()) + _check_records(records, roll)
        if errors:
            raise Unprocessable(f"{len(errors)} problem(s) in the attendance of {day}", errors=errors)
        before = await marks.day_statuses(uow.session, school_code, day)
        previous = await marks.previous_statuses(uow.session, school_code, day, [r.student_id for r in records])
        rows: list[dict[str, Any]] = []
        absences = corrections = 0
        at = clock.at(day)  # 08:00 local time on the school day
        for record in records:
            earlier = before.get(record.student_id)
            if earlier == (record.status, record.reason):
                continue
            mark = classify(record.status, earlier[0] if earlier else None, previous.get(record.student_id))
            rows.append({"day": day, "school_code": school_code, **vars_of(record), "batch_id": batch_id})
            corrections += mark.correction
            common = {"student_id": record.student_id, "school_code": school_code, "date": day, "batch_id": batch_id}
            event: AbsenceRecorded | PresenceRecorded | None = None
            if mark.kind == "absence":
                absences += 1
                event = AbsenceRecorded(
                    **common, status=record.status, reason=record.reason, correction=mark.correction
                )
            elif mark.kind == "presence":
                event = PresenceRecorded(**common, status=record.status, correction=mark.correction)
            if event is not None:
                uow.emit(event, region=county, occurred_at=at, school_code=school_code, subject_id=record.student_id)
        if rows:
            await marks.upsert_marks(uow.session, rows)
            counts = await marks.day_counts(uow.session, school_code, day)
            submitted = AttendanceSubmitted(
                school_code=school_code, date=day, batch_id=batch_id, counts=counts, total=sum(counts.values())
            )
            uow.emit(submitted, region=county, occurred_at=at, school_code=school_code)
        await uow.commit()
    return AttendanceResult(batch_id, len(records), absences, corrections)


def vars_of(record: AttendanceRecord) -> dict[str, Any]:
    """The stored columns of a record."""
    return {"student_id": record.student_id, "status": record.status, "reason": record.reason, "note": record.note}


def _check_day(day: date, today: date) -> list[dict[str, Any]]:
    if day > today:
        return [{"loc": ["body", "date"], "msg": f"{day} is in the future"}]
    if not is_school_day(day):
        return [{"loc": ["body", "date"], "msg": f"{day} is not a school day"}]
    return []


def _check_records(records: Sequence[AttendanceRecord], roll: dict[str, Pupil]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, record in enumerate(records):
        if record.student_id in seen:
            errors.append({"loc": ["body", "records", i, "student_id"], "msg": "duplicate pupil in this request"})
        elif record.student_id not in roll:
            errors.append({"loc": ["body", "records", i, "student_id"], "msg": "not on this school's roll"})
        seen.add(record.student_id)
    return errors
