"""Request and response bodies of daily attendance, exactly as API.md names them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from baoxue_contracts.base import StudentId
from pydantic import BaseModel, Field

from attendance_ingest.entrypoints.schemas import Body

MAX_RECORDS = 10_000


class AttendanceRecordIn(Body):
    """One pupil's mark."""

    student_id: StudentId
    status: Literal["present", "late", "left_early", "absent_excused", "absent_unexcused"]
    reason: Annotated[str, Field(max_length=50)] | None = None
    note: Annotated[str, Field(max_length=500)] | None = None


class AttendanceIn(Body):
    """`POST /v1/schools/{school_code}/attendance`: one school day."""

    date: date
    records: list[AttendanceRecordIn]


class AttendanceOut(BaseModel):
    """The answer to a day's push."""

    batch_id: UUID
    accepted: int
    absences: int
    corrections: int
