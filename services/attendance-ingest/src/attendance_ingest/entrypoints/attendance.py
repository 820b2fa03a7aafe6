"""Route of daily attendance (到校日报告): one school day per request."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from baoxue_common.errors import PayloadTooLarge
from fastapi import APIRouter

from attendance_ingest import handlers
from attendance_ingest.adapters import attendance_repository as marks
from attendance_ingest.entrypoints.attendance_schemas import MAX_RECORDS, AttendanceDayOut, AttendanceIn, AttendanceOut
from attendance_ingest.entrypoints.deps import Runtime, SchoolCodePath, SchoolScoped
from attendance_ingest.handlers.common import county_of

router = APIRouter(prefix="/v1/schools", tags=["attendance"])


@router.post("/{school_code}/attendance", response_model=AttendanceOut, summary="Record one school day")
async def post_attendance(
    school_code: SchoolCodePath, body: AttendanceIn, _: SchoolScoped, rt: Runtime
) -> AttendanceOut:
    if len(body.records) > MAX_RECORDS:  # the schema already refuses these before parsing them
        raise PayloadTooLarge(f"at most {MAX_RECORDS} records per request; got {len(body.records)}")
    records = [handlers.AttendanceRecord(r.student_id, r.status, r.reason, r.note) for r in body.records]
    result = await handlers.record_attendance(
        rt.uow(), school_code=school_code, day=body.date, records=records, clock=rt.clock
    )
    return AttendanceOut(**asdict(result))


@router.get(
    "/{school_code}/attendance/{day}",
    response_model=AttendanceDayOut,
    summary="Whether a school day's attendance was submitted, with its counts by status",
)
async def get_attendance_day(school_code: SchoolCodePath, day: date, _: SchoolScoped, rt: Runtime) -> AttendanceDayOut:
    uow = rt.uow()
    async with uow:
        county_code = await county_of(uow, school_code)  # 404 for an unknown school, whoever asks
        counts = await marks.day_counts(uow.session, school_code, day)
        missing = await marks.unrecorded(uow.session, school_code, day)
    total = sum(counts.values())
    return AttendanceDayOut(
        school_code=school_code,
        county_code=county_code,
        date=day,
        submitted=total > 0,
        counts=counts,
        total=total,
        unrecorded=len(missing),
    )
