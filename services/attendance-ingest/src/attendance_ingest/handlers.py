"""Attendance-ingest commands: register a school, replace a roll, record a school day."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from baoxue_common.clock import Clock
from baoxue_common.consumer import EventHandlers
from baoxue_common.errors import Conflict, NotFound, Unprocessable
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.attendance import (
    AbsenceRecorded,
    AttendanceSubmitted,
    PresenceRecorded,
    SchoolRegistered,
    StudentEnrolled,
    StudentLeft,
    StudentUpdated,
)

from attendance_ingest.adapters import repository as repo
from attendance_ingest.domain.model import Pupil, classify, diff_roster, is_school_day, leave_reason


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


async def register_school(uow: UnitOfWork, *, school_code: str, name: str, county_code: str, kind: str) -> bool:
    """Create or update a school; emit SchoolRegistered when anything changed."""
    async with uow:
        row = {"school_code": school_code, "name": name, "county_code": county_code, "kind": kind}
        changed = await repo.upsert_school(uow.session, row)
        if changed:
            uow.emit(
                SchoolRegistered(**row), region=county_code, occurred_at=datetime.now(UTC), school_code=school_code
            )
        await uow.commit()
        return changed


async def replace_roster(
    uow: UnitOfWork, *, school_code: str, as_of: date, pupils: Sequence[Pupil], clock: Clock
) -> dict[str, int]:
    """Apply a whole roll: emit StudentEnrolled, StudentUpdated and StudentLeft for the differences."""
    async with uow:
        county = await _county(uow, school_code)
        elsewhere = await repo.active_elsewhere(uow.session, school_code, [p.student_id for p in pupils])
        if elsewhere:
            raise Conflict(
                "pupils are active on another school's roll and no transfer is under way",
                errors=[
                    {"loc": ["students", sid], "msg": f"active at school {other}"} for sid, other in elsewhere.items()
                ],
            )
        diff = diff_roster(await repo.roll(uow.session, school_code), {p.student_id: p for p in pupils})
        await repo.save_pupils(uow.session, school_code, [*diff.joined, *(p for p, _ in diff.changed)])
        await repo.deactivate(uow.session, school_code, [p.student_id for p in diff.left])
        at = clock.at(as_of)  # 08:00 local time on the day the roll is as of
        for pupil in diff.joined:
            event = StudentEnrolled(**_pupil_fields(pupil), school_code=school_code, enrolled_on=as_of)
            uow.emit(event, region=county, occurred_at=at, school_code=school_code, subject_id=pupil.student_id)
        for pupil, changed in diff.changed:
            updated = StudentUpdated(**_pupil_fields(pupil), school_code=school_code, changed=changed)
            uow.emit(updated, region=county, occurred_at=at, school_code=school_code, subject_id=pupil.student_id)
        for pupil in diff.left:
            left = StudentLeft(
                student_id=pupil.student_id,
                school_code=school_code,
                reason=leave_reason(pupil, transfer_pending=False),
                left_on=as_of,
                grade=pupil.grade,
            )
            uow.emit(left, region=county, occurred_at=at, school_code=school_code, subject_id=pupil.student_id)
        await uow.commit()
        return {"joined": len(diff.joined), "changed": len(diff.changed), "left": len(diff.left)}


async def record_attendance(
    uow: UnitOfWork, *, school_code: str, day: date, records: Sequence[AttendanceRecord], clock: Clock
) -> AttendanceResult:
    """All or nothing: check every record, store the changes, emit one event per absence or return."""
    batch_id = uuid.uuid4()
    async with uow:
        county = await _county(uow, school_code)
        roll = await repo.roll(uow.session, school_code)
        errors = _check_day(day, clock.today()) + _check_records(records, roll)
        if errors:
            raise Unprocessable(f"{len(errors)} problem(s) in the attendance of {day}", errors=errors)
        before = await repo.day_statuses(uow.session, school_code, day)
        previous = await repo.previous_statuses(uow.session, school_code, day, [r.student_id for r in records])
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
            await repo.upsert_marks(uow.session, rows)
            counts = await repo.day_counts(uow.session, school_code, day)
            submitted = AttendanceSubmitted(
                school_code=school_code, date=day, batch_id=batch_id, counts=counts, total=sum(counts.values())
            )
            uow.emit(submitted, region=county, occurred_at=at, school_code=school_code)
        await uow.commit()
    return AttendanceResult(batch_id, len(records), absences, corrections)


def vars_of(record: AttendanceRecord) -> dict[str, Any]:
    """The stored columns of a record."""
    return {"student_id": record.student_id, "status": record.status, "reason": record.reason, "note": record.note}


async def _county(uow: UnitOfWork, school_code: str) -> str:
    county = await repo.school_county(uow.session, school_code)
    if county is None:
        raise NotFound(f"unknown school {school_code}")
    return county


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


def _pupil_fields(pupil: Pupil) -> dict[str, Any]:
    return {name: getattr(pupil, name) for name in Pupil.__slots__}


EVENT_HANDLERS: EventHandlers = {}
