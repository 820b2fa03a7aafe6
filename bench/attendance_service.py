"""The bench's experiment: attendance-ingest served with record_attendance on the set-based path (attendance_bulk).

`python -m bench.attendance_service serve attendance-ingest --port N` is `baoxue serve` with the handler
swapped in this process only; the service code is unchanged. The function below is how the handler
would call attendance_bulk: same checks, same events, same answer as handlers/attendance.py.
With BENCH_FAST_BODY=1 the attendance route also parses its body with one `model_validate_json` call
and builds the records without `model_dump` (a measurement: its 400/422 shapes are not the contract's).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from typing import Any

from attendance_ingest import handlers
from attendance_ingest.adapters import attendance_bulk as bulk
from attendance_ingest.domain.model import classify, is_school_day
from attendance_ingest.entrypoints.attendance_schemas import MAX_RECORDS, AttendanceIn, AttendanceOut
from attendance_ingest.entrypoints.deps import Runtime, SchoolCodePath, SchoolScoped
from attendance_ingest.handlers.attendance import AttendanceRecord, AttendanceResult
from attendance_ingest.handlers.common import county_of
from baoxue_common.clock import Clock
from baoxue_common.errors import PayloadTooLarge, Unprocessable
from baoxue_common.uow import UnitOfWork
from baoxue_contracts.events.attendance import AbsenceRecorded, AttendanceSubmitted, PresenceRecorded
from fastapi import APIRouter, Request
from pydantic import ValidationError


async def record_attendance_bulk(
    uow: UnitOfWork, *, school_code: str, day: date, records: Sequence[AttendanceRecord], clock: Clock
) -> AttendanceResult:
    """record_attendance with a roll check, the write and the reads of old marks as one statement each."""
    batch_id = uuid.uuid4()
    async with uow:
        county = await county_of(uow, school_code)
        ids = [r.student_id for r in records]
        errors = _check_day(day, clock.today()) + _duplicates(ids)
        errors += [
            {"loc": ["body", "records", i, "student_id"], "msg": "not on this school's roll"}
            for i, _ in await bulk.not_on_roll(uow.session, school_code, ids)
        ]
        if errors:
            raise Unprocessable(f"{len(errors)} problem(s) in the attendance of {day}", errors=errors)
        rows = [(r.student_id, r.status, r.reason, r.note) for r in records]
        written = await bulk.write_day(uow.session, school_code=school_code, day=day, batch_id=batch_id, records=rows)
        absences = corrections = 0
        at = clock.at(day)
        for w in written:
            mark = classify(w.status, w.before_status, w.previous_status)
            corrections += mark.correction
            common = {"student_id": w.student_id, "school_code": school_code, "date": day, "batch_id": batch_id}
            event: AbsenceRecorded | PresenceRecorded | None = None
            if mark.kind == "absence":
                absences += 1
                event = AbsenceRecorded(**common, status=w.status, reason=w.reason, correction=mark.correction)
            elif mark.kind == "presence":
                event = PresenceRecorded(**common, status=w.status, correction=mark.correction)
            if event is not None:
                uow.emit(event, region=county, occurred_at=at, school_code=school_code, subject_id=w.student_id)
        if written:
            counts = await bulk.day_counts(uow.session, school_code, day)
            submitted = AttendanceSubmitted(
                school_code=school_code, date=day, batch_id=batch_id, counts=counts, total=sum(counts.values())
            )
            uow.emit(submitted, region=county, occurred_at=at, school_code=school_code)
        await uow.commit()
    return AttendanceResult(batch_id, len(records), absences, corrections)


def _check_day(day: date, today: date) -> list[dict[str, Any]]:
    if day > today:
        return [{"loc": ["body", "date"], "msg": f"{day} is in the future"}]
    if not is_school_day(day):
        return [{"loc": ["body", "date"], "msg": f"{day} is not a school day"}]
    return []


def _duplicates(ids: Sequence[str]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    errors: list[dict[str, Any]] = []
    for i, student_id in enumerate(ids):
        if student_id in seen:
            errors.append({"loc": ["body", "records", i, "student_id"], "msg": "duplicate pupil in this request"})
        seen.add(student_id)
    return errors


def fast_body_router() -> APIRouter:
    """The attendance route with the body parsed from bytes in one pydantic call."""
    router = APIRouter(prefix="/v1/schools", tags=["attendance"])

    @router.post("/{school_code}/attendance", response_model=AttendanceOut)
    async def post_attendance(
        school_code: SchoolCodePath, request: Request, _: SchoolScoped, rt: Runtime
    ) -> AttendanceOut:
        try:
            body = AttendanceIn.model_validate_json(await request.body())
        except ValidationError as exc:
            errors = [{"loc": ["body", *e["loc"]], "msg": e["msg"]} for e in exc.errors()]
            raise Unprocessable("the body does not match the schema", errors=errors) from None
        if len(body.records) > MAX_RECORDS:
            raise PayloadTooLarge(f"at most {MAX_RECORDS} records per request; got {len(body.records)}")
        records = [AttendanceRecord(r.student_id, r.status, r.reason, r.note) for r in body.records]
        result = await handlers.record_attendance(
            rt.uow(), school_code=school_code, day=body.date, records=records, clock=rt.clock
        )
        return AttendanceOut(**asdict(result))

    return router


if __name__ == "__main__":
    from attendance_ingest.entrypoints import attendance as attendance_routes
    from baoxue_common.cli import main

    handlers.record_attendance = record_attendance_bulk
    if os.environ.get("BENCH_FAST_BODY") == "1":
        attendance_routes.router = fast_body_router()  # create_app() reads the module attribute when uvicorn calls it
    main(sys.argv[1:])
