"""Events produced by attendance-ingest: reference data, the roll, and daily attendance."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, model_validator

from baoxue_contracts import topics
from baoxue_contracts.base import (
    Count,
    Event,
    Grade,
    NationalIdHash,
    Part,
    PriorityGroup,
    RegionCode,
    SchoolCode,
    StudentId,
)

PRODUCER = "attendance-ingest"

SchoolKind = Literal["primary", "junior", "nine_year", "special"]
Gender = Literal["M", "F"]
AbsenceStatus = Literal["absent_excused", "absent_unexcused"]
PresenceStatus = Literal["present", "late", "left_early"]
AttendanceStatus = Literal["present", "late", "left_early", "absent_excused", "absent_unexcused"]
LeaveReason = Literal["transfer", "graduation", "unexplained"]
SchoolYear = Annotated[str, Field(pattern=r"^\d{4}-\d{4}$", description="e.g. 2026-2027")]


class SchoolRegistered(Event):
    """A school was registered or its reference data changed (学校)."""

    event_type = "SchoolRegistered"
    schema_version = 1
    topic = topics.REFERENCE

    school_code: SchoolCode
    name: Annotated[str, Field(min_length=1)]
    county_code: RegionCode
    kind: SchoolKind
    county_name: str | None = Field(default=None, description="The county's Chinese name (GB/T 2260), for reports.")


class Term(Part):
    """One term of a school year (学期)."""

    name: Annotated[str, Field(min_length=1)]
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Term:
        if self.end < self.start:
            raise ValueError("term end is before its start")
        return self


class CalendarPublished(Event):
    """A region published its school calendar for a school year (校历)."""

    event_type = "CalendarPublished"
    schema_version = 1
    topic = topics.REFERENCE

    region_code: RegionCode
    school_year: SchoolYear
    terms: tuple[Term, ...]
    holidays: tuple[date, ...] = ()
    makeup_days: tuple[date, ...] = ()


class _StudentRecord(Event):
    """The fields of a pupil on a school's roll (学籍)."""

    student_id: StudentId
    school_code: SchoolCode
    name: Annotated[str, Field(min_length=1)]
    gender: Gender
    birth_date: date
    grade: Grade
    class_name: str
    hukou_county_code: RegionCode
    residence_county_code: RegionCode
    groups: tuple[PriorityGroup, ...] = ()
    poverty_household: bool = False
    national_id_hash: NationalIdHash


class StudentEnrolled(_StudentRecord):
    """A pupil joined a school's roll (入学/转入)."""

    event_type = "StudentEnrolled"
    schema_version = 1
    topic = topics.ROSTER

    enrolled_on: date | None = Field(default=None, description="The roll's as_of date that showed the pupil.")


class StudentUpdated(_StudentRecord):
    """A pupil's record on the roll changed; carries the whole new record (学籍变更)."""

    event_type = "StudentUpdated"
    schema_version = 1
    topic = topics.ROSTER

    changed: tuple[str, ...] = Field(default=(), description="Names of the fields that changed.")
    updated_on: date | None = None


class StudentLeft(Event):
    """A pupil left a school's roll, and why (离校)."""

    event_type = "StudentLeft"
    schema_version = 1
    topic = topics.ROSTER

    student_id: StudentId
    school_code: SchoolCode
    reason: LeaveReason
    left_on: date
    grade: Grade | None = None
    to_school_code: SchoolCode | None = None
    transfer_id: UUID | None = None
    groups: tuple[PriorityGroup, ...] = Field(default=(), description="The pupil's priority groups when leaving.")
    poverty_household: bool = False


class TransferRequested(Event):
    """A school asked to transfer a pupil out (转学申请)."""

    event_type = "TransferRequested"
    schema_version = 1
    topic = topics.ROSTER

    transfer_id: UUID
    student_id: StudentId
    school_code: SchoolCode = Field(description="The sending school.")
    to_school_code: SchoolCode
    requested_on: date
    due_on: date | None = Field(default=None, description="Last school day for the receiving school.")


class TransferCompleted(Event):
    """The receiving school enrolled a transferred pupil (转学完成)."""

    event_type = "TransferCompleted"
    schema_version = 1
    topic = topics.ROSTER

    transfer_id: UUID
    student_id: StudentId
    school_code: SchoolCode = Field(description="The receiving school.")
    from_school_code: SchoolCode
    completed_on: date


class AbsenceRecorded(Event):
    """A pupil was absent on a school day, excused or not (缺勤)."""

    event_type = "AbsenceRecorded"
    schema_version = 1
    topic = topics.ATTENDANCE

    student_id: StudentId
    school_code: SchoolCode
    date: date
    status: AbsenceStatus
    reason: str | None = None
    correction: bool = False
    previous_status: AttendanceStatus | None = None
    batch_id: UUID


class PresenceRecorded(Event):
    """A pupil was present after an absence, or a correction made them so (到校)."""

    event_type = "PresenceRecorded"
    schema_version = 1
    topic = topics.ATTENDANCE

    student_id: StudentId
    school_code: SchoolCode
    date: date
    status: PresenceStatus
    correction: bool = False
    previous_status: AttendanceStatus | None = None
    batch_id: UUID


class AttendanceSubmitted(Event):
    """A school submitted its attendance for one school day (到校日报告)."""

    event_type = "AttendanceSubmitted"
    schema_version = 1
    topic = topics.ATTENDANCE

    school_code: SchoolCode
    date: date
    batch_id: UUID
    counts: dict[str, Count] = Field(description="Pupils by status (present, late, left_early, absent_...).")
    total: Count
    corrections: Count = 0
    unrecorded: tuple[StudentId, ...] = Field(
        default=(),
        description="Pupils on the school's roll that day whom the day's records do not name (a ghost, 空挂学籍).",
    )


EVENTS: tuple[type[Event], ...] = (
    SchoolRegistered,
    CalendarPublished,
    StudentEnrolled,
    StudentUpdated,
    StudentLeft,
    TransferRequested,
    TransferCompleted,
    AbsenceRecorded,
    PresenceRecorded,
    AttendanceSubmitted,
)
"""The events this service produces, in catalog order."""
