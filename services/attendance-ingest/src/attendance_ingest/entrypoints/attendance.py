"""Route of daily attendance (到校日报告): one school day per request."""

from __future__ import annotations

from dataclasses import asdict

from baoxue_common.errors import PayloadTooLarge
from fastapi import APIRouter

from attendance_ingest import handlers
from attendance_ingest.entrypoints.attendance_schemas import MAX_RECORDS, AttendanceIn, AttendanceOut
from attendance_ingest.entrypoints.deps import Runtime, SchoolCodePath, SchoolScoped

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
