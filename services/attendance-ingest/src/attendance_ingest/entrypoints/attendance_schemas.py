"""Request and response bodies of daily attendance, exactly as API.md names them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from baoxue_common.errors import PayloadTooLarge
from baoxue_contracts.base import StudentId
from pydantic import BaseModel, Field, field_validator

from attendance_ingest.domain.attendance import STATUSES
from attendance_ingest.entrypoints.schemas import Body

MAX_RECORDS = 10_000

# Checked by the handler, not by pydantic, so that an unknown status is listed with every other bad record.
Status = Annotated[str, Field(max_length=32, json_schema_extra={"enum": list(STATUSES)})]


class AttendanceRecordIn(Body):
    """One pupil's mark."""

    student_id: StudentId
    status: Status
    reason: Annotated[str, Field(max_length=50)] | None = None
    note: Annotated[str, Field(max_length=500)] | None = None


class AttendanceIn(Body):
    """`POST /v1/schools/{school_code}/attendance`: one school day, at most 10,000 records (413 above)."""

    date: date
    records: list[AttendanceRecordIn]

    @field_validator("records", mode="before")
    @classmethod
    def _at_most_max_records(cls, value: Any) -> Any:
        # Before the records are parsed one by one: an oversized push costs no per-record validation.
        if isinstance(value, list) and len(value) > MAX_RECORDS:
            raise PayloadTooLarge(f"at most {MAX_RECORDS} records per request; got {len(value)}")
        return value


class AttendanceOut(BaseModel):
    """The answer to a day's push."""

    batch_id: UUID
    accepted: int
    absences: int
    corrections: int


class AttendanceDayOut(BaseModel):
    """`GET /v1/schools/{school_code}/attendance/{date}`: whether the day was pushed, and its counts by status."""

    school_code: str
    county_code: str = Field(description="The county the school is registered in")
    date: date
    submitted: bool
    counts: dict[str, int] = Field(description="Pupils marked with each status that day")
    total: int
    unrecorded: int = Field(description="Pupils on the roll that day whom no mark of the day names")
