"""Request and response bodies of schools and rolls, exactly as API.md names them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from baoxue_common.roll_body import CountyCode, RollStudent
from baoxue_contracts.base import SchoolCode, StudentId
from pydantic import BaseModel, ConfigDict, Field

MAX_ROLL = 20_000  # pupils in one roll push; the largest schools have about 10,000


class Body(BaseModel):
    """Strict request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SchoolIn(Body):
    """`PUT /v1/schools/{school_code}`."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    county_code: CountyCode
    kind: Literal["primary", "junior", "nine_year", "special"]


class StudentIn(RollStudent):
    """One pupil of a roll."""


class RosterIn(Body):
    """`PUT /v1/schools/{school_code}/roster`: the whole roll as of a date."""

    as_of: date
    students: list[StudentIn]


class RosterOut(BaseModel):
    """What a roll push changed."""

    school_code: str
    joined: int
    changed: int
    left: int


class SchoolOut(BaseModel):
    """A registered school."""

    school_code: str
    name: str
    county_code: str
    county_name: str | None = Field(default=None, description="The county's Chinese name (GB/T 2260)")
    kind: str
    changed: bool


class TransferIn(Body):
    """`POST /v1/schools/{school_code}/transfers`: a pupil transferring out (转学)."""

    student_id: StudentId
    to_school_code: SchoolCode
    date: date


class TransferOut(BaseModel):
    """A transfer and where it stands."""

    transfer_id: uuid.UUID
    student_id: str
    from_school_code: str
    to_school_code: str
    requested_on: date
    status: Literal["pending", "completed"]
    due_on: date | None = Field(default=None, description="Last school day for the receiving school to enrol.")
    completed_on: date | None = None


class TransferPage(BaseModel):
    """A page of a school's transfers."""

    school_code: str
    total: int
    limit: int
    offset: int
    next_offset: int | None
    items: list[TransferOut]
